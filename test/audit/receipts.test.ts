// `mandate audit verify` checks every approval receipt: a forged one (signed with another
// key), an edited one (payload changed after signing) and a swapped one (a valid receipt of
// another approval referenced by a call) are each named, with a non-zero exit. Bad records
// are appended through the store, as a writer that bypassed Mandate's checks would.
import { afterAll, afterEach, beforeEach, describe, expect, test } from 'vitest';
import { PassThrough } from 'node:stream';
import { decideApproval } from '../../src/approvals/decisions.js';
import { loadOrCreateAuditKey } from '../../src/audit/checkpoint.js';
import { approvalDecidedInput } from '../../src/audit/events.js';
import { homeReceiptSigner, receiptRef, signReceipt, verifyReceipt } from '../../src/audit/receipt.js';
import type { AuditInput } from '../../src/audit/record.js';
import { runAudit } from '../../src/cli/commands/audit.js';
import { openStore } from '../../src/store/index.js';
import type { SqliteStore } from '../../src/store/index.js';
import type { Approval } from '../../src/store/types.js';
import { cleanupHomes, tempHome } from '../store/helpers.js';

afterAll(cleanupHomes);
afterEach(() => store.close());

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
let store: SqliteStore;
let slack: { approval: Approval; receipt: string };
let crm: { approval: Approval; receipt: string };

async function approved(tool: string, callId: string, digest: string): Promise<{ approval: Approval; receipt: string }> {
  const a = await store.createApproval({
    approval_id: `apr_${callId}`, call_id: callId, user: 'alice', agent: 'assistant', client: 'desk-app', tool, args_digest: digest,
    args: { text: 'hi' }, summary: 's', expires_at: new Date(Date.now() + 600_000).toISOString(),
  });
  return decideApproval({ store, signer: homeReceiptSigner(home) }, a.approval_id, { decision: 'approved', approver: 'os:dana', method: 'cli' });
}

/** The records of a call that spent `a` (approved, then executed), referencing `ref`. */
function spend(a: Approval, ref: string | null, over: Partial<AuditInput> = {}): AuditInput[] {
  const base: AuditInput = {
    call_id: over.call_id ?? `call_for_${a.approval_id}`, event: 'approved', tool: a.tool, user: a.user, agent: a.agent, client: a.client,
    args_digest: a.args_digest, approval_id: a.approval_id, approver: a.approver, decision: 'approve', ...(ref ? { receipt: ref } : {}), ...over,
  };
  return [base, { ...base, event: 'executed', outcome: 'ok' }];
}

beforeEach(async () => {
  home = tempHome();
  store = openStore(home);
  slack = await approved('slack_post_message', 'CALLSLACK', 'a'.repeat(64));
  crm = await approved('crm_create_note', 'CALLCRM', 'b'.repeat(64));
});

const verifyLine = async () => {
  await store.close();
  const r = await cli(home, 'verify');
  store = openStore(home);
  return r;
};

