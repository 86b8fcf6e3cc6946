// The Slack emulator speaks Slack's wire format: raw HTTP against it, as a Slack client would.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSlackEmulator } from '../../src/sandbox/slack/emulator.js';
import type { SlackEmulator } from '../../src/sandbox/slack/emulator.js';
import { createSlackSeed, DEMO_USER_ID } from '../../src/sandbox/slack/seed.js';
import type { BearerCheck, TokenVerifier } from '../../src/sandbox/http.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const AUTH = { authorization: 'Bearer xoxp-test' };

async function call(emu: SlackEmulator, method: string, args: Record<string, string> = {}, how: 'form' | 'json' | 'get' = 'form', headers: Record<string, string> = AUTH) {
  const url = new URL(`${emu.url}/api/${method}`);
  let init: RequestInit = { method: 'POST', headers };
  if (how === 'get') {
    for (const [k, v] of Object.entries(args)) url.searchParams.set(k, v);
    init = { method: 'GET', headers };
  } else if (how === 'json') {
    init.headers = { ...headers, 'content-type': 'application/json; charset=utf-8' };
    init.body = JSON.stringify(args);
  } else {
    init.headers = { ...headers, 'content-type': 'application/x-www-form-urlencoded' };
    init.body = new URLSearchParams(args).toString();
  }
  const res = await fetch(url, init);
  return { status: res.status, headers: res.headers, body: (await res.json()) as Json };
}

