// The Slack Web API connector: one typed method per Web API method the tools use, and how
// Slack's answers read. Slack reports almost everything as HTTP 200 with `ok:false` and a
// snake_case error code; auth codes mean "refresh the token once", 429 means wait for
// Retry-After, anything else becomes a short upstream_error naming the code (never a token).
import { HttpConnector, retryAfterSeconds } from './http.js';
import type { ConnectorOptions, Interpret, UpstreamResponse, Verdict } from './http.js';
import { UpstreamError } from '../errors.js';

/** Slack error codes that mean the token itself was refused. */
const AUTH_ERRORS = new Set([
  'not_authed', 'invalid_auth', 'token_expired', 'token_revoked', 'account_inactive', 'missing_scope', 'not_allowed_token_type',
]);

/** Errors that are an answer rather than a failure for the method that gets them. */
const BENIGN_ERRORS = new Set(['already_reacted']);

/** Slack's error codes are snake_case words; anything else is not echoed. */
const safeCode = (v: unknown): string => (typeof v === 'string' && /^[a-z0-9_]{1,64}$/.test(v) ? v : 'unknown_error');
const safeScopes = (v: unknown): string | undefined =>
  typeof v === 'string' && /^[a-z0-9:._,-]{1,200}$/.test(v) ? v : undefined;

/** How a Slack response reads: ok, refused token, rate limited, or a failure with its error code. */
export const interpretSlack: Interpret = (res: UpstreamResponse): Verdict => {
  if (res.status === 429) return { kind: 'rate_limited', retryAfterSeconds: retryAfterSeconds(res.headers) };
  const body = res.body as { ok?: unknown; error?: unknown; needed?: unknown } | undefined;
  const isSlack = typeof body === 'object' && body !== null && typeof body.ok === 'boolean';
  if (res.status >= 200 && res.status < 300 && isSlack && body.ok === true) return { kind: 'ok' };
  if (!isSlack) return { kind: 'error', message: `unexpected response (HTTP ${res.status})` };
  const code = safeCode(body.error);
  if (res.status < 300 && BENIGN_ERRORS.has(code)) return { kind: 'ok' };
  if (AUTH_ERRORS.has(code)) {
    const needed = code === 'missing_scope' ? safeScopes(body.needed) : undefined;
    return { kind: 'unauthorized', message: needed ? `${code} (needed: ${needed})` : code };
  }
  if (code === 'ratelimited') return { kind: 'rate_limited', retryAfterSeconds: retryAfterSeconds(res.headers) };
  return { kind: 'error', message: res.status >= 300 ? `${code} (HTTP ${res.status})` : code };
};

/** Slack's cursor block; `next_cursor` is "" (or absent) on the last page. */
export interface ResponseMetadata {
  next_cursor?: string;
}

export interface SlackChannel {
  id: string;
  name: string;
  is_channel: boolean;
  is_private: boolean;
  is_archived: boolean;
  is_general: boolean;
  is_member?: boolean;
  created: number;
  creator: string;
  num_members?: number;
  topic?: { value: string; creator: string; last_set: number };
  purpose?: { value: string; creator: string; last_set: number };
}

export interface SlackMessage {
  type: string;
  subtype?: string;
  ts: string;
  user?: string;
  bot_id?: string;
  username?: string;
  text?: string;
  thread_ts?: string;
  parent_user_id?: string;
  reply_count?: number;
  reply_users_count?: number;
  reply_users?: string[];
  latest_reply?: string;
  reactions?: Array<{ name: string; users: string[]; count: number }>;
}

export interface SlackUser {
  id: string;
  team_id?: string;
  name: string;
  deleted: boolean;
  real_name?: string;
  tz?: string;
  tz_label?: string;
  tz_offset?: number;
  is_admin?: boolean;
  is_owner?: boolean;
  is_bot: boolean;
  is_app_user?: boolean;
  profile: {
    title?: string;
    real_name?: string;
    display_name?: string;
    email?: string;
    status_text?: string;
    status_emoji?: string;
  };
}

export interface ConversationsListArgs {
  /** Comma-separated: public_channel, private_channel, mpim, im (default public_channel). */
  types?: string;
  limit?: number;
  cursor?: string;
  exclude_archived?: boolean;
}
export interface ConversationsListResponse {
  ok: true;
  channels: SlackChannel[];
  response_metadata?: ResponseMetadata;
}

export interface TimelineArgs {
  channel: string;
  limit?: number;
  cursor?: string;
  /** Slack timestamps ("1712345678.000100"). */
  oldest?: string;
  latest?: string;
  inclusive?: boolean;
}
export interface ConversationsHistoryResponse {
  ok: true;
  messages: SlackMessage[];
  has_more: boolean;
  pin_count?: number;
  response_metadata?: ResponseMetadata;
}
export interface ConversationsRepliesArgs extends TimelineArgs {
  /** The thread's parent message ts. */
  ts: string;
}
export interface ConversationsRepliesResponse {
  ok: true;
  messages: SlackMessage[];
  has_more?: boolean;
  response_metadata?: ResponseMetadata;
}

export interface UsersInfoResponse {
  ok: true;
  user: SlackUser;
}

