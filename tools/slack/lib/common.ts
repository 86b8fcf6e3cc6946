// Pieces every Slack tool shares: how a channel argument reads, how a message looks to the
// model, Slack timestamps (also accepted as ISO dates), and the wording of approver summaries.
import { z } from 'zod';
import type { SlackMessage } from '../../../src/connectors/slack.js';

/** A channel argument: `#name`, `name` or a conversation ID. */
export const channelArg = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .describe('The channel: its name ("#general" or "general") or its ID ("C0123ABCD").');

/** A Slack message timestamp, which is also the message's ID within its channel. */
export const tsArg = z
  .string()
  .regex(/^\d{1,12}\.\d{1,6}$/, 'a Slack message timestamp such as "1741971600.123456"')
  .describe('A Slack message timestamp ("ts"), e.g. "1741971600.123456"; it identifies a message within its channel.');

/** A bound of a time range: a Slack ts, Unix seconds, or an ISO 8601 date-time. */
export const timeBoundArg = z
  .string()
  .refine((v) => toSlackTs(v) !== undefined, 'a Slack ts ("1741971600.000000"), Unix seconds, or an ISO 8601 date-time')
  .describe('A Slack ts ("1741971600.000000"), Unix seconds, or an ISO 8601 date-time ("2025-03-14T09:00:00Z").');

/** A Slack ts from a Slack ts, Unix seconds or an ISO date-time; undefined if it is none of those. */
export function toSlackTs(v: string): string | undefined {
  if (/^\d{1,12}(\.\d{1,6})?$/.test(v)) return v.includes('.') ? v : `${v}.000000`;
  if (!/^\d{4}-\d{2}-\d{2}/.test(v)) return undefined;
  const ms = Date.parse(v);
  return Number.isFinite(ms) && ms >= 0 ? `${Math.floor(ms / 1000)}.000000` : undefined;
}

/** One message as the model sees it. */
export const messageOut = z.object({
  ts: z.string().describe('The message timestamp; use it as the message ID (for threads and reactions).'),
  user: z.string().describe('Slack user ID of the author (look it up with slack_get_user); a bot ID for bot posts.'),
  text: z.string().describe('The message text in Slack markup (<@U…> mentions a user).'),
  thread_ts: z.string().optional().describe('The thread this message belongs to or starts (the parent message ts).'),
  reply_count: z.number().int().optional().describe('How many replies the thread has (on thread parents only).'),
  reactions: z
    .array(z.object({ name: z.string().describe('Emoji name.'), count: z.number().int().describe('How many people reacted.') }))
    .optional()
    .describe('Emoji reactions on the message.'),
});

/** Maps a Slack message to `messageOut`. */
export function toMessage(m: SlackMessage): z.infer<typeof messageOut> {
  return {
    ts: m.ts,
    user: m.user ?? m.bot_id ?? '',
    text: m.text ?? '',
    ...(m.thread_ts ? { thread_ts: m.thread_ts } : {}),
    ...(m.reply_count !== undefined ? { reply_count: m.reply_count } : {}),
    ...(m.reactions?.length ? { reactions: m.reactions.map((r) => ({ name: r.name, count: r.count })) } : {}),
  };
}

/** A channel as an approver reads it: `#general`, or the ID as given. */
export function channelLabel(channel: string): string {
  const c = channel.trim();
  return /^[CGD][A-Z0-9]{6,}$/.test(c) || c.startsWith('#') ? c : `#${c}`;
}

/** Text quoted for a one-line summary, cut to about 80 characters. */
export function quote(text: string, max = 80): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return JSON.stringify(flat.length > max ? `${flat.slice(0, max - 1)}…` : flat);
}
