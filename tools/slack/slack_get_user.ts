// slack_get_user: who a Slack user ID is (name, title, email, time zone).
import { z } from 'zod';
import { defineTool } from '../define.js';
import type { SlackConnector } from '../../src/connectors/slack.js';

const input = z.object({
  user: z
    .string()
    .regex(/^[UW][A-Z0-9]{2,}$/, 'a Slack user ID such as "U0123ABCD"')
    .describe('The Slack user ID ("U0123ABCD"), as found in a message\'s `user` field or a <@U…> mention.'),
});

const output = z.object({
  id: z.string().describe('The Slack user ID.'),
  name: z.string().describe('The user\'s handle.'),
  real_name: z.string().describe('Full name.'),
  display_name: z.string().describe('The name shown in Slack (may be empty).'),
  title: z.string().optional().describe('Job title, when set.'),
  email: z.string().optional().describe('Email address, when visible to the token.'),
  tz: z.string().optional().describe('IANA time zone, e.g. "Europe/Rome".'),
  tz_label: z.string().optional().describe('Readable time zone name.'),
  is_bot: z.boolean().describe('Whether this is a bot user.'),
  is_admin: z.boolean().describe('Whether the user is a workspace admin.'),
  deleted: z.boolean().describe('Whether the account is deactivated.'),
});

/** Looks up one user (users.info). */
export const slackGetUser = defineTool<SlackConnector, typeof input, typeof output>({
  name: 'slack_get_user',
  title: 'Get a Slack user',
  description:
    'Looks up a Slack user by ID and returns their name, display name, title, email, time zone and whether they are ' +
    'a bot, admin or deactivated. Use it to find out who wrote a message or who a <@U…> mention refers to.',
  provider: 'slack',
  access: 'read',
  scopes: ['users:read'],
  input,
  output,
  summarize: (args) => `look up Slack user ${args.user}`,
  handler: async (args, ctx) => {
    const { user: u } = await ctx.connector.usersInfo({ user: args.user });
    const opt = <K extends string>(k: K, v: string | undefined) => (v ? { [k]: v } : {}) as Partial<Record<K, string>>;
    return {
      id: u.id,
      name: u.name,
      real_name: u.real_name ?? u.profile.real_name ?? '',
      display_name: u.profile.display_name ?? '',
      ...opt('title', u.profile.title),
      ...opt('email', u.profile.email),
      ...opt('tz', u.tz),
      ...opt('tz_label', u.tz_label),
      is_bot: u.is_bot,
      is_admin: u.is_admin === true,
      deleted: u.deleted,
    };
  },
});
