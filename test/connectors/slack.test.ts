// The Slack connector against the Slack emulator: typed methods, paging, and how each of
// Slack's failure shapes becomes a Mandate error (auth → refresh once, 429 → Retry-After).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SlackConnector, interpretSlack, nextCursor } from '../../src/connectors/slack.js';
import { staticTokenSource } from '../../src/connectors/http.js';
import type { ConnectorOptions, TokenSource } from '../../src/connectors/http.js';
import { MandateError } from '../../src/errors.js';
import { startSlackEmulator } from '../../src/sandbox/slack/emulator.js';
import type { SlackEmulator } from '../../src/sandbox/slack/emulator.js';
import { DEMO_USER_ID } from '../../src/sandbox/slack/seed.js';
import type { BearerCheck, TokenVerifier } from '../../src/sandbox/http.js';

const TOKEN = 'xoxp-connector-test-token-123456';

/** Tokens name their fate; anything else is accepted. */
const verifier: TokenVerifier = async (token, required): Promise<BearerCheck> => {
  if (!token || token === 'none') return { ok: false, reason: 'missing' };
  if (token === 'stale' || token === 'bad') return { ok: false, reason: 'invalid' };
  if (token === 'expired') return { ok: false, reason: 'expired' };
  if (token === 'read-only') return { ok: false, reason: 'insufficient_scope', provided: ['channels:read'] };
  void required;
  return { ok: true, claims: { sub: 'demo-user' }, scopes: [] };
};

async function failure(p: Promise<unknown>): Promise<MandateError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(MandateError);
    return err as MandateError;
  }
  throw new Error('expected the call to fail');
}

