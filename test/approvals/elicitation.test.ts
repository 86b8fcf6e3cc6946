// Approval through MCP elicitation, with the SDK's Client answering the form: accepted, the call
// runs; declined (or accepted unticked), it is rejected; cancelled, it waits for a human out of
// band. Only when the config trusts elicitation (`approvals.elicitation: true`) and the client
// declared the capability is the client ever asked, and the form asks for nothing secret.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ElicitRequestSchema, type ElicitRequest, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { bearerFor, connectHttp, startHttpMandate, type HttpMandate } from '../helpers/http.js';
import { connectStdio, sc, tempHome, type StdioSession } from '../helpers/cli.js';

type Answer = (req: ElicitRequest['params']) => ElicitResult;

/** Makes `client` answer elicitations with `answer`, keeping every request it got. */
function answering(client: Client, answer: Answer): Array<ElicitRequest['params']> {
  const asked: Array<ElicitRequest['params']> = [];
  client.setRequestHandler(ElicitRequestSchema, async (req) => {
    asked.push(req.params);
    return answer(req.params);
  });
  return asked;
}

const post = (client: Client, text: string) =>
  client.callTool({ name: 'slack_post_message', arguments: { channel: '#general', text } });

describe('approvals.elicitation: true (over Streamable HTTP)', () => {
  let m: HttpMandate;
  let token: string;
  const clients: Client[] = [];
  const posts = () => m.runtime.sandbox!.emulators.slack.requests.filter((r) => r.path.endsWith('/chat.postMessage')).length;
  const connect = async (caps: Record<string, unknown>) => {
    const c = await connectHttp(m.url, token, caps);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    m = await startHttpMandate({ approvals: { elicitation: true, waitSeconds: 1 } });
    token = await bearerFor(m);
  });
  afterAll(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    await m?.close();
  });

  it('MCP-ELICIT-NOSECRET: accept {confirm: true} runs the call; the form shows the summary and asks only for a yes/no', async () => {
    const client = await connect({ elicitation: {} });
    let unanswered = -1;
    const asked = answering(client, () => {
      unanswered = posts();
      return { action: 'accept', content: { confirm: true } };
    });
    const text = 'Release 2.4 is live; notes in the wiki';
    const result = await post(client, text);

    expect(result.isError).toBeFalsy();
    expect(sc(result)).toMatchObject({ text, channel: expect.stringMatching(/^C/) });
    expect(asked).toHaveLength(1);
    expect(unanswered).toBe(0); // nothing was posted before the human answered
    expect(posts()).toBe(1);
    const form = asked[0]!;
    expect(form.message).toContain(`post to #general: "${text}"`);
    expect(form.message).toContain('demo-agent');
    // A form of one yes/no field: no password, key, token or any free text to type into.
    const props = (form as { requestedSchema: { properties: Record<string, { type: string; format?: string }> } }).requestedSchema.properties;
    expect(Object.keys(props)).toEqual(['confirm']);
    for (const [name, p] of Object.entries(props)) {
      expect(p.type, name).toBe('boolean');
      expect(name).not.toMatch(/pass|secret|token|key|credential/i);
    }
    const approval = (await m.runtime.services.store.listApprovals({ status: 'used' })).find((a) => (a.args as { text?: string }).text === text);
    expect(approval).toMatchObject({ channel: 'elicitation', tool: 'slack_post_message', agent: 'demo-agent' });
  });

  it('decline, or accept without the box ticked, gives approval_rejected and posts nothing', async () => {
    const client = await connect({ elicitation: {} });
    const answers: ElicitResult[] = [{ action: 'decline' }, { action: 'accept', content: { confirm: false } }];
    const asked = answering(client, () => answers[asked.length - 1]!);
    const before = posts();
    for (const text of ['Salary bands for 2026 attached', 'All hands moved to Friday']) {
      const result = await post(client, text);
      expect(result.isError, text).toBe(true);
      expect(sc(result).error.code, text).toBe('approval_rejected');
      expect(sc(result).error.approval_id, text).toMatch(/^apr_/);
    }
    expect(asked).toHaveLength(2);
    expect(posts()).toBe(before);
  });

  it('cancel is no decision: the call stays approval_pending for a human out of band', async () => {
    const client = await connect({ elicitation: {} });
    const asked = answering(client, () => ({ action: 'cancel' }));
    const before = posts();
    const result = await post(client, 'Ping the on-call channel');
    expect(sc(result).error.code).toBe('approval_pending');
    expect(asked).toHaveLength(1);
    expect(posts()).toBe(before);
    const pending = await m.runtime.services.store.getApproval(sc(result).error.approval_id);
    expect(pending?.status).toBe('pending');
  });

  it('a client failing to answer the form leaves the call approval_pending, not an error', async () => {
    const client = await connect({ elicitation: {} });
    client.setRequestHandler(ElicitRequestSchema, async () => { throw new Error('the form could not be shown'); });
    const result = await post(client, 'Standup notes are in the doc');
    expect(sc(result).error.code).toBe('approval_pending');
  });

  it('MCP-ELICIT-CAP: a client without form elicitation (none, or URL mode only) is never sent a form and gets approval_pending', async () => {
    for (const [i, caps] of [{}, { elicitation: { url: {} } }].entries()) {
      const client = await connect(caps);
      const result = await post(client, `Lunch order closes at noon (${i})`);
      expect(sc(result).error.code, JSON.stringify(caps)).toBe('approval_pending');
    }
  });
});

describe('approvals.elicitation off (the default, over stdio)', () => {
  let session: StdioSession;
  beforeAll(async () => {
    const { env } = tempHome({ approvals: { waitSeconds: 0 } });
    session = await connectStdio(env, [], { elicitation: {} });
  });
  afterAll(async () => { await session?.close(); });

  it('MCP-ELICIT-CAP: a client declaring elicitation is not asked; a headless client cannot approve its own call', async () => {
    const asked = answering(session.client, () => ({ action: 'accept', content: { confirm: true } }));
    const result = await post(session.client, 'Deploy finished');
    expect(result.isError).toBe(true);
    expect(sc(result).error.code).toBe('approval_pending');
    expect(asked).toHaveLength(0);
  });
});
