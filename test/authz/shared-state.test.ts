// The embedded authorization server's state shared through PostgreSQL (issue 14): two servers
// on one database behind one issuer URL act as one. A client registered dynamically and signed
// in on one refreshes on the other, a restart of both keeps its refresh working, a token signed
// by one verifies against the other's keys (also after a rotation), nothing secret is in clear
// text in the database, and without MANDATE_STORE_KEY the server refuses to start.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { decodeProtectedHeader, decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJwtVerifier, createMemoryDelegationRegistry, startAuthorizationServer, type EmbeddedAuthz } from '../../src/authz/index.js';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres/index.js';
import { PG_SKIP, PG_URL, freshSchema } from '../store/backends.js';
import { refresh, registerAndSignIn, routingProxy } from '../helpers/oauth-flow.js';
import { MCP } from './helpers.js';

describe.skipIf(!PG_URL)('the embedded authorization server shared through PostgreSQL', () => {
  const schema = freshSchema('authz');
  const registry = createMemoryDelegationRegistry();
  const stores: PostgresStore[] = [];
  const servers: EmbeddedAuthz[] = [];
  let home = '';
  let target = 0;
  let proxy: Awaited<ReturnType<typeof routingProxy>>;
  let a: EmbeddedAuthz;
  let b: EmbeddedAuthz;
  const portOf = (s: EmbeddedAuthz) => Number(new URL(s.jwksUri).port);
  const via = (s: EmbeddedAuthz) => { target = portOf(s); return proxy.origin; };

  const start = async (name: string) => {
    const store = await openPostgresStore({ url: PG_URL!, schema, storeKey: 'shared-state-test-key', poolSize: 3 });
    stores.push(store);
    const s = await startAuthorizationServer({ home: path.join(home, name), mcpResource: MCP, registry, state: store.authz, issuer: proxy.origin });
    servers.push(s);
    return s;
  };
  const verifierOf = (s: EmbeddedAuthz) => createJwtVerifier({ issuer: proxy.origin, jwksUri: s.jwksUri, audience: MCP });

  beforeAll(async () => {
    home = await mkdtemp(path.join(tmpdir(), 'mandate-shared-authz-'));
    proxy = await routingProxy(() => target);
    a = await start('a');
    b = await start('b');
  });

  afterAll(async () => {
    for (const s of servers) await s.close().catch(() => undefined);
    await proxy?.close();
    for (const s of stores) await s.close();
    await rm(home, { recursive: true, force: true });
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await c.end();
  });

  let client = '';
  let rt = '';
  let spent = '';

  it('a client registers and signs in on A, refreshes on B, and B verifies what A signed', async () => {
    expect(a.issuer).toBe(proxy.origin);
    expect(b.publicJwks()).toEqual(a.publicJwks()); // one key, made by the first to start
    const signed = await registerAndSignIn(via(a), MCP);
    client = signed.clientId;
    expect(await verifierOf(b)(signed.accessToken)).toMatchObject({ ok: true, claims: { sub: 'demo-user', azp: client } });
    const r = await refresh(via(b), client, signed.refreshToken, MCP);
    expect(r.refreshToken).not.toBe(signed.refreshToken); // a public client's refresh token rotates
    spent = signed.refreshToken;
    expect(await verifierOf(a)(r.accessToken)).toMatchObject({ ok: true });
    rt = r.refreshToken;
    // The grant A's consent made is found by B too, with its actor: B's token names the same client.
    expect(decodeJwt(r.accessToken)).toMatchObject({ sub: 'demo-user', azp: client, iss: proxy.origin, aud: MCP });
  });

  it('a restart of both servers logs nobody out: the refresh token still works, on either', async () => {
    await a.close();
    await b.close();
    a = await start('a2');
    b = await start('b2');
    const r = await refresh(via(b), client, rt, MCP);
    expect(await verifierOf(a)(r.accessToken)).toMatchObject({ ok: true });
    rt = (await refresh(via(a), client, r.refreshToken, MCP)).refreshToken;
  });

  it('a key rotated on A signs next, and B publishes and verifies it (the newest key in the database is current)', async () => {
    const before = a.publicJwks().keys[0]!.kid;
    await a.rotateKeys();
    const kid = a.publicJwks().keys[0]!.kid;
    expect(kid).not.toBe(before);
    const r = await refresh(via(a), client, rt, MCP);
    expect(decodeProtectedHeader(r.accessToken).kid).toBe(kid);
    expect(await verifierOf(b)(r.accessToken)).toMatchObject({ ok: true }); // B reads the keys again on /jwks
    expect(b.publicJwks().keys.map((k) => k.kid)).toEqual([kid, before]); // both published until the old key's tokens expire
    // B signs with the new key too.
    const fromB = await refresh(via(b), client, r.refreshToken, MCP);
    expect(decodeProtectedHeader(fromB.accessToken).kid).toBe(kid);
    rt = fromB.refreshToken;
  });

  it('nothing secret is in clear text in the database: refresh tokens, client ids, keys, cookie keys', async () => {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    const models = (await c.query(`SELECT model, id, payload FROM ${schema}.authz_models`)).rows as { model: string; id: string; payload: string }[];
    const meta = (await c.query(`SELECT key, value FROM ${schema}.meta WHERE key LIKE 'authz_%'`)).rows as { key: string; value: string }[];
    await c.end();
    expect(models.map((m) => m.model)).toEqual(expect.arrayContaining(['Client', 'Grant', 'RefreshToken', 'Session']));
    expect(meta.map((m) => m.key).sort()).toEqual(['authz_cookie_keys', 'authz_jwks']);
    const dump = JSON.stringify([models, meta]);
    for (const secret of [rt, client, '"kty"', '"d":', 'demo-user', 'Dana Demo']) expect(dump).not.toContain(secret);
    for (const row of [...models.map((m) => m.payload), ...meta.map((m) => m.value)]) expect(row).toMatch(/^v1\.[\w-]+\.[\w-]*\.[\w-]+$/);
  });

  it('a spent refresh token presented on the other instance is seen as replayed: the grant is revoked everywhere', async () => {
    await expect(refresh(via(a), client, spent, MCP)).rejects.toThrow(/invalid_grant/);
    await expect(refresh(via(b), client, rt, MCP)).rejects.toThrow(/invalid_grant/);
  });

  it('without MANDATE_STORE_KEY the server refuses to start, saying why', async () => {
    const keyless = await openPostgresStore({ url: PG_URL!, schema, poolSize: 1 });
    stores.push(keyless);
    await expect(startAuthorizationServer({ home: path.join(home, 'x'), mcpResource: MCP, registry, state: keyless.authz, issuer: proxy.origin }))
      .rejects.toThrow(/MANDATE_STORE_KEY is required with a PostgreSQL store/);
  });
});

if (!PG_URL) {
  describe('the embedded authorization server shared through PostgreSQL', () => {
    it.skip(PG_SKIP, () => undefined);
  });
}