describe('Slack emulator: seed', () => {
  const seed = createSlackSeed();

  it('is deterministic', () => {
    expect(createSlackSeed()).toEqual(seed);
  });

  it('has the demo user, 8+ people and 6+ public channels including #general and #support-updates', () => {
    const dana = seed.users.find((u) => u.id === seed.demoUserId)!;
    expect(dana).toMatchObject({ real_name: 'Dana Demo', profile: { email: 'dana@example.com' } });
    expect(seed.subjects['demo-user']).toBe(DEMO_USER_ID);
    const people = seed.users.filter((u) => !u.is_bot);
    expect(people.length).toBeGreaterThanOrEqual(8);
    for (const u of people) {
      expect(u.id).toMatch(/^U0[A-Z0-9]+$/);
      expect(u.profile.email).toMatch(/@example\.com$/);
      expect(u.tz).toMatch(/\//);
    }
    const open = seed.channels.filter((c) => !c.is_archived);
    expect(open.length).toBeGreaterThanOrEqual(6);
    expect(seed.channels.map((c) => c.name)).toEqual(expect.arrayContaining(['general', 'support-updates']));
    for (const c of seed.channels) expect(c.id).toMatch(/^C0[A-Z0-9]+$/);
  });

  it('has 300+ messages, 200+ of them in #general, and threads with replies', () => {
    const all = Object.values(seed.messages).flat();
    const top = all.filter((m) => !m.thread_ts || m.thread_ts === m.ts);
    expect(top.length).toBeGreaterThanOrEqual(300);
    const general = seed.channels.find((c) => c.name === 'general')!;
    expect(seed.messages[general.id]!.filter((m) => !m.thread_ts || m.thread_ts === m.ts).length).toBeGreaterThan(200);
    const parents = all.filter((m) => (m.reply_count ?? 0) > 0);
    expect(parents.length).toBeGreaterThanOrEqual(5);
    for (const p of parents) {
      const replies = all.filter((m) => m.thread_ts === p.ts && m.ts !== p.ts);
      expect(replies).toHaveLength(p.reply_count!);
    }
  });
});

describe('Slack emulator: wire format', () => {
  let emu: SlackEmulator;
  beforeAll(async () => { emu = await startSlackEmulator({ now: () => new Date(Date.UTC(2025, 2, 20, 12)) }); });
  afterAll(async () => { await emu.close(); });

  it('conversations.list pages with response_metadata.next_cursor and answers JSON', async () => {
    const first = await call(emu, 'conversations.list', { limit: '3' });
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toMatch(/application\/json/);
    expect(first.body.ok).toBe(true);
    expect(first.body.channels).toHaveLength(3);
    expect(first.body.channels[0]).toMatchObject({
      id: 'C0GENERAL1', name: 'general', is_channel: true, is_private: false, is_general: true, is_member: true,
      topic: { value: expect.any(String) }, purpose: { value: expect.any(String) }, num_members: expect.any(Number),
    });
    const cursor = first.body.response_metadata.next_cursor as string;
    expect(Buffer.from(cursor, 'base64').toString()).toMatch(/^team:C/);
    const names: string[] = first.body.channels.map((c: Json) => c.name);
    let next = cursor;
    while (next) {
      const page = await call(emu, 'conversations.list', { limit: '3', cursor: next }, 'get');
      names.push(...page.body.channels.map((c: Json) => c.name));
      next = page.body.response_metadata.next_cursor;
    }
    expect(names).toEqual(emu.state.channels.map((c) => c.name));
    const open = await call(emu, 'conversations.list', { exclude_archived: 'true', limit: '100' });
    expect(open.body.channels.some((c: Json) => c.is_archived)).toBe(false);
    expect((await call(emu, 'conversations.list', { cursor: 'bm9wZQ==' })).body).toEqual({ ok: false, error: 'invalid_cursor' });
  });

  it('conversations.history pages newest first with has_more and a next_ts cursor', async () => {
    const first = await call(emu, 'conversations.history', { channel: 'C0GENERAL1', limit: '100' });
    expect(first.body).toMatchObject({ ok: true, has_more: true, pin_count: 0 });
    expect(first.body.messages).toHaveLength(100);
    expect(first.body.messages[0]).toMatchObject({ type: 'message', ts: expect.stringMatching(/^\d{10}\.\d{6}$/), user: expect.any(String), text: expect.any(String) });
    const ts = first.body.messages.map((m: Json) => Number(m.ts));
    expect([...ts].sort((a, b) => b - a)).toEqual(ts);
    const cursor = first.body.response_metadata.next_cursor as string;
    expect(Buffer.from(cursor, 'base64').toString()).toMatch(/^next_ts:\d{16}$/);
    const seen = new Set<string>(first.body.messages.map((m: Json) => m.ts));
    let page = first;
    while (page.body.has_more) {
      page = await call(emu, 'conversations.history', { channel: 'C0GENERAL1', limit: '100', cursor: page.body.response_metadata.next_cursor });
      for (const m of page.body.messages) {
        expect(seen.has(m.ts)).toBe(false);
        seen.add(m.ts);
      }
    }
    expect(page.body.response_metadata).toBeUndefined();
    expect(seen.size).toBeGreaterThan(200);
  });

  it('conversations.history honours oldest / latest and rejects bad values', async () => {
    const all = (await call(emu, 'conversations.history', { channel: 'C0SALES006', limit: '999' })).body.messages as Json[];
    const mid = all[5].ts as string;
    const older = await call(emu, 'conversations.history', { channel: 'C0SALES006', latest: mid });
    expect(older.body.latest).toBe(mid);
    expect(older.body.messages.map((m: Json) => m.ts)).toEqual(all.slice(6).map((m) => m.ts));
    const incl = await call(emu, 'conversations.history', { channel: 'C0SALES006', latest: mid, inclusive: 'true' });
    expect(incl.body.messages[0].ts).toBe(mid);
    const newer = await call(emu, 'conversations.history', { channel: 'C0SALES006', oldest: mid });
    expect(newer.body.messages.map((m: Json) => m.ts)).toEqual(all.slice(0, 5).map((m) => m.ts));
    expect((await call(emu, 'conversations.history', { channel: 'C0SALES006', oldest: 'yesterday' })).body).toEqual({ ok: false, error: 'invalid_ts_oldest' });
    expect((await call(emu, 'conversations.history', { channel: 'C0NOPE0000' })).body).toEqual({ ok: false, error: 'channel_not_found' });
    // history wants an ID, not a name
    expect((await call(emu, 'conversations.history', { channel: 'general' })).body.error).toBe('channel_not_found');
  });

  it('conversations.replies returns the parent then its replies; unknown ts is thread_not_found', async () => {
    const parent = Object.values(emu.state.messages).flat().find((m) => (m.reply_count ?? 0) >= 2)!;
    const channel = Object.entries(emu.state.messages).find(([, list]) => list.includes(parent))![0];
    const res = await call(emu, 'conversations.replies', { channel, ts: parent.ts });
    expect(res.body.ok).toBe(true);
    expect(res.body.messages[0]).toMatchObject({ ts: parent.ts, thread_ts: parent.ts, reply_count: parent.reply_count });
    expect(res.body.messages).toHaveLength(parent.reply_count! + 1);
    for (const r of res.body.messages.slice(1)) expect(r).toMatchObject({ thread_ts: parent.ts, parent_user_id: parent.user });
    const paged = await call(emu, 'conversations.replies', { channel, ts: parent.ts, limit: '2' });
    expect(paged.body).toMatchObject({ has_more: true, response_metadata: { next_cursor: expect.any(String) } });
    const rest = await call(emu, 'conversations.replies', { channel, ts: parent.ts, limit: '2', cursor: paged.body.response_metadata.next_cursor });
    expect(rest.body.messages[0].ts).toBe(parent.ts);
    expect(rest.body.messages[1].ts).toBe(res.body.messages[2].ts);
    expect((await call(emu, 'conversations.replies', { channel, ts: '1000000000.000001' })).body).toEqual({ ok: false, error: 'thread_not_found' });
  });

  it('users.info returns Slack\'s user object; unknown users are user_not_found', async () => {
    const res = await call(emu, 'users.info', { user: DEMO_USER_ID }, 'get');
    expect(res.body).toMatchObject({
      ok: true,
      user: { id: DEMO_USER_ID, name: 'dana.demo', real_name: 'Dana Demo', tz: 'America/New_York', is_bot: false, profile: { email: 'dana@example.com' } },
    });
    expect((await call(emu, 'users.info', { user: 'U0NOBODY99' })).body).toEqual({ ok: false, error: 'user_not_found' });
  });

  it('chat.postMessage (JSON or form, ID or name) posts, and history shows it first', async () => {
    const res = await call(emu, 'chat.postMessage', { channel: '#support-updates', text: 'Deploy done' }, 'json');
    expect(res.body).toMatchObject({ ok: true, channel: 'C0SUPUPD05', ts: expect.stringMatching(/^\d+\.\d{6}$/), message: { type: 'message', text: 'Deploy done', user: DEMO_USER_ID } });
    const hist = await call(emu, 'conversations.history', { channel: 'C0SUPUPD05', limit: '1' });
    expect(hist.body.messages[0]).toMatchObject({ ts: res.body.ts, text: 'Deploy done' });
    const again = await call(emu, 'chat.postMessage', { channel: 'C0SUPUPD05', text: 'Second' });
    expect(Number(again.body.ts)).toBeGreaterThan(Number(res.body.ts));
  });

  it('chat.postMessage with thread_ts replies and updates the parent', async () => {
    const parent = (await call(emu, 'chat.postMessage', { channel: 'C0RANDOM02', text: 'Lunch?' }, 'json')).body;
    const reply = await call(emu, 'chat.postMessage', { channel: 'C0RANDOM02', text: 'Yes!', thread_ts: parent.ts }, 'json');
    expect(reply.body.message).toMatchObject({ thread_ts: parent.ts, parent_user_id: DEMO_USER_ID });
    const thread = await call(emu, 'conversations.replies', { channel: 'C0RANDOM02', ts: parent.ts });
    expect(thread.body.messages.map((m: Json) => m.text)).toEqual(['Lunch?', 'Yes!']);
    expect(thread.body.messages[0]).toMatchObject({ reply_count: 1, latest_reply: reply.body.ts, reply_users: [DEMO_USER_ID] });
    // a plain reply stays out of the channel's history
    const hist = await call(emu, 'conversations.history', { channel: 'C0RANDOM02', limit: '5' });
    expect(hist.body.messages.map((m: Json) => m.text)).not.toContain('Yes!');
  });

  it('chat.postMessage errors: no_text, channel_not_found, thread_not_found, is_archived', async () => {
    expect((await call(emu, 'chat.postMessage', { channel: 'C0GENERAL1', text: '' }, 'json')).body).toEqual({ ok: false, error: 'no_text' });
    expect((await call(emu, 'chat.postMessage', { channel: '#nope', text: 'x' }, 'json')).body).toEqual({ ok: false, error: 'channel_not_found' });
    expect((await call(emu, 'chat.postMessage', { channel: 'C0GENERAL1', text: 'x', thread_ts: '1.000001' }, 'json')).body).toEqual({ ok: false, error: 'thread_not_found' });
    expect((await call(emu, 'chat.postMessage', { channel: 'project-atlas', text: 'x' }, 'json')).body).toEqual({ ok: false, error: 'is_archived' });
  });

  it('reactions.add adds once, then already_reacted; bad names are invalid_name', async () => {
    const target = emu.state.messages.C0ENGINE03![0]!;
    const res = await call(emu, 'reactions.add', { channel: 'C0ENGINE03', timestamp: target.ts, name: 'eyes' }, 'json');
    expect(res.body).toEqual({ ok: true });
    const hist = await call(emu, 'conversations.history', { channel: 'C0ENGINE03', latest: target.ts, inclusive: 'true', limit: '1' });
    expect(hist.body.messages[0].reactions).toEqual(expect.arrayContaining([{ name: 'eyes', users: expect.arrayContaining([DEMO_USER_ID]), count: expect.any(Number) }]));
    expect((await call(emu, 'reactions.add', { channel: 'C0ENGINE03', timestamp: target.ts, name: 'eyes' })).body).toEqual({ ok: false, error: 'already_reacted' });
    expect((await call(emu, 'reactions.add', { channel: 'C0ENGINE03', timestamp: target.ts, name: 'not_an_emoji_xyz' })).body).toEqual({ ok: false, error: 'invalid_name' });
    expect((await call(emu, 'reactions.add', { channel: 'C0ENGINE03', timestamp: '1.000001', name: 'eyes' })).body).toEqual({ ok: false, error: 'message_not_found' });
    expect((await call(emu, 'reactions.add', { channel: 'C0ENGINE03', name: 'eyes' })).body).toEqual({ ok: false, error: 'no_item_specified' });
  });

  it('unknown methods are 404 unknown_method; other paths too', async () => {
    const res = await call(emu, 'chat.sendTelegram', {});
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ ok: false, error: 'unknown_method', req_method: 'chat.sendTelegram' });
    const other = await fetch(`${emu.url}/nowhere`, { headers: AUTH });
    expect(other.status).toBe(404);
    expect(await other.json()).toEqual({ ok: false, error: 'unknown_method' });
  });

  it('malformed JSON is invalid_json; a non-object JSON body is json_not_object', async () => {
    const bad = await fetch(`${emu.url}/api/chat.postMessage`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body: '{"channel":' });
    expect(bad.status).toBe(200);
    expect(await bad.json()).toEqual({ ok: false, error: 'invalid_json' });
    const arr = await fetch(`${emu.url}/api/chat.postMessage`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body: '[1]' });
    expect(await arr.json()).toEqual({ ok: false, error: 'json_not_object' });
  });

  it('no token is not_authed; a `token` form argument also works', async () => {
    expect((await call(emu, 'users.info', { user: DEMO_USER_ID }, 'form', {})).body).toEqual({ ok: false, error: 'not_authed' });
    expect((await call(emu, 'users.info', { user: DEMO_USER_ID, token: 'xoxp-form' }, 'form', {})).body.ok).toBe(true);
  });

  it('injected faults answer in Slack\'s format: 429 ratelimited with Retry-After, 503 service_unavailable', async () => {
    emu.inject({ kind: 'status', status: 429, count: 1, retryAfter: 7 });
    const limited = await call(emu, 'users.info', { user: DEMO_USER_ID });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect(limited.body).toEqual({ ok: false, error: 'ratelimited' });
    emu.inject({ kind: 'status', status: 503, count: 1 });
    const down = await call(emu, 'users.info', { user: DEMO_USER_ID });
    expect(down.status).toBe(503);
    expect(down.body).toEqual({ ok: false, error: 'service_unavailable' });
  });
});