describe('SlackConnector', () => {
  let emu: SlackEmulator;
  const connector = (opts: Partial<ConnectorOptions> = {}) => new SlackConnector({ baseUrl: `${emu.url}/api`, tokens: staticTokenSource(TOKEN), ...opts });
  beforeAll(async () => { emu = await startSlackEmulator({ verifier }); });
  afterEach(() => { emu.requests.length = 0; });
  afterAll(async () => { await emu.close(); });

  describe('methods', () => {
    it('conversationsList returns channels and pages to the end', async () => {
      const slack = connector();
      const first = await slack.conversationsList({ limit: 3 });
      expect(first.channels.map((c) => c.name)).toEqual(['general', 'random', 'engineering']);
      expect(nextCursor(first)).toBeTruthy();
      const names: string[] = [];
      for await (const page of slack.paginate((cursor) => slack.conversationsList({ limit: 3, cursor }))) names.push(...page.channels.map((c) => c.name));
      expect(names).toEqual(emu.state.channels.map((c) => c.name));
      const open = await slack.conversationsList({ exclude_archived: true });
      expect(open.channels.every((c) => !c.is_archived)).toBe(true);
      expect(nextCursor(open)).toBeUndefined();
    });

    it('works with the bare host as base URL too', async () => {
      const slack = new SlackConnector({ baseUrl: emu.url, tokens: staticTokenSource(TOKEN) });
      expect((await slack.usersInfo({ user: DEMO_USER_ID })).user.real_name).toBe('Dana Demo');
      expect(emu.requests.at(-1)!.path).toBe('/api/users.info');
    });

    it('sends the per-tool token as a bearer header', async () => {
      await connector().usersInfo({ user: DEMO_USER_ID });
      expect(emu.requests.at(-1)!.token).toBe(TOKEN);
    });

    it('conversationsHistory pages through all of #general with has_more and next_cursor', async () => {
      const slack = connector();
      const seen = new Set<string>();
      let pages = 0;
      let cursor: string | undefined;
      do {
        const res = await slack.conversationsHistory({ channel: 'C0GENERAL1', limit: 80, cursor });
        pages += 1;
        for (const m of res.messages) seen.add(m.ts);
        cursor = nextCursor(res);
        expect(res.has_more).toBe(cursor !== undefined);
      } while (cursor);
      expect(pages).toBe(3);
      expect(seen.size).toBe(emu.state.messages.C0GENERAL1!.filter((m) => !m.thread_ts || m.thread_ts === m.ts).length);
    });

    it('conversationsReplies returns the thread', async () => {
      const parent = emu.state.messages.C0SUPPORT4!.find((m) => (m.reply_count ?? 0) > 0)!;
      const res = await connector().conversationsReplies({ channel: 'C0SUPPORT4', ts: parent.ts });
      expect(res.messages[0]!.ts).toBe(parent.ts);
      expect(res.messages).toHaveLength(parent.reply_count! + 1);
    });

    it('chatPostMessage posts (top level and in a thread) and reactionsAdd reports repeats', async () => {
      const slack = connector();
      const post = await slack.chatPostMessage({ channel: 'C0SUPUPD05', text: 'Status: all clear' });
      expect(post).toMatchObject({ ok: true, channel: 'C0SUPUPD05', message: { text: 'Status: all clear' } });
      const reply = await slack.chatPostMessage({ channel: 'C0SUPUPD05', text: 'Thanks', thread_ts: post.ts });
      expect(reply.message.thread_ts).toBe(post.ts);
      expect(await slack.reactionsAdd({ channel: 'C0SUPUPD05', timestamp: post.ts, name: 'tada' })).toEqual({ already_reacted: false });
      expect(await slack.reactionsAdd({ channel: 'C0SUPUPD05', timestamp: post.ts, name: 'tada' })).toEqual({ already_reacted: true });
    });

    it('resolveChannelId takes #name, name or an ID, and says clearly when a name is unknown', async () => {
      const slack = connector();
      expect(await slack.resolveChannelId('#support-updates')).toBe('C0SUPUPD05');
      expect(await slack.resolveChannelId('General')).toBe('C0GENERAL1');
      emu.requests.length = 0;
      expect(await slack.resolveChannelId('C0SALES006')).toBe('C0SALES006');
      expect(await slack.resolveChannelId('general')).toBe('C0GENERAL1'); // cached
      expect(emu.requests).toHaveLength(0);
      const err = await failure(slack.resolveChannelId('#does-not-exist'));
      expect(err.code).toBe('upstream_error');
      expect(err.message).toContain('channel #does-not-exist not found');
    });
  });

  describe('errors', () => {
    it.each([
      ['none', 'not_authed'],
      ['bad', 'invalid_auth'],
      ['expired', 'token_expired'],
      ['read-only', 'missing_scope (needed: chat:write)'],
    ])('token %s → upstream_unauthorized after one refresh (%s)', async (token, reason) => {
      let refreshes = 0;
      const tokens: TokenSource = { token: async () => token, refresh: async () => { refreshes += 1; return token; } };
      const err = await failure(connector({ tokens }).chatPostMessage({ channel: 'C0GENERAL1', text: 'x' }));
      expect(err.code).toBe('upstream_unauthorized');
      expect(err.message).toContain(reason);
      expect(refreshes).toBe(1);
      expect(emu.requests).toHaveLength(2);
    });

    it('a refused token is refreshed once and the call then succeeds', async () => {
      let current = 'stale';
      const tokens: TokenSource = { token: async () => current, refresh: async () => { current = 'fresh'; return current; } };
      const res = await connector({ tokens }).usersInfo({ user: DEMO_USER_ID });
      expect(res.user.id).toBe(DEMO_USER_ID);
      expect(emu.requests.map((r) => r.token)).toEqual(['stale', 'fresh']);
    });

    it.each([
      ['channel_not_found', () => connector().conversationsHistory({ channel: 'C0MISSING00' })],
      ['thread_not_found', () => connector().conversationsReplies({ channel: 'C0GENERAL1', ts: '1.000001' })],
      ['user_not_found', () => connector().usersInfo({ user: 'U0NOBODY00' })],
      ['invalid_name', () => connector().reactionsAdd({ channel: 'C0GENERAL1', timestamp: emu.state.messages.C0GENERAL1![0]!.ts, name: 'no_such_emoji' })],
      ['no_text', () => connector().chatPostMessage({ channel: 'C0GENERAL1', text: '' })],
    ])('Slack error %s → upstream_error naming it', async (code, run) => {
      const err = await failure(run());
      expect(err.code).toBe('upstream_error');
      expect(err.message).toBe(`Slack: ${code}`);
    });

    it('5xx → upstream_error with Slack\'s code and the status', async () => {
      emu.inject({ kind: 'status', status: 503, count: 1 });
      const err = await failure(connector().usersInfo({ user: DEMO_USER_ID }));
      expect(err.code).toBe('upstream_error');
      expect(err.message).toBe('Slack: service_unavailable (HTTP 503)');
    });

    it('429 with Retry-After: waits it out and succeeds', async () => {
      emu.inject({ kind: 'status', status: 429, count: 1, retryAfter: 1 });
      const started = Date.now();
      const res = await connector().usersInfo({ user: DEMO_USER_ID });
      const waited = Date.now() - started;
      expect(res.ok).toBe(true);
      expect(waited).toBeGreaterThanOrEqual(950);
      expect(waited).toBeLessThan(3000);
      expect(emu.requests).toHaveLength(2);
    });

    it('429 with a Retry-After beyond the bound → upstream_error at once, with retry_after_seconds', async () => {
      emu.inject({ kind: 'status', status: 429, count: 1, retryAfter: 60 });
      const started = Date.now();
      const err = await failure(connector().usersInfo({ user: DEMO_USER_ID }));
      expect(Date.now() - started).toBeLessThan(1000);
      expect(err.code).toBe('upstream_error');
      expect(err.extras.retry_after_seconds).toBe(60);
      expect(emu.requests).toHaveLength(1);
    });

    it('a hang → timeout error', async () => {
      emu.inject({ kind: 'hang', count: 1 });
      const err = await failure(connector({ timeoutMs: 200 }).usersInfo({ user: DEMO_USER_ID }));
      expect(err.code).toBe('upstream_error');
      expect(err.message).toMatch(/did not answer within 200 ms/);
    });

    it('unknown methods (404) → upstream_error', async () => {
      const err = await failure(connector().send({ method: 'POST', path: '/chat.sendTelegram' }));
      expect(err.message).toBe('Slack: unknown_method (HTTP 404)');
    });

    it('never echoes tokens or odd error text from a response', () => {
      const res = (body: unknown, status = 200) => ({ status, headers: new Headers(), body });
      expect(interpretSlack(res({ ok: false, error: `bad token ${TOKEN}` }))).toEqual({ kind: 'error', message: 'unknown_error' });
      expect(interpretSlack(res({ ok: false, error: 'missing_scope', needed: TOKEN + ' !' }))).toEqual({ kind: 'unauthorized', message: 'missing_scope' });
      expect(interpretSlack(res(`<html>${TOKEN}</html>`, 502))).toEqual({ kind: 'error', message: 'unexpected response (HTTP 502)' });
      expect(interpretSlack(res({ ok: false, error: 'ratelimited' }, 429))).toEqual({ kind: 'rate_limited', retryAfterSeconds: 1 });
    });
  });
});
