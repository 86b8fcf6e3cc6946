// Intent and task, and parent and child agents, end to end over Streamable HTTP: the purpose
// and task a client sends in `_meta` reach every audit record and `audit tail --task`; the task
// and the nested actor chain reach the per-tool token (decoded here as the upstream got it); a
// child never gets more than its parent, and the parent's revocation is the child's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { bearerFor, connectHttp, startHttpMandate, type HttpMandate } from '../helpers/http.js';
import { mandate, sc } from '../helpers/cli.js';
import { modernRequest } from '../helpers/modern.js';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';

let m: HttpMandate;
let client: Client;
const env = () => ({ ...process.env, MANDATE_HOME: m.home, MANDATE_SECRETS: 'file', MANDATE_LOG_LEVEL: 'silent' });
const config = {
  agents: {
    lead: { tools: { slack_post_message: 'allow', slack_reply_in_thread: 'deny', 'crm_*': 'deny' } },
    helper: { parent: 'lead', requirePurpose: true, tools: { 'slack_*': 'allow', 'crm_*': 'allow' } },
  },
};

beforeAll(async () => {
  m = await startHttpMandate(config);
  await m.runtime.identity.ready;
  client = await connectHttp(m.url, await bearerFor(m, 'helper'));
});
afterAll(async () => { await client?.close(); await m?.close(); });

const slackTokens = () => m.runtime.sandbox!.emulators.slack.requests.filter((r) => r.path.endsWith('chat.postMessage')).map((r) => r.token!);
const post = (text: string, meta?: Record<string, unknown>) =>
  client.callTool({ name: 'slack_post_message', arguments: { channel: '#general', text }, ...(meta ? { _meta: meta } : {}) });
const records = (callId: string) => mandate(['audit', 'show', callId, '--json'], env()).stdout.trim().split('\n').map((l) => JSON.parse(l));

describe('intent and task', () => {
  it('purpose and task go into every record of the call and into the per-tool token; a new task gets its own token', async () => {
    const r = await post('Weekly update: all green.', { 'mandate/purpose': 'Tell the team the weekly status', 'mandate/task_id': 'task-42' });
    expect(r.isError ?? false).toBe(false);
    const callId = (r._meta as Record<string, string>)['mandate/call_id']!;
    const recs = records(callId);
    expect(recs.map((x) => x.event)).toEqual(['received', 'executed']);
    for (const rec of recs) expect(rec).toMatchObject({ purpose: 'Tell the team the weekly status', task_id: 'task-42', actor_chain: ['helper', 'lead'] });

    const claims = decodeJwt(slackTokens().at(-1)!);
    expect(claims).toMatchObject({ sub: 'demo-user', task_id: 'task-42', act: { sub: 'helper', act: { sub: 'lead' } } });
    expect(recs[1].token.jti).toBe(claims.jti);

    await post('Second note for the same task.', { 'mandate/purpose': 'Tell the team the weekly status', 'mandate/task_id': 'task-42' });
    expect(decodeJwt(slackTokens().at(-1)!).jti).toBe(claims.jti); // same task: the cached token
    await post('Another task.', { 'mandate/purpose': 'Announce the offsite', 'mandate/task_id': 'task-43' });
    const other = decodeJwt(slackTokens().at(-1)!);
    expect(other.task_id).toBe('task-43');
    expect(other.jti).not.toBe(claims.jti);

    const tail = mandate(['audit', 'tail', '--task', 'task-42'], env());
    expect(tail.code).toBe(0);
    const lines = tail.stdout.trim().split('\n');
    expect(lines).toHaveLength(4);
    for (const line of lines) expect(line).toContain('task task-42  "Tell the team the weekly status"');
  });

  it('a 2026-07-28 request carries them in its _meta too', async () => {
    const answer = await modernRequest(m.url, await bearerFor(m, 'helper'), 'tools/call', {
      name: 'slack_post_message', arguments: { channel: '#general', text: 'From a modern client.' },
      _meta: { 'mandate/purpose': 'Say hello from the new protocol', 'mandate/task_id': 'task-modern' },
    });
    const callId = answer.body.result?._meta?.['mandate/call_id'];
    expect(answer.body.result?.isError ?? false).toBe(false);
    for (const rec of records(callId)) expect(rec).toMatchObject({ purpose: 'Say hello from the new protocol', task_id: 'task-modern' });
    expect(decodeJwt(slackTokens().at(-1)!).task_id).toBe('task-modern');
  });

  it('a bad purpose or task is invalid_arguments naming the _meta key; a write without a purpose is refused where the policy requires one', async () => {
    const bad = sc(await post('x', { 'mandate/purpose': 'line one\nline two' })).error;
    expect(bad).toMatchObject({ code: 'invalid_arguments', field: '_meta.mandate/purpose' });
    const badTask = sc(await post('x', { 'mandate/purpose': 'ok', 'mandate/task_id': '../etc' })).error;
    expect(badTask).toMatchObject({ code: 'invalid_arguments', field: '_meta.mandate/task_id' });
    const none = sc(await post('no reason given')).error;
    expect(none.code).toBe('constraint_violation');
    expect(none.message).toContain('agents.helper.requirePurpose requires a purpose');
  });
});

describe('parent and child agents', () => {
  it('a child sees and may use only what its parent may; explain names the limiting link; revoking the parent revokes the child', async () => {
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('slack_post_message');
    expect(names).not.toContain('slack_reply_in_thread');
    expect(names.filter((n) => n.startsWith('crm_'))).toEqual([]);
    const denied = sc(await client.callTool({ name: 'crm_list_deals', arguments: {}, _meta: { 'mandate/purpose': 'look' } })).error;
    expect(denied.code).toBe('capability_denied');

    const explain = mandate(['policy', 'explain', '--agent', 'helper', '--tool', 'crm_get_contact'], env());
    expect(explain.stdout).toContain('helper → crm_get_contact: deny (agents.lead.tools.crm_*) — capability_denied: limited by parent agent lead of helper');
    expect(explain.stdout).toContain('chain: helper → lead');

    expect(mandate(['revoke', '--agent', 'lead'], env()).code).toBe(0);
    const after = sc(await post('after the revocation', { 'mandate/purpose': 'try again' })).error;
    expect(after.code).toBe('delegation_revoked');
    expect(after.message).toContain('lead');
  });
});
