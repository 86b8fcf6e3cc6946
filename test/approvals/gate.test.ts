// The approval gate in process, over an in-memory store: an approval serves only the
// (user, agent, client, tool, args digest) it was asked for (invariant 9). Agent X acting for
// user B, or through another client, gets a request of its own, never user A's approval.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/index.js';
import type { SqliteStore } from '../../src/store/index.js';
import { ApprovalGate } from '../../src/approvals/gate.js';
import type { GateRequest } from '../../src/approvals/gate.js';
import type { Identity } from '../../src/identity/types.js';

const tool = { name: 'slack_post_message', summarize: (a: { text: string }) => `post: ${a.text}` } as unknown as GateRequest['tool'];
const alice: Identity = { user: 'alice', client: 'desk-app', agent: 'assistant', actorChain: ['assistant'], sessionId: 's1' };

let store: SqliteStore;
let gate: ApprovalGate;
let n = 0;
beforeEach(() => {
  store = openSqliteStore(':memory:');
  gate = new ApprovalGate({ store, signer: { sign: async () => 'unsigned' } }, { waitSeconds: 0, ttlSeconds: 900 });
});
afterEach(() => store.close());

const pass = (identity: Identity) =>
  gate.pass({
    identity, tool, args: { text: 'hi' }, displayArgs: { text: 'hi' }, argsDigest: 'd'.repeat(64),
    callId: `call-${++n}`, signal: new AbortController().signal,
  });

describe('approval gate', () => {
  it.each([
    ['another user', { ...alice, user: 'bob' }],
    ['another client', { ...alice, client: 'other-app' }],
  ])("A's approval is not consumed by %s's identical call: it gets a request of its own", async (_what, other) => {
    const first = await pass(alice);
    expect(first.status).toBe('pending');
    await store.decideApproval(first.approval.approval_id, { decision: 'approved', approver: 'os:alice', channel: 'cli' });

    const theirs = await pass(other);
    expect(theirs.status).toBe('pending');
    expect(theirs.approval.approval_id).not.toBe(first.approval.approval_id);
    expect(theirs.approval).toMatchObject({ user: other.user, client: other.client, status: 'pending' });
    expect((await store.getApproval(first.approval.approval_id))!.status).toBe('approved');

    const mine = await pass(alice);
    expect(mine).toMatchObject({ status: 'approved', approval: { approval_id: first.approval.approval_id, status: 'used' } });
  });

  it("a denial is reported only to the identity it was asked for", async () => {
    const first = await pass(alice);
    await store.decideApproval(first.approval.approval_id, { decision: 'rejected', approver: 'os:alice', channel: 'cli' });
    expect((await pass({ ...alice, user: 'bob' })).status).toBe('pending');
    expect((await pass({ ...alice, client: 'other-app' })).status).toBe('pending');
    expect((await pass(alice)).status).toBe('rejected');
  });

  it("a pending request is joined only by the same user and client", async () => {
    const first = await pass(alice);
    const again = await pass(alice);
    expect(again.approval.approval_id).toBe(first.approval.approval_id);
    const viaOther = await pass({ ...alice, client: 'other-app' });
    expect(viaOther.approval.approval_id).not.toBe(first.approval.approval_id);
  });
});
