// slack_post_message: posts a new top-level message to a channel, as the user.
import { z } from 'zod';
import { defineTool } from '../define.js';
import type { SlackConnector } from '../../src/connectors/slack.js';
import { channelArg, channelLabel, quote } from './lib/common.js';

const input = z.object({
  channel: channelArg,
  text: z.string().min(1).max(40_000).describe('The message text (Slack markup: *bold*, _italic_, <@U…> mentions).'),
});

const output = z.object({
  channel: z.string().describe('The channel ID posted to.'),
  ts: z.string().describe('The new message\'s ts (its ID: use it to reply in its thread or react to it).'),
  text: z.string().describe('The text as posted.'),
});

/** Posts a message (chat.postMessage). */
export const slackPostMessage = defineTool<SlackConnector, typeof input, typeof output>({
  name: 'slack_post_message',
  title: 'Post a Slack message',
  description:
    'Posts a new message to a Slack channel as the user; everyone in the channel sees it. Use slack_reply_in_thread ' +
    'instead to answer an existing message. Returns the channel ID and the new message\'s ts.',
  provider: 'slack',
  access: 'write',
  scopes: ['chat:write', 'channels:read'],
  input,
  output,
  summarize: (args) => `post to ${channelLabel(args.channel)}: ${quote(args.text)}`,
  handler: async (args, ctx) => {
    const channel = await ctx.connector.resolveChannelId(args.channel);
    const res = await ctx.connector.chatPostMessage({ channel, text: args.text });
    return { channel: res.channel, ts: res.ts, text: res.message?.text ?? args.text };
  },
});
