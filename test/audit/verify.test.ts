// Tamper evidence: every edit someone with the database file could make is named at the
// first record it breaks. Tampering goes through raw SQL on the real file.
import { afterAll, afterEach, beforeEach, describe, expect, test } from 'vitest';
import { GENESIS_HASH, HASHED_FIELDS, RECORD_FIELDS, normalizeAuditInput, sealRecord } from '../../src/audit/record.js';
import type { AuditRecord } from '../../src/audit/record.js';
import { verifyChain, verifyStore } from '../../src/audit/verify.js';
import { openStore, storePath } from '../../src/store/index.js';
import type { SqliteStore } from '../../src/store/index.js';
import { cleanupHomes, fill, rawDb, sampleInput, tempHome } from '../store/helpers.js';

let home: string;
let store: SqliteStore;
let db: ReturnType<typeof rawDb>;

beforeEach(async () => {
  home = tempHome();
  store = openStore(home);
  await fill(store, 10);
  db = rawDb(storePath(home));
});
afterEach(async () => {
  db.close();
  await store.close();
});
afterAll(cleanupHomes);

const row = (seq: number) => db.prepare('SELECT record, hash FROM audit WHERE seq = ?').get(seq) as { record: string; hash: string };
const callIdOf = (seq: number) => (JSON.parse(row(seq).record) as AuditRecord).call_id;

/** Moves rows seq >= from up by `by`, in two steps so the primary key never collides. */
function shiftFrom(from: number, by: number): void {
  db.prepare('UPDATE audit SET seq = -seq WHERE seq >= ?').run(from);
  db.prepare('UPDATE audit SET seq = -seq + ? WHERE seq < 0').run(by);
}

describe('a clean trail', () => {
  test('verifies, with its count and head', async () => {
    const result = await verifyStore(store);
    expect(result).toEqual({ ok: true, count: 10, head: await store.auditHead() });
  });

  test('an empty trail verifies', async () => {
    const empty = openStore(tempHome());
    expect(await verifyStore(empty)).toEqual({ ok: true, count: 0, head: null });
    await empty.close();
  });

  test('an export verifies record by record, and its records carry every contract field', async () => {
    const records: AuditRecord[] = [];
    for await (const r of store.scanAudit()) records.push(r);
    // Every field but `receipt`, `account`, `purpose` and `task_id`, which only records of a call that spent an approval,
    // acted in a real account, or said why and for which task, carry.
    expect(Object.keys(records[0]!)).toEqual(RECORD_FIELDS.filter((f) => !['receipt', 'account', 'purpose', 'task_id'].includes(f)));
    expect(await verifyChain(records, await store.getAuditCheckpoint())).toMatchObject({ ok: true, count: 10 });
    // The same records through JSON lines, as `mandate audit export` writes them.
    const lines = records.map((r) => JSON.stringify(r)).join('\n');
    expect(await verifyChain(lines.split('\n').map((l) => JSON.parse(l) as AuditRecord))).toMatchObject({ ok: true, count: 10 });
  });
});

describe('an edit of any field is named at that record', () => {
  test.each(HASHED_FIELDS.map((f) => [f]))('%s', async (field) => {
    db.prepare(`UPDATE audit SET record = json_set(record, '$.${field}', 'tampered') WHERE seq = 5`).run();
    const result = await verifyStore(store);
    expect(result).toMatchObject({ ok: false, seq: 5, count: 4, reason: expect.stringContaining('edited record') });
  });

  test('the hash column itself', async () => {
    db.prepare("UPDATE audit SET hash = (CASE WHEN substr(hash, 1, 1) = '0' THEN '1' ELSE '0' END) || substr(hash, 2) WHERE seq = 5").run();
    expect(await verifyStore(store)).toMatchObject({ ok: false, seq: 5, call_id: callIdOf(5) });
  });

  test('a nested value (one argument) and the actor chain', async () => {
    db.prepare("UPDATE audit SET record = json_set(record, '$.args.text', 'nothing to see') WHERE seq = 3").run();
    expect(await verifyStore(store)).toMatchObject({ ok: false, seq: 3 });
    db.prepare("UPDATE audit SET record = json_set(record, '$.args.text', 'update number 3') WHERE seq = 3").run();
    expect(await verifyStore(store)).toMatchObject({ ok: true });
    db.prepare(`UPDATE audit SET record = json_set(record, '$.actor_chain', json('["someone-else"]')) WHERE seq = 8`).run();
    expect(await verifyStore(store)).toMatchObject({ ok: false, seq: 8, call_id: callIdOf(8) });
  });

  test('an edit that also recomputes that record hash is caught at the next record', async () => {
    const original = JSON.parse(row(5).record) as AuditRecord;
    const { record, text } = sealRecord(normalizeAuditInput({ ...sampleInput(5), agent: 'innocent' }), 5, original.ts, original.prev_hash);
    db.prepare('UPDATE audit SET record = ?, hash = ? WHERE seq = 5').run(text, record.hash);
    expect(await verifyStore(store)).toMatchObject({ ok: false, seq: 6, reason: expect.stringContaining('prev_hash') });
  });
});

