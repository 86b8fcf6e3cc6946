// What only the PostgreSQL store has to prove: several instances (here, several stores on one
// schema) build one audit chain, spend an approval once, count rates together and hear each
// other's revocations; migrations from an older schema; a clear refusal when the database is
// down at start, calls that fail closed when it goes away mid-run (and nothing half-written);
// the authorization server's state sealed at rest; a password never shown.
import net from 'node:net';
import { afterAll, describe, expect, test } from 'vitest';
import pg from 'pg';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import type { PostgresStore } from '../../src/store/postgres/index.js';
import { PG_MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { StoreError } from '../../src/store/errors.js';
import { verifyStore } from '../../src/audit/verify.js';
import { PG_SKIP, PG_URL, freshSchema } from './backends.js';
import { sampleInput } from './helpers.js';

const made: string[] = [];
const opened: PostgresStore[] = [];

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function instances(n: number, schema = freshSchema('mp')): Promise<PostgresStore[]> {
  if (!made.includes(schema)) made.push(schema);
  const out: PostgresStore[] = [];
  for (let i = 0; i < n; i++) out.push(await openPostgresStore({ url: PG_URL!, schema, storeKey: 'k'.repeat(32), poolSize: 4 }));
  opened.push(...out);
  return out;
}

afterAll(async () => {
  for (const s of opened) await s.close();
  if (PG_URL) await admin(async (c) => { for (const s of made) await c.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`); });
});

describe.skipIf(!PG_URL)('PostgreSQL store', () => {
  test('three instances appending at once build one chain: no gap, no duplicate, it verifies, commits grouped', async () => {
    const stores = await instances(3);
    const per = 120;
    await Promise.all(stores.flatMap((s, k) => Array.from({ length: per }, (_, i) => s.appendAudit([sampleInput(k * per + i + 1)]))));
    expect(await stores[0]!.auditCount()).toBe(3 * per);
    expect(await verifyStore(stores[1]!)).toMatchObject({ ok: true, count: 3 * per });
    const seqs = (await stores[2]!.readAudit()).map((r) => r.seq);
    expect(seqs).toEqual(Array.from({ length: 3 * per }, (_, i) => i + 1));
    const tx = stores.reduce((n, s) => n + s.stats().auditTransactions, 0);
    expect(tx).toBeLessThan(3 * per);
  });

  test('a verify while writers append always sees a consistent prefix', async () => {
    const [a, b, reader] = await instances(3);
    let running = true;
    const writer = async (s: PostgresStore, base: number) => {
      for (let i = 0; running; i++) await s.appendAudit([sampleInput(base + i)], { durable: i % 3 === 0 });
    };
    const writers = [writer(a!, 1), writer(b!, 100_000)];
    const results = [];
    for (let i = 0; i < 8; i++) results.push(await verifyStore(reader!));
    running = false;
    await Promise.all(writers);
    for (const r of results) expect(r).toMatchObject({ ok: true });
    expect(await verifyStore(reader!)).toMatchObject({ ok: true, count: await reader!.auditCount() });
  });

  test('two instances racing on one approval: exactly one consumes it; the decision and its record commit together', async () => {
    const [a, b] = await instances(2);
    const T0 = Date.now();
    const created = await a!.createApproval({
      call_id: '01JCALL0000000000000000001', user: 'u', agent: 'assistant', client: 'c', tool: 'slack_post_message',
      args_digest: 'd'.repeat(64), args: { text: 'hi' }, summary: 'post', expires_at: new Date(T0 + 60_000).toISOString(),
    });
    const decided = await b!.decideApproval(created.approval_id, {
      decision: 'approved', approver: 'dana', channel: 'cli',
      records: [sampleInput(1, { event: 'approval_decided', approval_id: created.approval_id, approver: 'dana' })],
    });
    expect(decided.status).toBe('approved');
    expect((await a!.readAudit({ event: 'approval_decided' })).map((r) => r.approval_id)).toEqual([created.approval_id]);
    const q = { user: 'u', agent: 'assistant', client: 'c', tool: 'slack_post_message', argsDigest: 'd'.repeat(64), now: T0 + 1000 };
    const results = await Promise.all([a!, b!, a!, b!, a!, b!].map((s) => s.consumeApproval(q)));
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    await expect(a!.decideApproval(created.approval_id, { decision: 'rejected', approver: 'x', channel: 'cli' })).rejects.toMatchObject({ code: 'not_pending' });
  });

  test('rate limits count across instances', async () => {
    const stores = await instances(3);
    const now = Date.now();
    const hits = await Promise.all(Array.from({ length: 30 }, (_, i) => stores[i % 3]!.hitRate({ key: 'assistant:slack_post_message', windowMs: 60_000, limit: 10, now })));
    expect(hits.filter((h) => h.allowed)).toHaveLength(10);
    expect((await stores[1]!.peekRate({ key: 'assistant:slack_post_message', windowMs: 60_000, now })).count).toBe(10);
  });

  test('a revocation through one instance is heard by another at once (NOTIFY), and holds for its next call', async () => {
    const [a, b] = await instances(2);
    let heard = 0;
    const off = b!.onRevocationsChanged(() => { heard++; });
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    await a!.revoke({ agent: 'assistant', tool: 'slack_post_message', by: 'dana' });
    while (heard === 0 && Date.now() - t0 < 1000) await new Promise((r) => setTimeout(r, 10));
    expect(heard).toBeGreaterThan(0);
    expect(await b!.isRevoked({ agent: 'assistant', tool: 'slack_post_message', user: 'u' })).toEqual({ scope: 'tool' });
    expect((await b!.readAudit({ event: 'revoked' }))).toHaveLength(1);
    off();
  });

  test('instances starting at once on an empty schema migrate once', async () => {
    const schema = freshSchema('mp');
    made.push(schema);
    const stores = await Promise.all(Array.from({ length: 3 }, () => openPostgresStore({ url: PG_URL!, schema })));
    opened.push(...stores);
    const v = await admin(async (c) => (await c.query(`SELECT version FROM ${schema}.mandate_schema`)).rows[0].version);
    expect(v).toBe(PG_MIGRATIONS.length);
  });

  test('a schema from an older Mandate is migrated, its data kept; one from a newer Mandate is refused', async () => {
    const schema = freshSchema('mp');
    made.push(schema);
    await admin(async (c) => {
      await c.query(`CREATE SCHEMA ${schema}`);
      await c.query(`SET search_path = ${schema}`);
      await c.query(PG_MIGRATIONS[0]!);
      await c.query('CREATE TABLE mandate_schema (id int PRIMARY KEY CHECK (id = 1), version int NOT NULL)');
      await c.query('INSERT INTO mandate_schema VALUES (1, 1)');
      await c.query(`INSERT INTO approvals (approval_id, call_id, "user", agent, client, tool, args_digest, args, summary, status, created_at, expires_at)
        VALUES ('apr_old', 'c', 'u', 'a', NULL, 't', 'd', '{}', 's', 'pending', '2025-01-01T00:00:00.000Z', '2999-01-01T00:00:00.000Z')`);
    });
    const [s] = await instances(1, schema);
    expect(await s!.getApproval('apr_old')).toMatchObject({ status: 'pending', receipt: null });
    await admin((c) => c.query(`UPDATE ${schema}.mandate_schema SET version = $1`, [PG_MIGRATIONS.length + 1]));
    await expect(openPostgresStore({ url: PG_URL!, schema })).rejects.toThrow(/newer than this Mandate knows/);
  });

  test('down at start: a clear refusal that never shows the password', async () => {
    const url = 'postgres://mandate:s3cret-pw@127.0.0.1:1/mandate';
    const err = await openPostgresStore({ url }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('io');
    expect((err as StoreError).message).toMatch(/cannot open the store: the PostgreSQL store at postgres:\/\/mandate:\*\*\*@127\.0\.0\.1:1\/mandate is unreachable/);
    expect(String((err as Error).stack)).not.toContain('s3cret-pw');
  });

  test('down mid-run: appends and consumes fail closed with a StoreError, nothing is half-written, and it recovers', async () => {
    const target = new URL(PG_URL!);
    let up = true;
    const sockets = new Set<net.Socket>();
    const proxy = net.createServer((client) => {
      if (!up) return client.destroy();
      const server = net.connect(Number(target.port || 5432), target.hostname);
      sockets.add(client).add(server);
      client.pipe(server).pipe(client);
      const drop = () => { client.destroy(); server.destroy(); };
      client.on('error', drop).on('close', drop);
      server.on('error', drop).on('close', drop);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const via = new URL(PG_URL!);
    via.port = String((proxy.address() as net.AddressInfo).port);
    const schema = freshSchema('mp');
    made.push(schema);
    const s = await openPostgresStore({ url: via.toString(), schema, poolSize: 2 });
    await s.appendAudit([sampleInput(1)]);
    up = false;
    for (const k of sockets) k.destroy();
    const failed = await s.appendAudit([sampleInput(2)]).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(StoreError);
    expect((failed as StoreError).code).toBe('io');
    await expect(s.isRevoked({ agent: 'a', tool: 't' })).rejects.toBeInstanceOf(StoreError);
    up = true;
    await s.appendAudit([sampleInput(3)]);
    expect(await verifyStore(s)).toMatchObject({ ok: true, count: 2 });
    await s.close();
    for (const k of sockets) k.destroy();
    await new Promise<void>((r) => proxy.close(() => r()));
  });

  test("the authorization server's state is sealed at rest, shared, consumed and revoked by grant", async () => {
    const [a, b] = await instances(2);
    await a!.authz.upsert('RefreshToken', 'rt-secret-value', { jti: 'rt-secret-value', grantId: 'g1', accountId: 'u' }, 3600);
    await a!.authz.upsert('Client', 'agent-1', { client_id: 'agent-1', client_secret: 'client-secret-value' });
    expect(await b!.authz.find('RefreshToken', 'rt-secret-value')).toMatchObject({ jti: 'rt-secret-value', grantId: 'g1' });
    await b!.authz.consume('RefreshToken', 'rt-secret-value');
    expect((await a!.authz.find('RefreshToken', 'rt-secret-value'))!.consumed).toBeTypeOf('number');
    const dump = await admin(async (c) => JSON.stringify((await c.query(`SELECT * FROM ${a!.schema}.authz_models`)).rows));
    expect(dump).not.toContain('rt-secret-value');
    expect(dump).not.toContain('client-secret-value');
    await a!.authz.revokeByGrantId('g1');
    expect(await b!.authz.find('RefreshToken', 'rt-secret-value')).toBeUndefined();
    expect(await b!.authz.find('Client', 'agent-1')).toMatchObject({ client_secret: 'client-secret-value' });
    const wrongKey = await openPostgresStore({ url: PG_URL!, schema: a!.schema, storeKey: 'another key' });
    opened.push(wrongKey);
    await expect(wrongKey.authz.find('Client', 'agent-1')).rejects.toThrow(/does not open with this MANDATE_STORE_KEY/);
  });
});

if (!PG_URL) {
  describe('PostgreSQL store', () => {
    test.skip(PG_SKIP, () => undefined);
  });
}
