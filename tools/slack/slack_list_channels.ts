// slack_list_channels: the workspace's public channels, one page at a time.
import { z } from 'zod';
import { defineTool } from '../define.js';
import { nextCursor } from '../../src/connectors/slack.js';
import type { SlackConnector } from '../../src/connectors/slack.js';

const input = z.object({
  limit: z.number().int().min(1).max(200).default(100).describe('How many channels to return in this page (1-200, default 100).'),
  cursor: z.string().min(1).max(500).optional().describe('The `next_cursor` of a previous call, to get the next page.'),
  include_archived: z.boolean().default(false).describe('Also list archived channels (default false).'),
});

const output = z.object({
  channels: z
    .array(
      z.object({
        id: z.string().describe('Channel ID (C…); works wherever a channel is asked for.'),
        name: z.string().describe('Channel name without "#".'),
        topic: z.string().describe('The channel topic (may be empty).'),
        purpose: z.string().describe('What the channel is for (may be empty).'),
        num_members: z.number().int().describe('How many members the channel has.'),
        is_member: z.boolean().describe('Whether the user is a member (posting needs membership).'),
        is_archived: z.boolean().describe('Archived channels can be read but not posted to.'),
      }),
    )
    .describe('The channels in this page.'),
  next_cursor: z.string().optional().describe('Present when more channels exist: pass it as `cursor` to get them.'),
});

/** Lists public Slack channels (conversations.list). */
export const slackListChannels = defineTool<SlackConnector, typeof input, typeof output>({
  name: 'slack_list_channels',
  title: 'List Slack channels',
  description:
    'Lists the public channels of the Slack workspace with their ID, name, topic, purpose, member count and whether ' +
    'the user is a member. Use it to find a channel before reading or posting, or to see what channels exist. ' +
    'Returns one page; when `next_cursor` is present, pass it back as `cursor` for the next page.',
  provider: 'slack',
  access: 'read',
  scopes: ['channels:read'],
  input,
  output,
  summarize: (args) => `list Slack channels${args.include_archived ? ' (including archived)' : ''}`,
  handler: async (args, ctx) => {
    const res = await ctx.connector.conversationsList({
      types: 'public_channel', limit: args.limit, cursor: args.cursor, exclude_archived: !args.include_archived,
    });
    const next = nextCursor(res);
    return {
      channels: res.channels.map((c) => ({
        id: c.id, name: c.name, topic: c.topic?.value ?? '', purpose: c.purpose?.value ?? '',
        num_members: c.num_members ?? 0, is_member: c.is_member === true, is_archived: c.is_archived,
      })),
      ...(next ? { next_cursor: next } : {}),
    };
  },
});