describe('deleted, inserted and reordered rows', () => {
  test('a deleted row is named at the record after the gap', async () => {
    db.prepare('DELETE FROM audit WHERE seq = 5').run();
    expect(await verifyStore(store)).toMatchObject({ ok: false, seq: 6, call_id: callIdOf(6), reason: expect.stringContaining('seq 5 is missing') });
  });

  test('a deleted first row', async () => {
    db.prepare('DELETE FROM audit WHERE seq = 1').run();
    expect(await verifyStore(store)).toMatchObject({ ok: false, seq: 2, count: 0 });
  });

  test('an inserted row, forged with a valid hash over its own content', async () => {
    const prev = row(4);
    shiftFrom(5, 1);
    const forged = sealRecord(normalizeAuditInput(sampleInput(99, { agent: 'intruder' })), 5, new Date().toISOString(), prev.hash);
    db.prepare('INSERT INTO audit (seq, record, hash) VALUES (5, ?, ?)').run(forged.text, forged.record.hash);
    // Record 5 is a consistent forgery; the break shows at the original record 5, now stored at 6.
    expect(await verifyStore(store)).toMatchObject({ ok: false, seq: 6, reason: expect.stringContaining('stored at seq 6 is seq 5') });
  });

  test('an inserted row with a made-up hash is named itself', async () => {
    shiftFrom(5, 1);
    const forged = sealRecord(normalizeAuditInput(sampleInput(99)), 5, new Date().toISOString(), GENESIS_HASH);
    db.prepare('INSERT INTO audit (seq, record, hash) VALUES (5, ?, ?)').run(forged.text, 'e'.repeat(64));
    expect(await verifyStore(store)).toMatchObject({ ok: false, seq: 5, call_id: forged.record.call_id });
  });

  test('a swapped pair', async () => {
    const [r5, r6] = [row(5), row(6)];
    db.prepare('UPDATE audit SET record = ?, hash = ? WHERE seq = 5').run(r6.record, r6.hash);
    db.prepare('UPDATE audit SET record = ?, hash = ? WHERE seq = 6').run(r5.record, r5.hash);
    expect(await verifyStore(store)).toMatchObject({ ok: false, seq: 5, call_id: (JSON.parse(r6.record) as AuditRecord).call_id });
  });

  test('a swapped pair in an export', async () => {
    const records: AuditRecord[] = [];
    for await (const r of store.scanAudit()) records.push(r);
    [records[4], records[5]] = [records[5]!, records[4]!];
    expect(await verifyChain(records)).toMatchObject({ ok: false, seq: 6, count: 4, call_id: records[4]!.call_id });
  });

  test('a row appended at the tail by hand, even correctly chained', async () => {
    const head = (await store.auditHead())!;
    const forged = sealRecord(normalizeAuditInput(sampleInput(11)), 11, new Date().toISOString(), head.hash);
    db.prepare('INSERT INTO audit (seq, record, hash) VALUES (11, ?, ?)').run(forged.text, forged.record.hash);
    expect(await verifyStore(store)).toMatchObject({ ok: false, seq: 11, call_id: forged.record.call_id, reason: expect.stringContaining('not appended by Mandate') });
  });
});

describe('a truncated tail', () => {
  test('is caught by the checkpoint kept apart from the table', async () => {
    db.prepare('DELETE FROM audit WHERE seq > 7').run();
    expect(await verifyStore(store)).toMatchObject({ ok: false, seq: 8, call_id: null, count: 7, reason: expect.stringContaining('truncated tail') });
  });

  test('stays visible after further appends (a gap where the tail was)', async () => {
    db.prepare('DELETE FROM audit WHERE seq > 7').run();
    await store.appendAudit([sampleInput(100)]);
    expect(await verifyStore(store)).toMatchObject({ ok: false, seq: 11, reason: expect.stringContaining('seq 8..10 are missing') });
  });

  test('with the store checkpoint rewound too, an external checkpoint still catches it', async () => {
    const external = (await store.getAuditCheckpoint())!;
    const seven = row(7);
    db.prepare('DELETE FROM audit WHERE seq > 7').run();
    db.prepare('UPDATE audit_checkpoint SET seq = 7, hash = ?').run(seven.hash);
    expect(await verifyStore(store)).toMatchObject({ ok: true, count: 7 });
    expect(await verifyStore(store, external)).toMatchObject({ ok: false, seq: 8, reason: expect.stringContaining('truncated tail') });
  });

  test('a deleted store checkpoint is noticed', async () => {
    db.prepare('DELETE FROM audit_checkpoint').run();
    expect(await verifyStore(store)).toMatchObject({ ok: false, seq: 10, reason: expect.stringContaining('checkpoint is missing') });
  });

  test('an external checkpoint also catches a rewritten chain', async () => {
    const external = { seq: 6, hash: row(6).hash };
    expect(await verifyStore(store, { seq: 6, hash: 'f'.repeat(64) })).toMatchObject({ ok: false, seq: 6, reason: expect.stringContaining('checkpoint') });
    expect(await verifyStore(store, external)).toMatchObject({ ok: true, count: 10 });
  });
});

describe('speed', () => {
  test('verifies 100,000 records (prints records/s; no timing asserted)', async () => {
    const big = openStore(tempHome());
    const inputs = Array.from({ length: 100_000 }, (_, i) => sampleInput(i + 1));
    for (let i = 0; i < inputs.length; i += 5000) await big.appendAudit(inputs.slice(i, i + 5000));
    const started = performance.now();
    const result = await verifyStore(big);
    const seconds = (performance.now() - started) / 1000;
    expect(result).toMatchObject({ ok: true, count: 100_000 });
    console.log(`verify: ${Math.round(100_000 / seconds).toLocaleString('en')} records/s (100,000 records in ${seconds.toFixed(2)} s)`);
    await big.close();
  }, 30_000);
});
