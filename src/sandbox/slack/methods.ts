// The Slack Web API methods the sandbox serves, over the in-memory workspace: each one
// names the real scopes it needs and answers exactly as slack.com does (HTTP 200 with
// `ok:true` and the method's fields, or `ok:false` with Slack's error code).
import { compareTs, formatTs, tsKey } from './seed.js';
import type { SlackChannelRecord, SlackMessage, SlackState } from './seed.js';

/** Arguments of one call: query string and body merged, every value a string (as Slack reads them). */
export type Params = Record<string, string>;

/** A Slack answer body. */
export type SlackAnswer = { ok: true; [key: string]: unknown } | { ok: false; error: string; [key: string]: unknown };

export interface MethodCall {
  params: Params;
  /** Slack user id of the token's user. */
  caller: string;
  state: SlackState;
  now: () => Date;
}

export interface SlackMethod {
  /** Scopes of which the token must hold at least one, for these arguments. */
  scopes: (params: Params) => readonly string[];
  run: (call: MethodCall) => SlackAnswer;
}

const fail = (error: string, extra: Record<string, unknown> = {}): SlackAnswer => ({ ok: false, error, ...extra });
const truthy = (v: string | undefined) => v === 'true' || v === '1';
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

/** Slack's `next_ts:` cursor for message lists (base64 of "next_ts:<ts without the dot>"). */
function tsCursor(ts: string): string {
  const [sec, micro = ''] = ts.split('.');
  return b64(`next_ts:${sec}${micro.padEnd(6, '0')}`);
}
function readTsCursor(cursor: string): bigint | undefined {
  const m = /^next_ts:(\d{7,18})$/.exec(unb64(cursor));
  return m ? BigInt(m[1]!) : undefined;
}

function parseLimit(v: string | undefined, def: number, max: number): number | undefined {
  if (v === undefined || v === '') return def;
  if (!/^\d+$/.test(v)) return undefined;
  const n = Number(v);
  return n < 1 ? def : Math.min(n, max);
}

