// `mandate audit …` as a user runs it: exit codes, what reaches stdout and stderr.
import { afterAll, beforeEach, describe, expect, test } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runAudit } from '../../src/cli/commands/audit.js';
import type { AuditRecord } from '../../src/audit/record.js';
import { verifyChain } from '../../src/audit/verify.js';
import { openStore, storePath } from '../../src/store/index.js';
import { cleanupHomes, rawDb, sampleInput, tempHome } from '../store/helpers.js';

afterAll(cleanupHomes);

async function cli(home: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (d: Buffer) => out.push(d));
  stderr.on('data', (d: Buffer) => err.push(d));
  const code = await runAudit(args, { stdout, stderr, home });
  return { code, out: Buffer.concat(out).toString(), err: Buffer.concat(err).toString() };
}

let home: string;
beforeEach(async () => {
  home = tempHome();
  const store = openStore(home);
  // Three calls, each with a received and an outcome record, at distinct times.
  for (let call = 1; call <= 3; call++) {
    const call_id = `01JCALL00000000000000000${call}X`;
    const agent = call === 2 ? 'reader' : 'assistant';
    await store.appendAudit([{ ...sampleInput(call), call_id, agent, event: 'received', decision: null, outcome: null }]);
    await store.appendAudit([{ ...sampleInput(call), call_id, agent, event: call === 3 ? 'denied' : 'executed', decision: call === 3 ? 'deny' : 'allow', outcome: call === 3 ? 'error' : 'ok', error_code: call === 3 ? 'capability_denied' : null }]);
  }
  await store.close();
});

const tamper = (sql: string) => {
  const db = rawDb(storePath(home));
  db.exec(sql);
  db.close();
};

describe('mandate audit verify', () => {
  test('prints how many records it verified', async () => {
    expect(await cli(home, 'verify')).toEqual({ code: 0, out: 'verified 6 records\n', err: '' });
  });

  test('exits 1 naming the first bad record and its call', async () => {
    tamper(`UPDATE audit SET record = json_set(record, '$.outcome', 'ok') WHERE seq = 6`);
    const r = await cli(home, 'verify');
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toBe('audit chain broken at seq 6 (call_id 01JCALL000000000000000003X): its contents do not match its hash (edited record)\n');
  });
});

describe('mandate audit checkpoint / verify --checkpoint', () => {
  test('a signed checkpoint verifies, and later catches a truncation the store cannot see', async () => {
    const signed = await cli(home, 'checkpoint');
    expect(signed.code).toBe(0);
    expect(signed.out.trim()).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const file = join(home, 'checkpoint.jws');
    writeFileSync(file, signed.out);

    expect(await cli(home, 'verify', '--checkpoint', file)).toMatchObject({ code: 0, out: expect.stringMatching(/^verified 6 records\ncheckpoint of seq 6 taken .* matches\n$/) });

    // Cut the last call and rewind the store's own checkpoint: only the signed one knows.
    tamper(`DELETE FROM audit WHERE seq > 4; UPDATE audit_checkpoint SET seq = 4, hash = (SELECT hash FROM audit WHERE seq = 4);`);
    expect((await cli(home, 'verify')).code).toBe(0);
    const r = await cli(home, 'verify', '--checkpoint', file);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^audit chain broken at seq 5 \(call_id unknown\): truncated tail/);
  });

  test('a tampered checkpoint file is refused', async () => {
    const signed = (await cli(home, 'checkpoint')).out.trim();
    const [h, p, s] = signed.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString()) as { seq: number };
    const forged = Buffer.from(JSON.stringify({ ...payload, seq: 2 })).toString('base64url');
    const file = join(home, 'forged.jws');
    writeFileSync(file, `${h}.${forged}.${s}`);
    expect(await cli(home, 'verify', '--checkpoint', file)).toMatchObject({ code: 1, err: expect.stringContaining('refused') });
  });

  test('no checkpoint is signed for a broken chain', async () => {
    tamper('DELETE FROM audit WHERE seq = 2');
    const r = await cli(home, 'checkpoint');
    expect(r).toMatchObject({ code: 1, out: '' });
    expect(r.err).toContain('audit chain broken at seq 3');
  });
});

describe('mandate audit tail / show / export', () => {
  test('tail: human lines, oldest first, with time, agent → tool, decision, outcome and call_id', async () => {
    const r = await cli(home, 'tail', '-n', '2');
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z {2}received {12}assistant → crm_get_contact {2}- {2}- {2}01JCALL000000000000000003X$/);
    expect(lines[1]).toMatch(/denied .* assistant → crm_get_contact {2}deny {2}error \(capability_denied\) {2}01JCALL000000000000000003X$/);
  });

  test('tail filters by agent, tool, user and time, and --json prints one record a line', async () => {
    const reader = await cli(home, 'tail', '--agent', 'reader', '--json');
    const records = reader.out.trim().split('\n').map((l) => JSON.parse(l) as AuditRecord);
    expect(records.map((x) => [x.agent, x.event])).toEqual([['reader', 'received'], ['reader', 'executed']]);
    expect((await cli(home, 'tail', '--tool', 'slack_post_message', '--json')).out.trim().split('\n')).toHaveLength(4);
    expect((await cli(home, 'tail', '--user', 'someone-else')).out).toBe('');
    expect((await cli(home, 'tail', '--since', '2999-01-01T00:00:00Z')).out).toBe('');
    expect((await cli(home, 'tail', '--since', '2000-01-01T00:00:00Z')).out.trim().split('\n')).toHaveLength(6);
  });

  test('show: every record of one call, in order; an unknown call exits 1', async () => {
    const r = await cli(home, 'show', '01JCALL000000000000000002X', '--json');
    expect(r.code).toBe(0);
    expect(r.out.trim().split('\n').map((l) => (JSON.parse(l) as AuditRecord).event)).toEqual(['received', 'executed']);
    const human = await cli(home, 'show', '01JCALL000000000000000002X');
    expect(human.out).toContain('"actor_chain": [');
    expect(await cli(home, 'show', 'nope')).toMatchObject({ code: 1, err: 'no audit records for call_id nope\n' });
  });

  test('export: JSONL of the whole trail that verifies on its own', async () => {
    const r = await cli(home, 'export');
    expect(r.code).toBe(0);
    const records = r.out.trim().split('\n').map((l) => JSON.parse(l) as AuditRecord);
    expect(records.map((x) => x.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await verifyChain(records)).toMatchObject({ ok: true, count: 6 });
  });
});

describe('usage errors exit 2', () => {
  test.each([
    [['tail', '--agnet', 'x']],
    [['tail', '-n', 'zero']],
    [['tail', '--since', 'yesterday']],
    [['verify', 'extra']],
    [['show']],
    [['export', '--all']],
    [['frobnicate']],
    [[]],
  ])('%j', async (args) => {
    const r = await cli(home, ...args);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain('usage: mandate audit');
  });
});
