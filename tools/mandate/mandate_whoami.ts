import { z } from 'zod';
import { defineTool } from '../define.js';
import type { MandateSelf } from './self.js';

export const mandateWhoami = defineTool<MandateSelf, z.ZodObject, z.ZodObject>({
  name: 'mandate_whoami',
  title: 'Who am I acting for',
  description:
    'Tells which user this agent acts for, through which client, under which agent identity, and what it may do with each tool ' +
    '(allow, approve = a human approves each call, or deny), with the rule that decided and the limits on its calls (channels, ' +
    'attendee domains, hours, deal stages, accounts, rate), and which provider accounts the tools can act in. Call it when unsure whether an action is permitted.',
  provider: 'mandate',
  access: 'read',
  scopes: [],
  input: z.object({}),
  output: z.object({
    user: z.string().describe('The user (token sub) whose accounts the tools touch.'),
    client: z.string().describe('The OAuth client that ran the delegation (azp).'),
    agent: z.string().describe('This agent (the current actor).'),
    actor_chain: z.array(z.string()).describe('The actor chain, current actor first.'),
    read_only: z.boolean().describe('True when this agent may only read.'),
    tools: z
      .array(
        z.object({
          tool: z.string(),
          access: z.enum(['read', 'write', 'destructive']),
          capability: z.enum(['allow', 'approve', 'deny']),
          rule: z.string().describe('The config rule or default that decided.'),
          reason: z.string(),
          constraints: z
            .record(z.string(), z.union([z.string(), z.array(z.string())]))
            .describe('Limits on allowed calls: channels, attendeeDomains, hours, dealStages, rate (empty: none).'),
        }),
      )
      .describe('What this agent may do with each tool.'),
    accounts: z
      .array(
        z.object({
          provider: z.enum(['slack', 'crm', 'calendar']),
          account: z.string().describe('The name a tool\'s `account` argument takes.'),
          default: z.boolean().describe('Used when a call names no account.'),
          connected: z.boolean(),
          identity: z.string().nullable().describe('Whose account: Slack team, HubSpot portal, Google account.'),
          scopes: z.array(z.string()).describe('Scopes the provider granted.'),
        }),
      )
      .describe('Real provider accounts the tools can act in (empty in the sandbox).'),
  }),
  summarize: () => 'show who the agent acts for',
  handler: async (_args, ctx) => ctx.connector.whoami(),
});
