// Issue #11, attack 2, over a running server: the approval user A gave agent X is not spent
// by agent X acting for user B (the same tool, the same arguments). B's call is pipelined in
// process with B's identity (it ends at the approval gate, before any token); A's go through
// the real HTTP transport. Then `mandate audit verify` checks the receipt A's call spent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { bearerFor, connectHttp, startHttpMandate, type HttpMandate } from '../helpers/http.js';
import { mandateAsync, sc } from '../helpers/cli.js';
import { runToolCall } from '../../src/pipeline/index.js';
import { decideApproval } from '../../src/approvals/decisions.js';
import { homeReceiptSigner } from '../../src/audit/receipt.js';

describe("an approval is bound to the user it was asked for", () => {
  let m: HttpMandate;
  let alice: Client;
  beforeAll(async () => {
    m = await startHttpMandate({ approvals: { waitSeconds: 0 } });
    alice = await connectHttp(m.url, await bearerFor(m));
  });
  afterAll(async () => {
    await alice?.close().catch(() => undefined);
    await m?.close();
  });

  it("user B's identical call through the same agent gets its own request; A's retry spends A's approval", async () => {
    const args = { channel: '#general', text: 'Quarterly numbers are out' };
    const posts = () => m.runtime.sandbox!.emulators.slack.requests.filter((r) => r.path.endsWith('/chat.postMessage')).length;
    const first = sc(await alice.callTool({ name: 'slack_post_message', arguments: args }));
    expect(first.error.code).toBe('approval_pending');
    const mine = first.error.approval_id as string;
    const a = (await m.runtime.services.store.getApproval(mine))!;
    await decideApproval({ store: m.runtime.services.store, signer: homeReceiptSigner(m.home) }, mine, { decision: 'approved', approver: `user:${a.user}`, method: 'oidc' });

    const bob = { user: 'bob', client: a.client!, agent: a.agent, actorChain: [a.agent], sessionId: 'bob-session' };
    const theirs = await runToolCall(m.runtime.services, bob, { name: 'slack_post_message', arguments: args, mcpRequestId: 1, signal: new AbortController().signal });
    expect(sc(theirs).error.code).toBe('approval_pending');
    expect(sc(theirs).error.approval_id).not.toBe(mine);
    expect((await m.runtime.services.store.getApproval(mine))!.status).toBe('approved');
    expect(posts()).toBe(0);

    const retry = await alice.callTool({ name: 'slack_post_message', arguments: args });
    expect(retry.isError).toBeFalsy();
    expect((await m.runtime.services.store.getApproval(mine))!.status).toBe('used');
    expect(posts()).toBe(1);

    const env: NodeJS.ProcessEnv = { ...process.env, MANDATE_HOME: m.home, MANDATE_SECRETS: 'file' };
    delete env.MANDATE_CONFIG;
    const v = await mandateAsync(['audit', 'verify'], env);
    expect(v.stderr).toBe('');
    expect(v.code).toBe(0);
  });
});
