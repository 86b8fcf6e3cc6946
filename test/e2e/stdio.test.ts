// The built server over stdio, driven by the SDK's Client as Claude Desktop would: every tool
// listed with schemas and annotations, every tool called, a write then a read that sees it,
// bad arguments answered with invalid_arguments and a call_id.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectStdio, sc, tempHome, type StdioSession } from '../helpers/cli.js';
import { callEveryTool } from '../helpers/calls.js';

const CONTRACT_TOOLS = [
  'slack_list_channels', 'slack_read_history', 'slack_read_thread', 'slack_get_user',
  'slack_post_message', 'slack_reply_in_thread', 'slack_add_reaction',
  'crm_search_contacts', 'crm_get_contact', 'crm_list_deals', 'crm_get_deal',
  'crm_create_contact', 'crm_update_deal_stage', 'crm_create_note',
  'calendar_list_events', 'calendar_find_free_time', 'calendar_create_event', 'calendar_respond_to_event', 'calendar_delete_event',
  'mandate_whoami', 'mandate_approval_status',
];

describe('stdio end to end (an agent allowed every tool)', () => {
  let s: StdioSession;
  beforeAll(async () => {
    const { env } = tempHome({ agents: { 'demo-agent': { tools: { '*': 'allow' } } } });
    s = await connectStdio(env);
  });
  afterAll(async () => { await s?.close(); });

  it('lists all 21 tools with input and output schemas and annotations derived from access', async () => {
    const { tools } = await s.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([...CONTRACT_TOOLS].sort());
    for (const t of tools) {
      expect(t.inputSchema.type).toBe('object');
      expect(t.outputSchema?.type).toBe('object');
      expect(t.annotations?.readOnlyHint).toBe(/^(slack_(list|read|get)|crm_(search|get|list)|calendar_(list|find)|mandate_)/.test(t.name));
      if (!t.annotations?.readOnlyHint) expect(typeof t.annotations?.destructiveHint).toBe('boolean');
    }
    expect(tools.find((t) => t.name === 'calendar_delete_event')?.annotations?.destructiveHint).toBe(true);
    expect(tools.find((t) => t.name === 'slack_post_message')?.annotations?.destructiveHint).toBe(false);
  });

  it('calls every tool with valid arguments and gets structured results with a call_id', async () => {
    const runs = await callEveryTool(s.client);
    expect(new Set(runs.map((r) => r.name))).toEqual(new Set(CONTRACT_TOOLS));
    for (const r of runs) expect(r.isError, r.name).toBe(false);
  });

  it('sees its own write in a later read', async () => {
    const text = `written at ${Date.now()}`;
    const posted = sc(await s.client.callTool({ name: 'slack_post_message', arguments: { channel: '#general', text } }));
    const history = sc(await s.client.callTool({ name: 'slack_read_history', arguments: { channel: '#general', limit: 5 } }));
    expect(history.messages.some((m: { ts: string; text: string }) => m.ts === posted.ts && m.text === text)).toBe(true);
  });

  it('answers bad arguments with invalid_arguments naming the field, and a call_id', async () => {
    const r = await s.client.callTool({ name: 'slack_read_history', arguments: { channel: '#general', limit: 'lots' } });
    expect(r.isError).toBe(true);
    const err = sc(r).error;
    expect(err.code).toBe('invalid_arguments');
    expect(err.message).toContain('limit');
    expect(err.call_id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect((r._meta as Record<string, unknown>)['mandate/call_id']).toBe(err.call_id);

    const unknownKey = await s.client.callTool({ name: 'slack_get_user', arguments: { user: 'U0DDEMO001', admin: true } });
    expect(sc(unknownKey).error.code).toBe('invalid_arguments');
    expect(sc(unknownKey).error.message).toContain('admin');

    const missing = await s.client.callTool({ name: 'crm_get_deal', arguments: {} });
    expect(sc(missing).error.message).toContain('deal_id');
  });

  it('answers an unknown tool as unavailable, and keeps serving', async () => {
    const r = await s.client.callTool({ name: 'slack_delete_workspace', arguments: {} });
    expect(r.isError).toBe(true);
    expect(sc(r).error.code).toBe('capability_denied');
    const again = await s.client.callTool({ name: 'mandate_whoami', arguments: {} });
    expect(sc(again).agent).toBe('demo-agent');
  });

  it('writes logs to stderr only, as JSON lines carrying call_id, session_id and agent', () => {
    const lines = s.stderr().split('\n').filter((l) => l.startsWith('{'));
    const callLines = lines.map((l) => JSON.parse(l)).filter((l) => l.call_id);
    expect(callLines.length).toBeGreaterThan(10);
    for (const l of callLines) {
      expect(l.session_id).toBeTruthy();
      expect(l.agent).toBe('demo-agent');
    }
  });
});
