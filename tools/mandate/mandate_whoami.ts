import { z } from 'zod';
import { defineTool } from '../define.js';
import type { MandateSelf } from './self.js';

export const mandateWhoami = defineTool<MandateSelf, z.ZodObject, z.ZodObject>({
  name: 'mandate_whoami',
  title: 'Who am I acting for',
  description:
    'Tells which user this agent acts for, through which client, under which agent identity, and what it may do with each tool ' +
    '(allow, approve = a human approves each call, or deny), with the rule that decided and the limits on its calls (channels, ' +
    'attendee domains, hours, deal stages, rate). Call it when unsure whether an action is permitted.',
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
  }),
  summarize: () => 'show who the agent acts for',
  handler: async (_args, ctx) => ctx.connector.whoami(),
});
