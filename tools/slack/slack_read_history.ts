// slack_read_history: a channel's recent messages, newest first, one page at a time.
import { z } from 'zod';
import { defineTool } from '../define.js';
import { nextCursor } from '../../src/connectors/slack.js';
import type { SlackConnector } from '../../src/connectors/slack.js';
import { channelArg, channelLabel, messageOut, timeBoundArg, toMessage, toSlackTs } from './lib/common.js';

const input = z.object({
  channel: channelArg,
  limit: z.number().int().min(1).max(200).default(100).describe('How many messages to return (1-200, default 100).'),
  cursor: z.string().min(1).max(500).optional().describe('The `next_cursor` of a previous call, to read further back.'),
  oldest: timeBoundArg.optional().describe('Only messages after this time (Slack ts, Unix seconds or ISO 8601).'),
  latest: timeBoundArg.optional().describe('Only messages before this time (Slack ts, Unix seconds or ISO 8601).'),
});

const output = z.object({
  channel: z.string().describe('The channel ID read.'),
  messages: z.array(messageOut).describe('Top-level messages, newest first (thread replies: use slack_read_thread).'),
  has_more: z.boolean().describe('Whether older messages exist beyond this page.'),
  next_cursor: z.string().optional().describe('Present when older messages exist: pass it as `cursor` to read them.'),
});

/** Reads a channel's message history (conversations.history). */
export const slackReadHistory = defineTool<SlackConnector, typeof input, typeof output>({
  name: 'slack_read_history',
  title: 'Read Slack channel history',
  description:
    'Reads the messages of a Slack channel, newest first, optionally between `oldest` and `latest`. Use it to catch up ' +
    'on a channel or find a message to reply or react to. Returns top-level messages with their ts (the message ID), ' +
    'author user ID, text, and thread info (thread_ts, reply_count; read replies with slack_read_thread). ' +
    'When `next_cursor` is present, pass it back as `cursor` to read older messages.',
  provider: 'slack',
  access: 'read',
  scopes: ['channels:history', 'channels:read'],
  input,
  output,
  summarize: (args) => `read the last ${args.limit} messages of ${channelLabel(args.channel)}${args.cursor ? ' (next page)' : ''}`,
  handler: async (args, ctx) => {
    const channel = await ctx.connector.resolveChannelId(args.channel);
    const res = await ctx.connector.conversationsHistory({
      channel, limit: args.limit, cursor: args.cursor,
      oldest: args.oldest === undefined ? undefined : toSlackTs(args.oldest),
      latest: args.latest === undefined ? undefined : toSlackTs(args.latest),
    });
    const next = nextCursor(res);
    return { channel, messages: res.messages.map(toMessage), has_more: res.has_more === true, ...(next ? { next_cursor: next } : {}) };
  },
});