describe('Slack emulator: token checks', () => {
  const seen: Array<readonly string[]> = [];
  /** Tokens name their fate: "bad", "expired", "revoked", "aud", "scopes:a,b" or anything else (fine). */
  const verifier: TokenVerifier = async (token, required): Promise<BearerCheck> => {
    seen.push(required);
    if (!token) return { ok: false, reason: 'missing' };
    if (token === 'bad') return { ok: false, reason: 'invalid' };
    if (token === 'expired') return { ok: false, reason: 'expired' };
    if (token === 'revoked') return { ok: false, reason: 'revoked' };
    if (token === 'aud') return { ok: false, reason: 'wrong_audience' };
    if (token.startsWith('scopes:')) {
      const scopes = token.slice(7).split(',');
      return required.some((s) => scopes.includes(s)) ? { ok: true, claims: { sub: 'demo-user' }, scopes } : { ok: false, reason: 'insufficient_scope', provided: scopes };
    }
    return { ok: true, claims: { sub: 'demo-user' }, scopes: [] };
  };
  let emu: SlackEmulator;
  beforeAll(async () => { emu = await startSlackEmulator({ verifier }); });
  afterAll(async () => { await emu.close(); });
  const as = (token: string | undefined, method = 'conversations.list', args: Record<string, string> = {}) =>
    call(emu, method, args, 'form', token ? { authorization: `Bearer ${token}` } : {});

  it.each([
    [undefined, 'not_authed'],
    ['bad', 'invalid_auth'],
    ['aud', 'invalid_auth'],
    ['revoked', 'invalid_auth'],
    ['expired', 'token_expired'],
  ])('token %s → HTTP 200 %s', async (token, error) => {
    const res = await as(token);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: false, error });
  });

  it('a token without the method\'s scope gets missing_scope with needed and provided', async () => {
    const res = await as('scopes:channels:read,users:read', 'chat.postMessage', { channel: 'C0GENERAL1', text: 'hi' });
    expect(res.body).toEqual({ ok: false, error: 'missing_scope', needed: 'chat:write', provided: 'channels:read,users:read' });
    expect(emu.state.messages.C0GENERAL1!.some((m) => m.text === 'hi')).toBe(false);
  });

  it('asks for each method\'s real Slack scope', async () => {
    seen.length = 0;
    const methods: Array<[string, string]> = [
      ['conversations.list', 'channels:read'],
      ['conversations.history', 'channels:history'],
      ['conversations.replies', 'channels:history'],
      ['users.info', 'users:read'],
      ['chat.postMessage', 'chat:write'],
      ['reactions.add', 'reactions:write'],
    ];
    for (const [m] of methods) await as('fine', m);
    expect(seen).toEqual(methods.map(([, s]) => [s]));
    seen.length = 0;
    await as('fine', 'conversations.list', { types: 'public_channel,private_channel' });
    expect(seen[0]).toEqual(['channels:read', 'groups:read']);
  });

  it('the right scope passes', async () => {
    const res = await as('scopes:users:read', 'users.info', { user: DEMO_USER_ID });
    expect(res.body.ok).toBe(true);
  });
});
