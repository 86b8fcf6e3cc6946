// Decisions, expiries and revocations are audit records, not only rows of mutable tables
// (issue #11, attack 3): each joins the hash chain in the same transaction as the change it
// records, a decision with its signed receipt, and the chain still verifies.
import { afterAll, afterEach, beforeEach, describe, expect, test } from 'vitest';
import { decideApproval } from '../../src/approvals/decisions.js';
import { loadOrCreateAuditKey } from '../../src/audit/checkpoint.js';
import { RECEIPT_TYP, decodeReceipt, homeReceiptSigner, verifyReceipt } from '../../src/audit/receipt.js';
import { verifyStore } from '../../src/audit/verify.js';
import { openStore } from '../../src/store/index.js';
import type { SqliteStore } from '../../src/store/index.js';
import type { NewApproval } from '../../src/store/types.js';
import { cleanupHomes, tempHome } from '../store/helpers.js';
import { runRevoke } from '../../src/cli/commands/revoke.js';
import os from 'node:os';
import { PassThrough } from 'node:stream';

const T0 = Date.parse('2025-03-01T10:00:00.000Z');
const MIN = 60_000;

let home: string;
let store: SqliteStore;
beforeEach(() => {
  home = tempHome();
  store = openStore(home);
});
afterEach(() => store.close());
afterAll(cleanupHomes);

const request = (over: Partial<NewApproval> = {}): NewApproval => ({
  approval_id: `apr_${Math.random().toString(36).slice(2, 12)}`,
  call_id: '01JCALL0000000000000000001', user: 'alice', agent: 'assistant', client: 'desk-app', tool: 'slack_post_message',
  args_digest: 'd'.repeat(64), args: { channel: '#general', text: 'hi' }, summary: 'post to #general: "hi"',
  created_at: new Date(T0).toISOString(), expires_at: new Date(T0 + 15 * MIN).toISOString(), ...over,
});
const deps = () => ({ store, signer: homeReceiptSigner(home) });

describe('decideApproval', () => {
  test('moves the approval, signs a receipt over the exact call, and records approval_decided carrying it', async () => {
    const a = await store.createApproval(request());
    const { approval, receipt } = await decideApproval(deps(), a.approval_id, {
      decision: 'approved', approver: 'os:dana', method: 'cli', now: new Date(T0 + MIN),
    });
    expect(approval).toMatchObject({ status: 'approved', approver: 'os:dana', channel: 'cli', receipt });

    const key = await loadOrCreateAuditKey(home);
    expect(await verifyReceipt(receipt, key.publicKey)).toEqual({
      approval_id: a.approval_id, call_id: a.call_id, user: 'alice', agent: 'assistant', client: 'desk-app',
      tool: 'slack_post_message', args_digest: 'd'.repeat(64), decision: 'approved', approver: 'os:dana', method: 'cli',
      decided_at: new Date(T0 + MIN).toISOString(), expires_at: a.expires_at,
    });
    expect(decodeReceipt(receipt).header).toEqual({ alg: 'EdDSA', typ: RECEIPT_TYP, kid: key.kid });

    const [rec] = await store.readAudit({ callId: a.approval_id });
    expect(rec).toMatchObject({
      event: 'approval_decided', approval_id: a.approval_id, tool: 'slack_post_message', user: 'alice', agent: 'assistant',
      client: 'desk-app', decision: 'approved', approver: 'os:dana', reason: 'approved via cli', receipt,
    });
    expect(await verifyStore(store, null, { receiptKey: key.publicKey })).toMatchObject({ ok: true, count: 1 });
  });

  test('a rejection is recorded with its reason; a second decision records nothing', async () => {
    const a = await store.createApproval(request());
    await decideApproval(deps(), a.approval_id, { decision: 'rejected', approver: 'user:alice', method: 'elicitation', reason: 'not today', now: new Date(T0 + MIN) });
    await expect(decideApproval(deps(), a.approval_id, { decision: 'approved', approver: 'os:dana', method: 'cli' })).rejects.toMatchObject({ code: 'not_pending' });
    await expect(decideApproval(deps(), 'apr_nope', { decision: 'approved', approver: 'os:dana', method: 'cli' })).rejects.toMatchObject({ code: 'not_found' });
    const records = await store.readAudit({});
    expect(records.map((r) => [r.event, r.decision, r.reason])).toEqual([['approval_decided', 'rejected', 'rejected via elicitation: not today']]);
  });

  test('deciding one found expired records approval_expired, not a decision', async () => {
    const a = await store.createApproval(request({ expires_at: new Date(Date.now() - 1000).toISOString() }));
    await expect(decideApproval(deps(), a.approval_id, { decision: 'approved', approver: 'os:dana', method: 'cli' })).rejects.toMatchObject({ code: 'expired' });
    expect((await store.readAudit({})).map((r) => r.event)).toEqual(['approval_expired']);
  });
});

describe('expiry and revocation are chain records', () => {
  test('expireApprovals writes one approval_expired per approval, once even when two processes expire at once', async () => {
    const a = await store.createApproval(request());
    const b = await store.createApproval(request());
    await decideApproval(deps(), b.approval_id, { decision: 'approved', approver: 'os:dana', method: 'cli', now: new Date(T0 + MIN) });
    const other = openStore(home);
    const [mine, theirs] = await Promise.all([store.expireApprovals(T0 + 30 * MIN), other.expireApprovals(T0 + 30 * MIN)]);
    await other.close();
    expect([...mine, ...theirs].map((x) => x.approval_id).sort()).toEqual([a.approval_id, b.approval_id].sort());
    const expired = (await store.readAudit({})).filter((r) => r.event === 'approval_expired');
    expect(expired.map((r) => r.approval_id).sort()).toEqual([a.approval_id, b.approval_id].sort());
    expect(expired.find((r) => r.approval_id === b.approval_id)).toMatchObject({ outcome: 'expired', approver: 'os:dana', user: 'alice', tool: 'slack_post_message' });
    expect(await store.expireApprovals(T0 + 60 * MIN)).toEqual([]);
    expect((await store.readAudit({})).filter((r) => r.event === 'approval_expired')).toHaveLength(2);
    expect(await verifyStore(store, null, { receiptKey: (await loadOrCreateAuditKey(home)).publicKey })).toMatchObject({ ok: true });
  });

  test('revoke writes a revoked record with agent, tool, user and who revoked', async () => {
    await store.revoke({ agent: 'assistant', tool: 'slack_post_message', user: 'alice', by: 'os:dana', reason: 'left the team' });
    await store.revoke({ agent: 'assistant' });
    const records = await store.readAudit({});
    expect(records).toMatchObject([
      { event: 'revoked', call_id: expect.stringMatching(/^evt_[0-9A-Z]{26}$/), agent: 'assistant', tool: 'slack_post_message', user: 'alice', approver: 'os:dana', reason: 'left the team' },
      { event: 'revoked', agent: 'assistant', tool: '', user: null, approver: null, reason: 'revoked the delegation' },
    ]);
    expect(await verifyStore(store)).toMatchObject({ ok: true, count: 2 });
  });

  test('mandate revoke leaves a revoked record naming who revoked, as os:<username>', async () => {
    const out = new PassThrough();
    out.resume();
    const code = await runRevoke(['--agent', 'assistant', '--tool', 'slack_post_message', '--user', 'alice'], { stdout: out, stderr: out, home, env: {} });
    expect(code).toBe(0);
    const [rec] = await store.readAudit({});
    expect(rec).toMatchObject({ event: 'revoked', agent: 'assistant', tool: 'slack_post_message', user: 'alice', approver: `os:${os.userInfo().username}` });
  });
});
