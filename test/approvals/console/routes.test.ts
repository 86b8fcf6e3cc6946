// The console's JSON API over a real SQLite store: activity folded per call and filtered,
// calls per hour per agent, agents' capabilities as `mandate policy explain` decides them, and
// revocation through the shared function; bad input of every kind is a 400 with a stable code
// and changes nothing.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleRoutes, type AgentView } from '../../../src/approvals/console/index.js';
import { parseConfig } from '../../../src/config/load.js';
import { openStore } from '../../../src/store/index.js';
import type { Store } from '../../../src/store/types.js';
import type { Revocation } from '../../../src/store/types.js';
import { cleanupHomes, sampleInput, tempHome } from '../../store/helpers.js';

const config = parseConfig({
  agents: {
    reader: { readOnly: true },
    assistant: { tools: { slack_post_message: { capability: 'approve', channels: ['#support-updates'] }, calendar_delete_event: 'deny', 'crm_*': 'allow' } },
  },
});

describe('console API (src/approvals/console)', () => {
  let store: Store;
  let server: http.Server;
  let base: string;
  const revoked: Revocation[] = [];

  const get = async (path: string) => {
    const r = await fetch(base + path);
    return { status: r.status, body: (await r.json()) as any };
  };
  const post = async (body: string, type = 'application/json') => {
    const r = await fetch(base + '/api/revoke', { method: 'POST', headers: { 'content-type': type }, body });
    return { status: r.status, body: (await r.json()) as any };
  };

  beforeAll(async () => {
    store = openStore(tempHome('mandate-console-'));
    const call = (i: number, agent: string, tool: string, events: Array<[string, Record<string, unknown>]>) =>
      store.appendAudit(events.map(([event, extra]) => sampleInput(i, { agent, tool, event: event as never, outcome: null, error_code: null, decision: null, ...extra })));
    await call(1, 'assistant', 'slack_post_message', [['received', { args: { channel: '#support-updates', text: 'deploy done' } }], ['executed', { decision: 'approve', outcome: 'ok' }]]);
    await call(2, 'reader', 'slack_post_message', [['received', { args: { channel: '#general', text: 'hi' } }], ['denied', { decision: 'deny', outcome: 'error', error_code: 'read_only' }]]);
    await call(3, 'assistant', 'crm_get_contact', [['received', { args: { id: '42' } }], ['failed', { decision: 'allow', outcome: 'error', error_code: 'upstream_error' }]]);
    await call(4, 'assistant', 'slack_post_message', [['received', { args: { channel: '#support-updates', text: 'later' } }], ['approval_requested', { decision: 'approve', outcome: 'pending' }]]);
    await store.putDelegation({ user: 'demo-user', agent: 'assistant', client: 'assistant', scopes: [], status: 'active', updated_at: new Date().toISOString() });
    const route = consoleRoutes({
      store, config: () => config, actor: () => 'dana@laptop (web)',
      onRevoked: async (r) => { revoked.push(r); },
    });
    server = http.createServer(async (req, res) => {
      if (await route(req, res, new URL(req.url ?? '/', 'http://127.0.0.1'))) return;
      res.writeHead(404).end('{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await store.close();
    cleanupHomes();
  });

  it('GET /api/activity: one row per call, newest first, with summary, decision, outcome and error code', async () => {
    const { status, body } = await get('/api/activity');
    expect(status).toBe(200);
    expect(body.calls.map((c: any) => [c.agent, c.tool, c.decision, c.outcome, c.error_code])).toEqual([
      ['assistant', 'slack_post_message', 'approve', 'pending', null],
      ['assistant', 'crm_get_contact', 'allow', 'error', 'upstream_error'],
      ['reader', 'slack_post_message', 'deny', 'denied', 'read_only'],
      ['assistant', 'slack_post_message', 'approve', 'ok', null],
    ]);
    expect(body.calls[3].summary).toBe('post to #support-updates: "deploy done"');
    expect(body.calls[3].call_id).toBe(sampleInput(1).call_id);
  });

  it('filters by agent, tool and outcome, and bounds the page with limit', async () => {
    expect((await get('/api/activity?agent=reader')).body.calls.map((c: any) => c.outcome)).toEqual(['denied']);
    expect((await get('/api/activity?tool=crm_get_contact')).body.calls).toHaveLength(1);
    expect((await get('/api/activity?agent=assistant&outcome=ok')).body.calls.map((c: any) => c.summary)).toEqual(['post to #support-updates: "deploy done"']);
    expect((await get('/api/activity?limit=2&agent=&tool=&outcome=')).body.calls).toHaveLength(2);
  });

  it('GET /api/activity/hourly: 24 hours, calls counted once each, per agent', async () => {
    const { status, body } = await get('/api/activity/hourly');
    expect(status).toBe(200);
    expect(body.hours).toHaveLength(24);
    expect(body.agents).toEqual([
      { agent: 'assistant', counts: [...new Array(23).fill(0), 3] },
      { agent: 'reader', counts: [...new Array(23).fill(0), 1] },
    ]);
    expect(body.truncated).toBe(false);
  });

  it('GET /api/agents: each known agent with the capabilities `mandate policy explain` gives', async () => {
    const { status, body } = await get('/api/agents');
    expect(status).toBe(200);
    expect(body.agents.map((a: AgentView) => a.agent)).toEqual(['assistant', 'demo-agent', 'reader']);
    const assistant: AgentView = body.agents[0];
    expect(assistant.delegations).toEqual([{ user: 'demo-user', status: 'active' }]);
    const cap = (a: AgentView, t: string) => a.capabilities.find((c) => c.tool === t)!;
    expect(cap(assistant, 'slack_post_message')).toMatchObject({
      effect: 'approve', rule: 'agents.assistant.tools.slack_post_message', constraints: 'channels #support-updates',
      explain: 'assistant → slack_post_message: approve (agents.assistant.tools.slack_post_message) — a human approves each call',
    });
    expect(cap(assistant, 'calendar_delete_event')).toMatchObject({ effect: 'deny', code: 'capability_denied', access: 'destructive' });
    expect(cap(body.agents[2], 'slack_post_message')).toMatchObject({ effect: 'deny', code: 'read_only' });
    expect(body.tools).toContain('crm_get_contact');
  });

  it('POST /api/revoke: a capability, recorded with who revoked it, then the whole delegation', async () => {
    const a = await store.createApproval({
      call_id: 'c1', user: 'demo-user', agent: 'assistant', tool: 'slack_post_message', args_digest: 'd'.repeat(64), args: {}, summary: 's',
      expires_at: new Date(Date.now() + 60_000).toISOString(),
    });
    const one = await post(JSON.stringify({ agent: 'assistant', tool: 'slack_post_message', confirm: true }));
    expect(one.status).toBe(200);
    expect(one.body.revocation).toMatchObject({ agent: 'assistant', tool: 'slack_post_message', by: 'dana@laptop (web)' });
    expect(one.body.cancelled_approvals).toBe(1);
    expect((await store.getApproval(a.approval_id))?.status).toBe('cancelled');
    expect(await store.isRevoked({ agent: 'assistant', tool: 'slack_post_message' })).toEqual({ scope: 'tool' });
    expect(await store.isRevoked({ agent: 'assistant', tool: 'crm_get_contact' })).toBeNull();
    const shown = (one.body.agent as AgentView).capabilities.find((c) => c.tool === 'slack_post_message')!;
    expect(shown).toMatchObject({ effect: 'deny', rule: 'revocation: tool', revoked: { by: 'dana@laptop (web)' } });
    expect(revoked.map((r) => [r.agent, r.tool])).toEqual([['assistant', 'slack_post_message']]);

    const all = await post(JSON.stringify({ agent: 'reader', confirm: true, reason: 'not needed' }));
    expect(all.status).toBe(200);
    expect(await store.isRevoked({ agent: 'reader', tool: 'crm_get_contact' })).toEqual({ scope: 'delegation' });
    expect((all.body.agent as AgentView).revoked?.by).toBe('dana@laptop (web)');
    expect((await get('/api/agents')).body.agents[2].capabilities.every((c: any) => c.code === 'delegation_revoked')).toBe(true);
  });

  it.each([
    ['unknown agent', JSON.stringify({ agent: 'nobody', confirm: true }), 'unknown_agent'],
    ['unknown tool', JSON.stringify({ agent: 'assistant', tool: 'slack_nuke_workspace', confirm: true }), 'unknown_tool'],
    ['a badly formed agent', JSON.stringify({ agent: '../../etc', confirm: true }), 'invalid_body'],
    ['a missing confirm', JSON.stringify({ agent: 'demo-agent' }), 'confirmation_required'],
    ['confirm not true', JSON.stringify({ agent: 'demo-agent', confirm: 'yes' }), 'confirmation_required'],
    ['an unknown key', JSON.stringify({ agent: 'demo-agent', confirm: true, user: 'x' }), 'invalid_body'],
    ['non-JSON', '{agent: demo-agent', 'invalid_body'],
    ['an array', '[1]', 'invalid_body'],
  ])('POST /api/revoke refuses %s with 400 and changes nothing', async (_name, body, code) => {
    const before = await store.listRevocations();
    const r = await post(body);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe(code);
    expect(typeof r.body.error.message).toBe('string');
    expect(await store.listRevocations()).toEqual(before);
  });

  it('refuses a form body (415), a huge body (413) and the wrong method (405)', async () => {
    expect((await post('agent=demo-agent&confirm=true', 'application/x-www-form-urlencoded')).body.error.code).toBe('unsupported_media_type');
    const huge = await post(JSON.stringify({ agent: 'demo-agent', confirm: true, reason: 'x'.repeat(10_000) }));
    expect([huge.status, huge.body.error.code]).toEqual([413, 'body_too_large']);
    const wrong = await get('/api/revoke');
    expect([wrong.status, wrong.body.error.code]).toEqual([405, 'method_not_allowed']);
    expect(await store.isRevoked({ agent: 'demo-agent', tool: 'crm_get_contact' })).toBeNull();
  });

  it.each([
    ['a huge limit', '/api/activity?limit=100000'],
    ['a zero limit', '/api/activity?limit=0'],
    ['a non-number limit', '/api/activity?limit=lots'],
    ['a bad agent', '/api/activity?agent=%3Cscript%3E'],
    ['a bad tool', '/api/activity?tool=Robert%27);DROP'],
    ['an unknown outcome', '/api/activity?outcome=maybe'],
    ['an unknown parameter', '/api/activity?user=demo-user'],
    ['parameters to hourly', '/api/activity/hourly?agent=reader'],
  ])('GET refuses %s with 400 invalid_query', async (_name, path) => {
    const r = await get(path);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid_query');
  });

  it('leaves other paths to the page (returns false)', async () => {
    expect((await fetch(base + '/api/approvals')).status).toBe(404);
    expect((await fetch(base + '/api/agents/x')).status).toBe(404);
  });
});
