// Approvals for MCP 2026-07-28 clients as input-required results (MCP26-MRTR): the first
// call answers `resultType: "input_required"` with a URL-mode elicitation to the approval
// console (its address, never its secret: invariant 9) or, where elicitation is trusted, a
// form; the retry carries the sealed requestState. A tampered, replayed or other agent's
// state is refused (-32602) with an audit record; a 2025 client keeps today's behaviour.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/client';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { decideApproval } from '../../src/approvals/decisions.js';
import { homeReceiptSigner } from '../../src/audit/receipt.js';
import { sc } from '../helpers/cli.js';
import { bearerFor, connectHttp, startHttpMandate, type HttpMandate } from '../helpers/http.js';
import { modernRequest } from '../helpers/modern.js';

const CONSOLE = 'http://127.0.0.1:8788/';

async function approve(m: HttpMandate, id: string) {
  await decideApproval({ store: m.runtime.services.store, signer: homeReceiptSigner(m.home) }, id, { decision: 'approved', approver: 'os:tester', method: 'cli', reason: null });
}

async function refusals(m: HttpMandate) {
  return (await m.runtime.services.store.readAudit()).filter((r) => r.error_code === 'invalid_request_state').map((r) => r.reason ?? '');
}

describe('URL-mode approval (approvals.elicitation off, the default)', () => {
  let m: HttpMandate;
  let token: string;
  let other: string;
  beforeAll(async () => {
    m = await startHttpMandate({ approvals: { waitSeconds: 0 }, agents: { other: {} } });
    m.runtime.services.approvalConsoleUrl = CONSOLE;
    token = await bearerFor(m);
    other = await bearerFor(m, 'other');
  });
  afterAll(async () => { await m?.close(); });

  const post = (t: string, text: string, extra: Record<string, unknown> = {}) => modernRequest(m.url, t, 'tools/call',
    { name: 'slack_post_message', arguments: { channel: '#support-updates', text }, ...extra }, { elicitation: { url: {} } });

  it('MCP26-MRTR: input_required with the console URL (no secret); the retry with the state runs once approved; a replay is refused', async () => {
    const text = `mrtr ${Date.now()}`;
    const first = await post(token, text);
    expect(first.status).toBe(200);
    const r = first.body.result!;
    expect(r.resultType).toBe('input_required');
    const ask = r.inputRequests.approval;
    expect(ask).toMatchObject({ method: 'elicitation/create', params: { mode: 'url' } });
    const url = new URL(ask.params.url);
    expect(`${url.origin}/`).toBe(CONSOLE);
    expect(url.hash).toBe('');
    const approvalId = url.searchParams.get('approval')!;
    expect(approvalId).toMatch(/^apr_/);
    expect([...url.searchParams.keys()]).toEqual(['approval']);
    expect(typeof r.requestState).toBe('string');
    expect(r._meta['mandate/call_id']).toBeTruthy();

    // Not yet approved: the retry (after a wait of approvals.waitSeconds) says approval_pending.
    // That spends the state; the next round starts afresh and is asked again.
    const early = await post(token, text, { requestState: r.requestState, inputResponses: { approval: { action: 'accept' } } });
    expect(early.body.result!.structuredContent.error).toMatchObject({ code: 'approval_pending', approval_id: approvalId });

    const again = (await post(token, text)).body.result!;
    expect(again.resultType).toBe('input_required');
    await approve(m, approvalId);
    const done = await post(token, text, { requestState: again.requestState, inputResponses: { approval: { action: 'accept' } } });
    expect(done.body.result!.isError ?? false).toBe(false);
    expect(done.body.result!.structuredContent.text).toBe(text);
    expect(done.body.result!.resultType).toBe('complete');

    const replay = await post(token, text, { requestState: again.requestState, inputResponses: { approval: { action: 'accept' } } });
    expect(replay.body.error).toMatchObject({ code: -32602 });
    expect(replay.body.error!.message).toMatch(/already used/);
    expect((await refusals(m)).some((x) => x.includes('(replayed)'))).toBe(true);
  });

  it('MCP26-MRTR: a tampered state and another agent\'s state are refused with an audit record', async () => {
    const text = `tamper ${Date.now()}`;
    const r = (await post(token, text)).body.result!;
    const tampered = await post(token, text, { requestState: `${r.requestState}-TAMPERED`, inputResponses: { approval: { action: 'accept' } } });
    expect(tampered.body.error).toMatchObject({ code: -32602 });
    expect(tampered.body.error!.message).toMatch(/integrity/);

    const stolen = await post(other, text, { requestState: r.requestState, inputResponses: { approval: { action: 'accept' } } });
    expect(stolen.body.error).toMatchObject({ code: -32602 });
    expect(stolen.body.error!.message).toMatch(/another call/);
    const reasons = await refusals(m);
    expect(reasons.some((x) => x.includes('(tampered)'))).toBe(true);
    expect(reasons.some((x) => x.includes('(mismatch)') && x.includes('agent'))).toBe(true);
  });

  it('a 2025 client is not asked: it gets approval_pending and repeats the identical call (today\'s behaviour)', async () => {
    const client = await connectHttp(m.url, token, { elicitation: { url: {} } });
    const text = `legacy ${Date.now()}`;
    const r = sc(await client.callTool({ name: 'slack_post_message', arguments: { channel: '#support-updates', text } }));
    expect(r.error.code).toBe('approval_pending');
    await approve(m, r.error.approval_id);
    expect(sc(await client.callTool({ name: 'slack_post_message', arguments: { channel: '#support-updates', text } })).text).toBe(text);
    await client.close();
  });
});

describe('form approval where elicitation is trusted, with the SDK v2 client on 2026-07-28', () => {
  let m: HttpMandate;
  beforeAll(async () => { m = await startHttpMandate({ approvals: { elicitation: true, waitSeconds: 1 } }); });
  afterAll(async () => { await m?.close(); });

  async function modernClient(answer: 'accept' | 'decline') {
    const token = await bearerFor(m);
    const client = new Client({ name: 'mandate-e2e-v2', version: '1.0.0' }, {
      capabilities: { elicitation: { form: {} } },
      versionNegotiation: { mode: { pin: '2026-07-28' } },
    });
    const asked: string[] = [];
    client.setRequestHandler('elicitation/create', async (req) => {
      asked.push(req.params.message);
      return answer === 'accept' ? { action: 'accept', content: { confirm: true } } : { action: 'decline' };
    });
    await client.connect(new StreamableHTTPClientTransport(new URL(m.url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    expect(client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
    return { client, asked };
  }

  it('MCP26-MRTR: the client shows the form, retries with the answer, and the call runs', async () => {
    const { client, asked } = await modernClient('accept');
    const text = `form ${Date.now()}`;
    const r = await client.callTool({ name: 'slack_post_message', arguments: { channel: '#support-updates', text } });
    expect(asked).toHaveLength(1);
    expect(asked[0]).toContain('slack_post_message');
    expect(sc(r).text).toBe(text);
    const events = (await m.runtime.services.store.readAudit()).filter((e) => e.call_id === (r._meta as any)['mandate/call_id']).map((e) => e.event);
    expect(events).toContain('approved');
    await client.close();
  });

  it('a declined form is approval_rejected', async () => {
    const { client } = await modernClient('decline');
    const r = sc(await client.callTool({ name: 'slack_post_message', arguments: { channel: '#support-updates', text: `no ${Date.now()}` } }));
    expect(r.error.code).toBe('approval_rejected');
    await client.close();
  });
});