describe('audit verify and receipts', () => {
  test('a trail whose calls reference their own receipts verifies', async () => {
    await store.appendAudit(spend(slack.approval, receiptRef(slack.receipt)));
    await store.appendAudit(spend(crm.approval, receiptRef(crm.receipt)));
    expect(await verifyLine()).toEqual({ code: 0, out: 'verified 6 records\n', err: '' });
  });

  test('a forged receipt (signed with another key) is named', async () => {
    const otherKey = await loadOrCreateAuditKey(tempHome());
    const a = await store.createApproval({
      approval_id: 'apr_FORGED', call_id: 'CALLFORGED', user: 'alice', agent: 'assistant', client: 'desk-app', tool: 'slack_post_message',
      args_digest: 'c'.repeat(64), args: {}, summary: 's', expires_at: new Date(Date.now() + 600_000).toISOString(),
    });
    const forged = await signReceipt({
      approval_id: a.approval_id, call_id: a.call_id, user: 'alice', agent: 'assistant', client: 'desk-app', tool: a.tool,
      args_digest: a.args_digest, decision: 'approved', approver: 'os:dana', method: 'cli', decided_at: new Date().toISOString(), expires_at: a.expires_at,
    }, otherKey);
    const [rec] = await store.appendAudit([approvalDecidedInput(a, { decision: 'approved', approver: 'os:dana', method: 'cli', receipt: forged })]);
    expect(await verifyLine()).toEqual({
      code: 1, out: '', err: `receipt of approval apr_FORGED (seq ${rec!.seq}, call_id apr_FORGED): signature does not verify\n`,
    });
  });

  test('an edited receipt (its payload changed after signing) is named', async () => {
    const [h, , sig] = slack.receipt.split('.');
    const payload = { ...(await verifyReceipt(slack.receipt, (await loadOrCreateAuditKey(home)).publicKey)), approval_id: 'apr_EDITED', tool: 'crm_create_note' };
    const edited = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${sig}`;
    const a = { ...slack.approval, approval_id: 'apr_EDITED', tool: 'crm_create_note' };
    const [rec] = await store.appendAudit([approvalDecidedInput(a, { decision: 'approved', approver: 'os:dana', method: 'cli', receipt: edited })]);
    expect((await verifyLine()).err).toBe(`receipt of approval apr_EDITED (seq ${rec!.seq}, call_id apr_EDITED): signature does not verify\n`);
  });

  test('a swapped receipt (a valid one of another approval referenced by a call) is named', async () => {
    const [, executed] = await store.appendAudit(spend(crm.approval, receiptRef(slack.receipt)));
    const r = await verifyLine();
    expect(r.code).toBe(1);
    // The first record referencing it (approved) is named.
    expect(r.err).toBe(`receipt of approval apr_CALLSLACK (seq ${executed!.seq - 1}, call_id call_for_apr_CALLCRM): it approved slack_post_message but the call ran crm_create_note\n`);
  });

  test("a call that spent an approval but does not reference its receipt, or a receipt spent twice, is named", async () => {
    await store.appendAudit(spend(crm.approval, null));
    expect((await verifyLine()).err).toMatch(/^receipt of approval apr_CALLCRM \(seq 3, call_id call_for_apr_CALLCRM\): the call ran on it but its record does not reference the receipt\n$/);

    const fresh = tempHome();
    await store.close();
    store = openStore(fresh);
    home = fresh;
    slack = await approved('slack_post_message', 'CALLSLACK', 'a'.repeat(64));
    await store.appendAudit(spend(slack.approval, receiptRef(slack.receipt)));
    await store.appendAudit(spend(slack.approval, receiptRef(slack.receipt), { call_id: 'SECOND_CALL' }));
    expect((await verifyLine()).err).toBe('receipt of approval apr_CALLSLACK (seq 4, call_id SECOND_CALL): it was already spent by call call_for_apr_CALLSLACK (an approval serves one call)\n');
  });

  test('a receipt that disagrees with its own record, and a call with other arguments or user, are named', async () => {
    await store.appendAudit(spend(slack.approval, receiptRef(slack.receipt), { user: 'bob' }));
    expect((await verifyLine()).err).toContain("it approved user alice but the call's user is bob");
  });

  test('audit show prints the receipt a call spent, decoded', async () => {
    await store.appendAudit(spend(slack.approval, receiptRef(slack.receipt)));
    await store.close();
    const r = await cli(home, 'show', 'call_for_apr_CALLSLACK');
    store = openStore(home);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`receipt of approval apr_CALLSLACK (${receiptRef(slack.receipt)}):`);
    expect(r.out).toContain('"typ": "mandate-approval-receipt+jws"');
    expect(r.out).toContain('"approver": "os:dana"');
    const tail = await cli(home, 'tail');
    expect(tail.out).toMatch(/approval_decided\s+assistant → slack_post_message for alice {2}approved by os:dana \(approved via cli\) {2}apr_CALLSLACK {2}apr_CALLSLACK/);
  });
});
