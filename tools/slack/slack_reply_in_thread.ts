// slack_reply_in_thread: replies under an existing message, optionally also showing it in the channel.
import { z } from 'zod';
import { defineTool } from '../define.js';
import type { SlackConnector } from '../../src/connectors/slack.js';
import { channelArg, channelLabel, quote, tsArg } from './lib/common.js';

const input = z.object({
  channel: channelArg,
  thread_ts: tsArg.describe('The ts of the message to reply to (for a reply inside a thread, its parent\'s ts).'),
  text: z.string().min(1).max(40_000).describe('The reply text (Slack markup).'),
  also_send_to_channel: z.boolean().default(false).describe('Also show the reply in the channel itself (default false).'),
});

const output = z.object({
  channel: z.string().describe('The channel ID posted to.'),
  ts: z.string().describe('The reply\'s own ts.'),
  thread_ts: z.string().describe('The thread\'s parent message ts.'),
  text: z.string().describe('The text as posted.'),
});

/** Replies in a thread (chat.postMessage with thread_ts). */
export const slackReplyInThread = defineTool<SlackConnector, typeof input, typeof output>({
  name: 'slack_reply_in_thread',
  title: 'Reply in a Slack thread',
  description:
    'Posts a reply in the thread of an existing Slack message, as the user (starting the thread if it has none). ' +
    'Use it to answer a specific message without adding noise to the channel. Returns the reply\'s ts and the thread ts.',
  provider: 'slack',
  access: 'write',
  scopes: ['chat:write', 'channels:read'],
  input,
  output,
  summarize: (args) =>
    `reply in a thread of ${channelLabel(args.channel)}${args.also_send_to_channel ? ' (also to the channel)' : ''}: ${quote(args.text)}`,
  handler: async (args, ctx) => {
    const channel = await ctx.connector.resolveChannelId(args.channel);
    const res = await ctx.connector.chatPostMessage({
      channel, text: args.text, thread_ts: args.thread_ts, ...(args.also_send_to_channel ? { reply_broadcast: true } : {}),
    });
    return { channel: res.channel, ts: res.ts, thread_ts: res.message?.thread_ts ?? args.thread_ts, text: res.message?.text ?? args.text };
  },
});
