// Every Slack tool's handler against the Slack emulator through its connector: outputs
// match their schemas, writes are seen by later reads, and the definitions keep the contract.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { slackTools } from '../../tools/slack/index.js';
import { annotationsFor } from '../../tools/define.js';
import type { AnyTool, ToolContext } from '../../tools/define.js';
import { SlackConnector } from '../../src/connectors/slack.js';
import { staticTokenSource } from '../../src/connectors/http.js';
import { MandateError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { PROVIDER_SCOPES } from '../../src/resources.js';
import { startSlackEmulator } from '../../src/sandbox/slack/emulator.js';
import type { SlackEmulator } from '../../src/sandbox/slack/emulator.js';
import { DEMO_USER_ID } from '../../src/sandbox/slack/seed.js';

type Out = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const CONTRACT = {
  read: ['slack_list_channels', 'slack_read_history', 'slack_read_thread', 'slack_get_user'],
  write: ['slack_post_message', 'slack_reply_in_thread', 'slack_add_reaction'],
};

const tool = (name: string): AnyTool => {
  const t = slackTools.find((x) => x.name === name);
  if (!t) throw new Error(`no tool ${name}`);
  return t;
};

describe('Slack tools', () => {
  let emu: SlackEmulator;
  let ctx: ToolContext<SlackConnector>;
  /** Validates args as the pipeline does, runs the handler, and checks the output schema. */
  const run = async (name: string, args: Record<string, unknown>): Promise<Out> => {
    const t = tool(name);
    const out = await t.handler(t.input.parse(args), ctx);
    return t.output.parse(out) as Out;
  };
  beforeAll(async () => {
    emu = await startSlackEmulator({ now: () => new Date(Date.UTC(2025, 2, 20, 15)) });
    ctx = {
      connector: new SlackConnector({ baseUrl: `${emu.url}/api`, tokens: staticTokenSource('xoxp-tool-test') }),
      callId: '01JTESTCALL0000000000000000',
      log: silentLogger(),
      signal: new AbortController().signal,
    };
  });
  afterAll(async () => { await emu.close(); });

  describe('definitions', () => {
    it('are the contract\'s Slack tools, in its order, with the right access', () => {
      expect(slackTools.map((t) => t.name)).toEqual([...CONTRACT.read, ...CONTRACT.write]);
      for (const t of slackTools) {
        expect(t.provider).toBe('slack');
        expect(t.access).toBe(CONTRACT.read.includes(t.name) ? 'read' : 'write');
      }
    });

    it('derive annotations from access: reads are read-only, writes are not destructive, reactions are idempotent', () => {
      for (const t of slackTools) {
        const a = annotationsFor(t);
        expect(a.readOnlyHint).toBe(t.access === 'read');
        if (t.access === 'write') expect(a.destructiveHint).toBe(false);
      }
      expect(annotationsFor(tool('slack_add_reaction')).idempotentHint).toBe(true);
      expect(annotationsFor(tool('slack_post_message')).idempotentHint).toBe(false);
    });

    it('ask only for real Slack scopes, write scopes only on writes', () => {
      const writeScopes = ['chat:write', 'reactions:write'];
      for (const t of slackTools) {
        expect(t.scopes.length).toBeGreaterThan(0);
        for (const s of t.scopes) expect(PROVIDER_SCOPES.slack).toContain(s);
        if (t.access === 'read') expect(t.scopes.some((s) => writeScopes.includes(s))).toBe(false);
      }
      expect(tool('slack_post_message').scopes).toEqual(['chat:write', 'channels:read']);
      expect(tool('slack_add_reaction').scopes).toEqual(['reactions:write', 'channels:read']);
    });

    it('have object schemas that convert to JSON Schema, every field described, no top-level union', () => {
      for (const t of slackTools) {
        for (const [schema, io] of [[t.input, 'input'], [t.output, 'output']] as const) {
          const json = z.toJSONSchema(schema, { io }) as { type?: string; anyOf?: unknown; properties?: Record<string, { description?: string }> };
          expect(json.type, `${t.name} ${io}`).toBe('object');
          expect(json.anyOf).toBeUndefined();
          for (const [key, prop] of Object.entries(json.properties ?? {})) expect(prop.description, `${t.name}.${io}.${key}`).toBeTruthy();
        }
        expect(t.description.length).toBeGreaterThan(80);
      }
    });

    it('summarize a call in one line for an approver, cutting long text', () => {
      expect(tool('slack_post_message').summarize({ channel: '#general', text: 'Deploy done' })).toBe('post to #general: "Deploy done"');
      expect(tool('slack_post_message').summarize({ channel: 'support-updates', text: 'x' })).toBe('post to #support-updates: "x"');
      const long = tool('slack_reply_in_thread').summarize(tool('slack_reply_in_thread').input.parse({ channel: 'C0GENERAL1', thread_ts: '1.000001', text: 'word '.repeat(100) }));
      expect(long).toMatch(/^reply in a thread of C0GENERAL1: "word word .*…"$/);
      expect(long.length).toBeLessThan(130);
      expect(long).not.toContain('\n');
      expect(tool('slack_add_reaction').summarize({ channel: '#general', ts: '1.000001', name: ':eyes:' })).toBe('react :eyes: to message 1.000001 in #general');
      for (const t of slackTools.filter((x) => x.access === 'read')) expect(t.summarize(t.input.parse({ channel: 'general', thread_ts: '1.000001', user: 'U0ABC' }))).toBeTruthy();
    });

    it('reject bad arguments at the schema', () => {
      expect(tool('slack_read_history').input.safeParse({ channel: 'general', limit: 500 }).success).toBe(false);
      expect(tool('slack_read_history').input.safeParse({ channel: 'general', oldest: 'last week' }).success).toBe(false);
      expect(tool('slack_post_message').input.safeParse({ channel: 'general', text: '' }).success).toBe(false);
      expect(tool('slack_get_user').input.safeParse({ user: 'dana@example.com' }).success).toBe(false);
      expect(tool('slack_add_reaction').input.safeParse({ channel: 'general', ts: 'yesterday', name: 'eyes' }).success).toBe(false);
    });
  });

  describe('handlers', () => {
    it('slack_list_channels lists channels, pages with next_cursor, hides archived ones by default', async () => {
      const first = await run('slack_list_channels', { limit: 4 });
      expect(first.channels).toHaveLength(4);
      expect(first.channels[0]).toEqual({
        id: 'C0GENERAL1', name: 'general', topic: expect.any(String), purpose: expect.any(String), num_members: 9, is_member: true, is_archived: false,
      });
      const rest = await run('slack_list_channels', { limit: 4, cursor: first.next_cursor });
      expect(rest.next_cursor).toBeUndefined();
      const names = [...first.channels, ...rest.channels].map((c: Out) => c.name);
      expect(names).toContain('support-updates');
      expect(names).not.toContain('project-atlas');
      const all = await run('slack_list_channels', { include_archived: true });
      expect(all.channels.map((c: Out) => c.name)).toContain('project-atlas');
    });

    it('slack_read_history reads by name, newest first, and pages with next_cursor', async () => {
      const first = await run('slack_read_history', { channel: '#general', limit: 150 });
      expect(first.channel).toBe('C0GENERAL1');
      expect(first.messages).toHaveLength(150);
      expect(first.has_more).toBe(true);
      const second = await run('slack_read_history', { channel: 'C0GENERAL1', limit: 150, cursor: first.next_cursor });
      expect(second.has_more).toBe(false);
      expect(second.next_cursor).toBeUndefined();
      const ts = [...first.messages, ...second.messages].map((m: Out) => m.ts);
      expect(new Set(ts).size).toBe(ts.length);
      expect(ts.length).toBeGreaterThan(200);
      expect(first.messages.some((m: Out) => m.reply_count > 0 && m.thread_ts === m.ts)).toBe(true);
    });

    it('slack_read_history takes ISO dates for oldest / latest', async () => {
      const res = await run('slack_read_history', { channel: 'general', oldest: '2025-03-01T00:00:00Z', latest: '2025-03-08T00:00:00Z' });
      expect(res.messages.length).toBeGreaterThan(5);
      for (const m of res.messages) {
        expect(Number(m.ts)).toBeGreaterThan(Date.UTC(2025, 2, 1) / 1000);
        expect(Number(m.ts)).toBeLessThan(Date.UTC(2025, 2, 8) / 1000);
      }
    });

    it('slack_read_history: an unknown channel name is a clear upstream_error', async () => {
      await expect(run('slack_read_history', { channel: '#nowhere' })).rejects.toMatchObject({ code: 'upstream_error', message: expect.stringContaining('channel #nowhere not found') });
      await expect(run('slack_read_history', { channel: 'C0NOWHERE0' })).rejects.toBeInstanceOf(MandateError);
    });

    it('slack_read_thread returns the parent then the replies', async () => {
      const parent = emu.state.messages.C0SUPPORT4!.find((m) => (m.reply_count ?? 0) > 1)!;
      const res = await run('slack_read_thread', { channel: 'support', thread_ts: parent.ts });
      expect(res.channel).toBe('C0SUPPORT4');
      expect(res.thread_ts).toBe(parent.ts);
      expect(res.messages[0]).toMatchObject({ ts: parent.ts, reply_count: parent.reply_count });
      expect(res.messages).toHaveLength(parent.reply_count! + 1);
      await expect(run('slack_read_thread', { channel: 'support', thread_ts: '1000000000.000001' })).rejects.toMatchObject({ code: 'upstream_error', message: 'Slack: thread_not_found' });
    });

    it('slack_get_user describes a user; unknown users are an upstream_error', async () => {
      const dana = await run('slack_get_user', { user: DEMO_USER_ID });
      expect(dana).toEqual({
        id: DEMO_USER_ID, name: 'dana.demo', real_name: 'Dana Demo', display_name: 'dana', title: 'Customer Success Lead',
        email: 'dana@example.com', tz: 'America/New_York', tz_label: 'Eastern Standard Time', is_bot: false, is_admin: true, deleted: false,
      });
      const bot = await run('slack_get_user', { user: 'U0DEPLOY10' });
      expect(bot.is_bot).toBe(true);
      expect(bot.email).toBeUndefined();
      await expect(run('slack_get_user', { user: 'U0NOBODY00' })).rejects.toMatchObject({ code: 'upstream_error', message: 'Slack: user_not_found' });
    });

    it('slack_post_message posts, and slack_read_history sees it first', async () => {
      const posted = await run('slack_post_message', { channel: '#support-updates', text: 'Deploy done :rocket:' });
      expect(posted).toEqual({ channel: 'C0SUPUPD05', ts: expect.stringMatching(/^\d+\.\d{6}$/), text: 'Deploy done :rocket:' });
      const hist = await run('slack_read_history', { channel: 'support-updates', limit: 1 });
      expect(hist.messages[0]).toMatchObject({ ts: posted.ts, user: DEMO_USER_ID, text: 'Deploy done :rocket:' });
      await expect(run('slack_post_message', { channel: '#project-atlas', text: 'hello?' })).rejects.toMatchObject({ code: 'upstream_error', message: 'Slack: is_archived' });
    });

    it('slack_reply_in_thread replies, and slack_read_thread sees the reply', async () => {
      const parent = await run('slack_post_message', { channel: 'engineering', text: 'Who can review PR #4242?' });
      const reply = await run('slack_reply_in_thread', { channel: '#engineering', thread_ts: parent.ts, text: 'I can, after lunch' });
      expect(reply).toEqual({ channel: 'C0ENGINE03', ts: expect.any(String), thread_ts: parent.ts, text: 'I can, after lunch' });
      const thread = await run('slack_read_thread', { channel: 'C0ENGINE03', thread_ts: parent.ts });
      expect(thread.messages.map((m: Out) => m.text)).toEqual(['Who can review PR #4242?', 'I can, after lunch']);
      expect(thread.messages[0].reply_count).toBe(1);
      const hist = await run('slack_read_history', { channel: 'engineering', limit: 3 });
      expect(hist.messages.map((m: Out) => m.text)).not.toContain('I can, after lunch');
      const loud = await run('slack_reply_in_thread', { channel: 'engineering', thread_ts: parent.ts, text: 'Merged!', also_send_to_channel: true });
      const hist2 = await run('slack_read_history', { channel: 'engineering', limit: 1 });
      expect(hist2.messages[0]).toMatchObject({ ts: loud.ts, text: 'Merged!', thread_ts: parent.ts });
    });

    it('slack_add_reaction reacts once; repeating it changes nothing and says so', async () => {
      const target = (await run('slack_read_history', { channel: 'sales', limit: 1 })).messages[0] as Out;
      const first = await run('slack_add_reaction', { channel: '#sales', ts: target.ts, name: ':white_check_mark:' });
      expect(first).toEqual({ channel: 'C0SALES006', ts: target.ts, name: 'white_check_mark', already_reacted: false });
      const again = await run('slack_add_reaction', { channel: 'sales', ts: target.ts, name: 'white_check_mark' });
      expect(again.already_reacted).toBe(true);
      const after = (await run('slack_read_history', { channel: 'sales', limit: 1 })).messages[0] as Out;
      expect(after.reactions).toContainEqual({ name: 'white_check_mark', count: 1 });
      await expect(run('slack_add_reaction', { channel: 'sales', ts: target.ts, name: 'definitely_not_an_emoji' })).rejects.toMatchObject({ code: 'upstream_error', message: 'Slack: invalid_name' });
    });
  });
});
