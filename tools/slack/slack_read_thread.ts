// slack_read_thread: a thread's parent message and its replies, oldest first.
import { z } from 'zod';
import { defineTool } from '../define.js';
import { nextCursor } from '../../src/connectors/slack.js';
import type { SlackConnector } from '../../src/connectors/slack.js';
import { channelArg, channelLabel, messageOut, toMessage, tsArg } from './lib/common.js';

const input = z.object({
  channel: channelArg,
  thread_ts: tsArg.describe('The ts of the thread\'s parent message (its `thread_ts` or `ts` in slack_read_history).'),
  limit: z.number().int().min(1).max(200).default(100).describe('How many messages to return, parent included (1-200, default 100).'),
  cursor: z.string().min(1).max(500).optional().describe('The `next_cursor` of a previous call, to read more replies.'),
});

const output = z.object({
  channel: z.string().describe('The channel ID read.'),
  thread_ts: z.string().describe('The thread\'s parent message ts.'),
  messages: z.array(messageOut).describe('The parent message first, then the replies oldest first.'),
  next_cursor: z.string().optional().describe('Present when more replies exist: pass it as `cursor` to read them.'),
});

/** Reads one thread (conversations.replies). */
export const slackReadThread = defineTool<SlackConnector, typeof input, typeof output>({
  name: 'slack_read_thread',
  title: 'Read a Slack thread',
  description:
    'Reads a Slack thread: the parent message followed by its replies, oldest first. Use it when a message from ' +
    'slack_read_history has a reply_count, before replying in that thread. Returns each message\'s ts, author user ID ' +
    'and text; when `next_cursor` is present, pass it back as `cursor` for more replies.',
  provider: 'slack',
  access: 'read',
  scopes: ['channels:history', 'channels:read'],
  input,
  output,
  summarize: (args) => `read the thread ${args.thread_ts} in ${channelLabel(args.channel)}`,
  handler: async (args, ctx) => {
    const channel = await ctx.connector.resolveChannelId(args.channel);
    const res = await ctx.connector.conversationsReplies({ channel, ts: args.thread_ts, limit: args.limit, cursor: args.cursor });
    const next = nextCursor(res);
    const parent = res.messages[0];
    return {
      channel,
      thread_ts: parent?.thread_ts ?? parent?.ts ?? args.thread_ts,
      messages: res.messages.map(toMessage),
      ...(next ? { next_cursor: next } : {}),
    };
  },
});