function findChannel(state: SlackState, ref: string | undefined, byName: boolean): SlackChannelRecord | undefined {
  if (!ref) return undefined;
  const byId = state.channels.find((c) => c.id === ref);
  if (byId || !byName) return byId;
  const name = ref.replace(/^#/, '').toLowerCase();
  return state.channels.find((c) => c.name === name);
}

/** The conversation object of conversations.list, seen by `caller`. */
function channelWire(c: SlackChannelRecord, caller: string) {
  return {
    id: c.id, name: c.name, is_channel: true, is_group: false, is_im: false, is_mpim: false, is_private: false,
    created: c.created, is_archived: c.is_archived, is_general: c.is_general, unlinked: 0, name_normalized: c.name,
    is_shared: false, is_org_shared: false, is_ext_shared: false, is_pending_ext_shared: false, pending_shared: [],
    context_team_id: 'T0MANDATE1', updated: c.created * 1000, parent_conversation: null, creator: c.creator,
    shared_team_ids: ['T0MANDATE1'], pending_connected_team_ids: [], is_member: c.members.includes(caller),
    topic: { value: c.topic, creator: c.creator, last_set: c.created },
    purpose: { value: c.purpose, creator: c.creator, last_set: c.created },
    previous_names: [], num_members: c.members.length,
  };
}

const TYPE_SCOPES: Record<string, string> = {
  public_channel: 'channels:read', private_channel: 'groups:read', mpim: 'mpim:read', im: 'im:read',
};

function typesOf(params: Params): string[] | undefined {
  const types = (params.types ?? 'public_channel').split(',').map((t) => t.trim()).filter(Boolean);
  return types.every((t) => t in TYPE_SCOPES) && types.length > 0 ? types : undefined;
}

const conversationsList: SlackMethod = {
  scopes: (p) => (typesOf(p) ?? ['public_channel']).map((t) => TYPE_SCOPES[t]!),
  run: ({ params, caller, state }) => {
    const types = typesOf(params);
    if (!types) return fail('invalid_types');
    const limit = parseLimit(params.limit, 100, 1000);
    if (limit === undefined) return fail('invalid_limit');
    // The sandbox holds public channels only; other types are simply empty.
    let list = types.includes('public_channel') ? state.channels : [];
    if (truthy(params.exclude_archived)) list = list.filter((c) => !c.is_archived);
    let start = 0;
    if (params.cursor) {
      const m = /^team:(C[A-Z0-9]+)$/.exec(unb64(params.cursor));
      start = m ? list.findIndex((c) => c.id === m[1]) : -1;
      if (start < 0) return fail('invalid_cursor');
    }
    const page = list.slice(start, start + limit);
    const next = list[start + limit];
    return {
      ok: true,
      channels: page.map((c) => channelWire(c, caller)),
      response_metadata: { next_cursor: next ? b64(`team:${next.id}`) : '' },
    };
  },
};

/** Shared by history and replies: timeline bounds from oldest / latest / inclusive. */
function bounds(params: Params): { lo: bigint; hi: bigint; inclusive: boolean } | SlackAnswer {
  const lo = params.oldest ? tsKey(params.oldest) : 0n;
  if (lo === undefined) return fail('invalid_ts_oldest');
  const hi = params.latest ? tsKey(params.latest) : BigInt(Number.MAX_SAFE_INTEGER) * 1_000_000n;
  if (hi === undefined) return fail('invalid_ts_latest');
  return { lo, hi, inclusive: truthy(params.inclusive) };
}

const inRange = (ts: string, b: { lo: bigint; hi: bigint; inclusive: boolean }) => {
  const k = tsKey(ts)!;
  return b.inclusive ? k >= b.lo && k <= b.hi : k > b.lo && k < b.hi;
};

/** A stored message as Slack hands it out (a copy, so callers cannot change the state). */
const wire = (m: SlackMessage): SlackMessage => structuredClone(m);

const isTopLevel = (m: SlackMessage) => !m.thread_ts || m.thread_ts === m.ts || m.subtype === 'thread_broadcast';

const conversationsHistory: SlackMethod = {
  scopes: () => ['channels:history'],
  run: ({ params, state }) => {
    const channel = findChannel(state, params.channel, false);
    if (!channel) return fail('channel_not_found');
    const limit = parseLimit(params.limit, 100, 999);
    if (limit === undefined) return fail('invalid_arguments');
    const b = bounds(params);
    if ('ok' in b) return b;
    let list = (state.messages[channel.id] ?? []).filter((m) => isTopLevel(m) && inRange(m.ts, b)).reverse();
    if (params.cursor) {
      const at = readTsCursor(params.cursor);
      if (at === undefined) return fail('invalid_cursor');
      list = list.filter((m) => tsKey(m.ts)! <= at);
    }
    const page = list.slice(0, limit);
    const next = list[limit];
    return {
      ok: true,
      ...(params.oldest ? { oldest: params.oldest } : {}),
      ...(params.latest ? { latest: params.latest } : {}),
      messages: page.map(wire),
      has_more: next !== undefined,
      pin_count: 0,
      channel_actions_ts: null,
      channel_actions_count: 0,
      ...(next ? { response_metadata: { next_cursor: tsCursor(next.ts) } } : {}),
    };
  },
};

const conversationsReplies: SlackMethod = {
  scopes: () => ['channels:history'],
  run: ({ params, state }) => {
    const channel = findChannel(state, params.channel, false);
    if (!channel) return fail('channel_not_found');
    const all = state.messages[channel.id] ?? [];
    const hit = params.ts ? all.find((m) => m.ts === params.ts) : undefined;
    if (!hit) return fail('thread_not_found');
    const root = hit.thread_ts ?? hit.ts;
    const parent = all.find((m) => m.ts === root) ?? hit;
    const limit = parseLimit(params.limit, 1000, 1000);
    if (limit === undefined) return fail('invalid_arguments');
    const b = bounds(params);
    if ('ok' in b) return b;
    let replies = all.filter((m) => m.thread_ts === root && m.ts !== root && inRange(m.ts, b));
    if (params.cursor) {
      const at = readTsCursor(params.cursor);
      if (at === undefined) return fail('invalid_cursor');
      replies = replies.filter((m) => tsKey(m.ts)! >= at);
    }
    // The parent leads every page; it counts toward the limit.
    const take = Math.max(1, limit - 1);
    const page = replies.slice(0, take);
    const next = replies[take];
    return {
      ok: true,
      messages: [parent, ...page].map(wire),
      has_more: next !== undefined,
      ...(next ? { response_metadata: { next_cursor: tsCursor(next.ts) } } : {}),
    };
  },
};

const usersInfo: SlackMethod = {
  scopes: () => ['users:read'],
  run: ({ params, state }) => {
    if (!params.user) return fail('user_not_found');
    const user = state.users.find((u) => u.id === params.user);
    return user ? { ok: true, user: structuredClone(user) } : fail('user_not_found');
  },
};

/** A fresh, unique, increasing ts for a new message in `list`. */
function nextTs(list: SlackMessage[], now: Date): string {
  const want = BigInt(now.getTime()) * 1000n;
  const last = list.reduce((max, m) => {
    const k = tsKey(m.ts)!;
    return k > max ? k : max;
  }, 0n);
  const k = want > last ? want : last + 1n;
  return formatTs(Number(k / 1_000_000n), Number(k % 1_000_000n));
}

const chatPostMessage: SlackMethod = {
  scopes: () => ['chat:write'],
  run: ({ params, caller, state, now }) => {
    const channel = findChannel(state, params.channel, true);
    if (!channel) return fail('channel_not_found');
    const text = params.text ?? '';
    if (!text.trim() && !params.blocks && !params.attachments) return fail('no_text');
    if (text.length > 40_000) return fail('msg_too_long');
    if (channel.is_archived) return fail('is_archived');
    if (!channel.members.includes(caller)) return fail('not_in_channel');
    const list = (state.messages[channel.id] ??= []);
    let parent: SlackMessage | undefined;
    if (params.thread_ts) {
      const target = list.find((m) => m.ts === params.thread_ts);
      parent = target && list.find((m) => m.ts === (target.thread_ts ?? target.ts));
      if (!parent) return fail('thread_not_found');
    }
    const ts = nextTs(list, now());
    const msg: SlackMessage = { type: 'message', ts, user: caller, team: state.team.id, text };
    if (parent) {
      msg.thread_ts = parent.ts;
      msg.parent_user_id = parent.user;
      if (truthy(params.reply_broadcast)) msg.subtype = 'thread_broadcast';
      const users = new Set([...(parent.reply_users ?? []), caller]);
      Object.assign(parent, {
        thread_ts: parent.ts, reply_count: (parent.reply_count ?? 0) + 1, reply_users: [...users],
        reply_users_count: users.size, latest_reply: ts,
      });
    }
    list.push(msg);
    list.sort((a, b) => compareTs(a.ts, b.ts));
    return { ok: true, channel: channel.id, ts, message: wire(msg) };
  },
};

/** Standard emoji the sandbox knows (plus one custom one); anything else is `invalid_name`. */
export const KNOWN_EMOJI: ReadonlySet<string> = new Set([
  '+1', 'thumbsup', '-1', 'thumbsdown', 'white_check_mark', 'heavy_check_mark', 'x', 'eyes', 'tada', 'rocket', 'fire',
  'heart', 'green_heart', 'blue_heart', 'pray', 'raised_hands', 'clap', '100', 'joy', 'smile', 'grinning', 'laughing',
  'slightly_smiling_face', 'upside_down_face', 'thinking_face', 'sunglasses', 'wave', 'ok_hand', 'muscle', 'handshake',
  'bug', 'warning', 'rotating_light', 'question', 'exclamation', 'star', 'sparkles', 'zap', 'bulb', 'memo', 'coffee',
  'pizza', 'cry', 'sob', 'sweat_smile', 'see_no_evil', 'point_up', 'raised_hand', 'heavy_plus_sign', 'dart', 'trophy',
  'moneybag', 'chart_with_upwards_trend', 'calendar', 'mag', 'hammer_and_wrench', 'ambulance', 'checkered_flag', 'lock',
  'hourglass_flowing_sand', 'ship', 'cat', 'dog', 'partyparrot',
]);

function validEmoji(name: string): boolean {
  const m = /^([a-z0-9_+-]+)(::skin-tone-[2-6])?$/.exec(name);
  return m !== null && KNOWN_EMOJI.has(m[1]!);
}

const reactionsAdd: SlackMethod = {
  scopes: () => ['reactions:write'],
  run: ({ params, caller, state }) => {
    if (!params.name) return fail('invalid_name');
    if (!params.channel || !params.timestamp) return fail('no_item_specified');
    const channel = findChannel(state, params.channel, false);
    if (!channel) return fail('channel_not_found');
    if (!tsKey(params.timestamp)) return fail('bad_timestamp');
    const msg = (state.messages[channel.id] ?? []).find((m) => m.ts === params.timestamp);
    if (!msg) return fail('message_not_found');
    if (!validEmoji(params.name)) return fail('invalid_name');
    if (channel.is_archived) return fail('is_archived');
    const reactions = (msg.reactions ??= []);
    let r = reactions.find((x) => x.name === params.name);
    if (r?.users.includes(caller)) return fail('already_reacted');
    if (!r) {
      if (reactions.length >= 50) return fail('too_many_emoji');
      r = { name: params.name, users: [], count: 0 };
      reactions.push(r);
    }
    r.users.push(caller);
    r.count += 1;
    return { ok: true };
  },
};

/** Every Web API method the sandbox serves, by its Slack name. */
export const SLACK_METHODS: Readonly<Record<string, SlackMethod>> = {
  'conversations.list': conversationsList,
  'conversations.history': conversationsHistory,
  'conversations.replies': conversationsReplies,
  'users.info': usersInfo,
  'chat.postMessage': chatPostMessage,
  'reactions.add': reactionsAdd,
};
