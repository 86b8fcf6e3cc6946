// The audit writer: durable before it resolves, group-committed under concurrency, and the
// last line of defence against secrets in the trail.
import { afterAll, describe, expect, test } from 'vitest';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { AuditLog } from '../../src/audit/writer.js';
import { verifyStore } from '../../src/audit/verify.js';
import { openStore, storePath } from '../../src/store/index.js';
import { StoreError } from '../../src/store/errors.js';
import { cleanupHomes, rawDb, sampleInput, tempHome } from '../store/helpers.js';

afterAll(cleanupHomes);

describe('group commit', () => {
  test('100 concurrent record() calls share a handful of transactions and are all on disk after reopening', async () => {
    const home = tempHome();
    const store = openStore(home);
    const log = new AuditLog(store);
    const records = await Promise.all(Array.from({ length: 100 }, (_, i) => log.record(sampleInput(i + 1))));
    expect(store.stats().auditTransactions).toBeLessThanOrEqual(3);
    expect(new Set(records.map((r) => r.seq)).size).toBe(100);
    expect(records.map((r) => r.call_id)).toEqual(Array.from({ length: 100 }, (_, i) => sampleInput(i + 1).call_id));
    await store.close();

    const reopened = openStore(home);
    expect(await reopened.auditCount()).toBe(100);
    expect(await verifyStore(reopened)).toMatchObject({ ok: true, count: 100 });
    await reopened.close();
  });

  test('a record is readable by another connection the moment record() resolves', async () => {
    const home = tempHome();
    const store = openStore(home);
    const db = rawDb(storePath(home));
    const log = new AuditLog(store);
    for (let i = 1; i <= 5; i++) {
      const r = await log.record(sampleInput(i));
      expect((db.prepare('SELECT count(*) AS n FROM audit WHERE seq = ?').get(r.seq) as { n: number }).n).toBe(1);
    }
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
    await store.close();
  });

  test('sequential durable appends and concurrent batches: prints records/s (no timing asserted)', async () => {
    const store = openStore(tempHome());
    const log = new AuditLog(store);
    let t = performance.now();
    for (let i = 1; i <= 300; i++) await log.record(sampleInput(i));
    const sequential = 300 / ((performance.now() - t) / 1000);
    t = performance.now();
    for (let round = 0; round < 20; round++) await Promise.all(Array.from({ length: 50 }, (_, i) => log.record(sampleInput(1000 + round * 50 + i))));
    const concurrent = 1000 / ((performance.now() - t) / 1000);
    console.log(`durable appends: ${Math.round(sequential)} records/s one at a time, ${Math.round(concurrent)} records/s 50 at a time`);
    expect(await store.auditCount()).toBe(1300);
    await store.close();
  });
});

describe('failures', () => {
  test('an invalid input rejects its own call only; the others in the batch commit', async () => {
    const store = openStore(tempHome());
    const log = new AuditLog(store);
    const results = await Promise.allSettled([
      log.record(sampleInput(1)),
      log.record({ ...sampleInput(2), event: 'exploded' as never }),
      log.record(sampleInput(3)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(StoreError);
    expect(await store.auditCount()).toBe(2);
    await store.close();
  });

  test('record() rejects, and logs with the call_id, when the store cannot write', async () => {
    const store = openStore(tempHome());
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    const log = new AuditLog(store, { logger: pino({ level: 'debug' }, sink) });
    await store.close();
    await expect(log.record(sampleInput(1))).rejects.toThrow(StoreError);
    expect(lines.join('')).toContain(sampleInput(1).call_id);
    expect(lines.join('')).toContain('audit record could not be written');
  });

  test('a failing commit rejects every caller of the batch', async () => {
    const home = tempHome();
    const store = openStore(home);
    const db = rawDb(storePath(home));
    db.exec("CREATE TRIGGER no_more BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'disk says no'); END");
    const log = new AuditLog(store);
    const results = await Promise.allSettled([log.record(sampleInput(1)), log.record(sampleInput(2))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    db.close();
    await store.close();
  });
});

describe('nothing secret reaches the trail', () => {
  const JWT = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJkZW1vLXVzZXIifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ';

  test('secret args, token-shaped reasons and extra token fields are removed before writing', async () => {
    const home = tempHome();
    const store = openStore(home);
    const log = new AuditLog(store);
    const r = await log.record({
      ...sampleInput(1),
      args: { channel: '#general', text: `my token is ${JWT}`, password: 'hunter2' },
      reason: `upstream said: invalid_auth for Bearer ${JWT}`,
      token: { jti: 'j1', aud: 'https://slack.com/api', scope: 'chat:write', exp: 1, access_token: JWT } as never,
    });
    expect(r.args).toEqual({ channel: '#general', text: 'my token is [redacted]', password: '[redacted]' });
    expect(r.reason).toBe('upstream said: invalid_auth for Bearer [redacted]');
    expect(r.token).toEqual({ jti: 'j1', aud: 'https://slack.com/api', scope: 'chat:write', exp: 1 });
    await store.close();
    const db = rawDb(storePath(home));
    const everything = JSON.stringify(db.prepare('SELECT * FROM audit').all());
    db.close();
    expect(everything).not.toContain(JWT);
    expect(everything).not.toContain('hunter2');
  });
});
