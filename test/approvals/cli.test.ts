// `mandate approvals approve|deny` in process: only the owner of the state directory decides
// (recorded as `os:<username>`, with a signed receipt in the chain), and nobody decides from
// the command line when the config asks for a passkey.
import { chownSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeEach, describe, expect, test } from 'vitest';
import { notOwnerReason, runApprovals } from '../../src/cli/commands/approvals.js';
import { loadAuditKey } from '../../src/audit/checkpoint.js';
import { verifyStore } from '../../src/audit/verify.js';
import { configJsonSchema } from '../../src/config/schema.js';
import { openStore } from '../../src/store/index.js';
import { cleanupHomes, tempHome } from '../store/helpers.js';

afterAll(cleanupHomes);

async function cli(home: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (d: Buffer) => out.push(d));
  stderr.on('data', (d: Buffer) => err.push(d));
  const code = await runApprovals(args, { stdout, stderr, home, env: { MANDATE_HOME: home } });
  return { code, out: Buffer.concat(out).toString(), err: Buffer.concat(err).toString() };
}

let home: string;
const ID = 'apr_01JCLI0000000000000000000';
beforeEach(async () => {
  home = tempHome();
  const store = openStore(home);
  await store.createApproval({
    approval_id: ID, call_id: 'CALL1', user: 'alice', agent: 'assistant', client: 'desk-app', tool: 'slack_post_message',
    args_digest: 'd'.repeat(64), args: { text: 'hi' }, summary: 'post: hi', expires_at: new Date(Date.now() + 600_000).toISOString(),
  });
  await store.close();
});

const statusOf = async () => {
  const store = openStore(home);
  try {
    return await store.getApproval(ID);
  } finally {
    await store.close();
  }
};

describe('mandate approvals approve|deny', () => {
  test('the owner of the state directory decides, as os:<username>, and the decision is a verifying chain record', async () => {
    const r = await cli(home, 'approve', ID);
    expect(r).toMatchObject({ code: 0, out: `approved ${ID}: post: hi\n` });
    expect(await statusOf()).toMatchObject({ status: 'approved', approver: `os:${os.userInfo().username}`, channel: 'cli', receipt: expect.stringMatching(/^ey/) });
    const store = openStore(home);
    const [rec] = await store.readAudit({ callId: ID });
    expect(rec).toMatchObject({ event: 'approval_decided', approver: `os:${os.userInfo().username}`, decision: 'approved' });
    expect(await verifyStore(store, null, { receiptKey: (await loadAuditKey(home))!.publicKey })).toMatchObject({ ok: true, count: 1 });
    await store.close();
  });

  test('anyone else is refused, and nothing changes', async () => {
    const uid = process.getuid!();
    expect(notOwnerReason(home, uid)).toBeNull();
    expect(notOwnerReason(home, uid + 1)).toBe(`only the owner of the state directory ${home} (uid ${uid}) may decide approvals from the command line; you are uid ${uid + 1}`);
    if (uid !== 0) return; // giving the directory to someone else needs root
    chownSync(home, 65534, 65534);
    for (const sub of ['approve', 'deny']) {
      expect(await cli(home, sub, ID)).toEqual({
        code: 1, out: '', err: `mandate approvals ${sub}: only the owner of the state directory ${home} (uid 65534) may decide approvals from the command line; you are uid 0\n`,
      });
    }
    chownSync(home, 0, 0);
    expect(await statusOf()).toMatchObject({ status: 'pending', receipt: null });
  });

  test('approvals.presence "passkey": the CLI refuses and points to the console', async () => {
    writeFileSync(join(home, 'config.json'), JSON.stringify({ approvals: { presence: 'passkey' } }));
    expect(await cli(home, 'deny', ID, '--reason', 'no')).toEqual({
      code: 1, out: '', err: 'mandate approvals deny: this approval needs a passkey: open the console (mandate approvals ui)\n',
    });
    expect((await statusOf())!.status).toBe('pending');
  });

  test('mandate config schema shows approvals.presence and approvals.approvers', () => {
    const approvals = (configJsonSchema() as { properties: { approvals: { properties: Record<string, unknown> } } }).properties.approvals.properties;
    expect(approvals.presence).toMatchObject({ enum: ['none', 'passkey'], default: 'none' });
    expect(approvals.approvers).toMatchObject({ type: 'array', items: { type: 'string' }, default: [] });
  });
});