export interface ChatPostMessageArgs {
  /** A channel ID (a name also works for this method). */
  channel: string;
  text: string;
  thread_ts?: string;
  reply_broadcast?: boolean;
  unfurl_links?: boolean;
  unfurl_media?: boolean;
}
export interface ChatPostMessageResponse {
  ok: true;
  channel: string;
  ts: string;
  message: SlackMessage;
}

export interface ReactionsAddArgs {
  channel: string;
  /** The message's ts. */
  timestamp: string;
  /** Emoji name without colons ("thumbsup"). */
  name: string;
}
export interface ReactionsAddResult {
  /** True when this user had already added this reaction (Slack's `already_reacted`). */
  already_reacted: boolean;
}

/** The cursor of the next page, or undefined on the last one. */
export function nextCursor(res: { response_metadata?: ResponseMetadata }): string | undefined {
  const c = res.response_metadata?.next_cursor;
  return c ? c : undefined;
}

/** Looks like a conversation ID (C…, G…, D…) rather than a channel name (names are lowercase). */
export function isChannelId(channel: string): boolean {
  return /^[CGD][A-Z0-9]{6,}$/.test(channel);
}

/** Slack Web API client holding one per-tool token. `baseUrl` is the API root (`https://slack.com/api`). */
export class SlackConnector extends HttpConnector {
  private readonly prefix: string;
  private readonly channelIds = new Map<string, string>();

  constructor(options: ConnectorOptions) {
    super('Slack', options, interpretSlack);
    // Accept both the API root (…/api, as configured) and the bare host (https://slack.com).
    this.prefix = /\/api$/.test(this.opts.baseUrl) ? '' : '/api';
  }

  /** Read methods go form-encoded (Slack ignores JSON bodies on some of them); writes go as JSON. */
  private call<T>(method: string, args: Record<string, string | number | boolean | undefined>, as: 'form' | 'json'): Promise<T> {
    const path = `${this.prefix}/${method}`;
    const defined = Object.fromEntries(Object.entries(args).filter(([, v]) => v !== undefined));
    return as === 'json' ? this.send<T>({ method: 'POST', path, json: defined }) : this.send<T>({ method: 'POST', path, form: defined });
  }

  /** conversations.list (channels:read for public channels). */
  conversationsList(args: ConversationsListArgs = {}): Promise<ConversationsListResponse> {
    return this.call('conversations.list', { types: args.types, limit: args.limit, cursor: args.cursor, exclude_archived: args.exclude_archived }, 'form');
  }

  /** conversations.history (channels:history), newest first; `has_more` and a cursor for older pages. */
  conversationsHistory(args: TimelineArgs): Promise<ConversationsHistoryResponse> {
    return this.call('conversations.history', { ...args }, 'form');
  }

  /** conversations.replies (channels:history): the parent first, then replies oldest first. */
  conversationsReplies(args: ConversationsRepliesArgs): Promise<ConversationsRepliesResponse> {
    return this.call('conversations.replies', { ...args }, 'form');
  }

  /** users.info (users:read). */
  usersInfo(args: { user: string }): Promise<UsersInfoResponse> {
    return this.call('users.info', { user: args.user }, 'form');
  }

  /** chat.postMessage (chat:write); with `thread_ts` it replies in that thread. */
  chatPostMessage(args: ChatPostMessageArgs): Promise<ChatPostMessageResponse> {
    return this.call('chat.postMessage', { ...args }, 'json');
  }

  /** reactions.add (reactions:write); an existing identical reaction is reported, not thrown. */
  async reactionsAdd(args: ReactionsAddArgs): Promise<ReactionsAddResult> {
    const res = await this.call<{ ok: boolean; error?: string }>('reactions.add', { ...args }, 'json');
    return { already_reacted: res.ok === false && res.error === 'already_reacted' };
  }

  /** Every page of a cursor-paged method, up to `maxPages`. */
  async *paginate<T extends { response_metadata?: ResponseMetadata }>(
    fetchPage: (cursor: string | undefined) => Promise<T>,
    maxPages = 50,
  ): AsyncGenerator<T> {
    let cursor: string | undefined;
    for (let i = 0; i < maxPages; i += 1) {
      const page = await fetchPage(cursor);
      yield page;
      cursor = nextCursor(page);
      if (!cursor) return;
    }
  }

  /**
   * A channel ID from `#name`, `name` or an ID (IDs pass through untouched). Names are looked
   * up through conversations.list (hence channels:read on every channel tool).
   */
  async resolveChannelId(channel: string): Promise<string> {
    const ref = channel.trim();
    if (isChannelId(ref)) return ref;
    const name = ref.replace(/^#/, '').toLowerCase();
    const known = this.channelIds.get(name);
    if (known) return known;
    for await (const page of this.paginate((cursor) => this.conversationsList({ types: 'public_channel', limit: 200, cursor }))) {
      for (const c of page.channels) this.channelIds.set(c.name, c.id);
      const hit = this.channelIds.get(name);
      if (hit) return hit;
    }
    throw new UpstreamError(`Slack: channel #${name.slice(0, 80)} not found`);
  }
}
