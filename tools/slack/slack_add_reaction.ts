// slack_add_reaction: adds an emoji reaction to a message; adding it twice changes nothing.
import { z } from 'zod';
import { defineTool } from '../define.js';
import type { SlackConnector } from '../../src/connectors/slack.js';
import { channelArg, channelLabel, tsArg } from './lib/common.js';

const input = z.object({
  channel: channelArg,
  ts: tsArg.describe('The ts of the message to react to.'),
  name: z
    .string()
    .trim()
    .regex(/^:?[a-z0-9_+-]+(::skin-tone-[2-6])?:?$/, 'an emoji name such as "thumbsup" or ":eyes:"')
    .max(100)
    .describe('The emoji name, with or without colons ("white_check_mark", ":eyes:").'),
});

const output = z.object({
  channel: z.string().describe('The channel ID.'),
  ts: z.string().describe('The message reacted to.'),
  name: z.string().describe('The emoji name, without colons.'),
  already_reacted: z.boolean().describe('True when the user had already added this reaction (nothing changed).'),
});

/** The emoji name without its surrounding colons. */
const bare = (name: string) => name.trim().replace(/^:/, '').replace(/:$/, '');

/** Adds a reaction (reactions.add). */
export const slackAddReaction = defineTool<SlackConnector, typeof input, typeof output>({
  name: 'slack_add_reaction',
  title: 'Add a Slack reaction',
  description:
    'Adds an emoji reaction to a Slack message as the user, e.g. :eyes: to say "looking" or :white_check_mark: to ' +
    'say "done". Safe to repeat: if the user already reacted with that emoji, nothing changes and already_reacted ' +
    'is true. Find the message ts with slack_read_history or slack_read_thread.',
  provider: 'slack',
  access: 'write',
  idempotent: true,
  scopes: ['reactions:write', 'channels:read'],
  input,
  output,
  summarize: (args) => `react :${bare(args.name)}: to message ${args.ts} in ${channelLabel(args.channel)}`,
  handler: async (args, ctx) => {
    const channel = await ctx.connector.resolveChannelId(args.channel);
    const name = bare(args.name);
    const res = await ctx.connector.reactionsAdd({ channel, timestamp: args.ts, name });
    return { channel, ts: args.ts, name, already_reacted: res.already_reacted };
  },
});
