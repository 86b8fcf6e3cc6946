// The config's `agents` section: per agent, `readOnly` and per-tool rules (a capability, or a
// capability with constraints and a rate). Validated once at start; unknown keys and bad
// values are errors naming their full path (`agents.assistant.tools.x.capabilty`).
import { z } from 'zod';
import { HOURS_PATTERN, isTimeZone, parseHours } from './hours.js';
import { RATE_PATTERN } from './rate.js';
import { contentGuardSchema } from './content-guard.js';
import { formatPath } from './path.js';

export { formatPath };

/** What an agent may do with one tool. */
export const CAPABILITIES = ['allow', 'approve', 'deny'] as const;
export type Capability = (typeof CAPABILITIES)[number];

export const capabilitySchema = z.enum(CAPABILITIES, {
  error: () => 'must be "allow", "approve" or "deny"',
});

/** Tool names as MCP allows them, optionally ending in `*`. */
const TOOL_PATTERN = /^(?:[A-Za-z0-9_.-]{1,128}|[A-Za-z0-9_.-]{0,127}\*)$/;

/** A tool key: a tool name, or a prefix ending in `*`. `mandate_*` tools are always allowed, so they cannot be configured. */
export const toolPatternSchema = z
  .string()
  .regex(TOOL_PATTERN, { error: 'tool keys are tool names, optionally ending in "*" (e.g. "crm_*")' })
  .refine((k) => !k.startsWith('mandate_'), { error: 'mandate_* tools are always allowed and cannot be configured' });

/** Agent IDs are OAuth client IDs; kept to characters that read well in paths and rate keys. */
export const agentIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$/, { error: 'agent IDs are letters, digits and _ . : @ - (at most 128)' });

export const rateSchema = z
  .string()
  .regex(RATE_PATTERN, { error: 'must be a positive number of calls per second, minute, hour or day, e.g. "10/hour"' });

export const hoursSchema = z
  .string()
  .regex(HOURS_PATTERN, { error: 'must look like "08:00-19:00 Europe/Berlin" (start-end in 24-hour time, then an IANA time zone)' })
  .superRefine((text, ctx) => {
    const m = HOURS_PATTERN.exec(text);
    if (!m) return; // the regex already reported it
    if (!isTimeZone(m[5]!)) ctx.addIssue({ code: 'custom', message: `unknown time zone "${m[5]}"` });
    else if (!parseHours(text)) ctx.addIssue({ code: 'custom', message: 'the window must end after it starts, on the same day' });
  });

const DOMAIN = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

const RULE_KEYS = ['capability', 'channels', 'attendeeDomains', 'hours', 'dealStages', 'accounts', 'rate', 'contentGuard', 'requirePurpose'];

/** A capability with constraints. Each constraint applies to the tools whose arguments carry its field. */
export const toolRuleObjectSchema = z.strictObject(
  {
    capability: capabilitySchema,
    /** Slack: channels allowed for `args.channel`, as `#name`, `name` or channel ID. */
    channels: z.array(z.string().min(1, { error: 'a channel cannot be empty' })).optional(),
    /** Calendar: every attendee's address must have one of these domains (exact, case-insensitive). */
    attendeeDomains: z.array(z.string().regex(DOMAIN, { error: 'must be a domain such as "example.com"' })).optional(),
    /** Calendar: `calendar_create_event` start and end must lie in this window, e.g. "08:00-19:00 Europe/Berlin". */
    hours: hoursSchema.optional(),
    /** CRM: stages `args.stage` may take (exact stage IDs). */
    dealStages: z.array(z.string().min(1, { error: 'a deal stage cannot be empty' })).optional(),
    /** Real accounts: the provider accounts `args.account` may name (names under `providers.<p>.accounts`). */
    accounts: z.array(z.string().min(1, { error: 'an account name cannot be empty' })).optional(),
    /** At most this many calls per window, per agent and tool, e.g. "10/hour". */
    rate: rateSchema.optional(),
    /** What the outbound content guard does with this tool's writes (overrides the agent's and the config's). */
    contentGuard: contentGuardSchema.optional(),
    /** A call must say why (`_meta["mandate/purpose"]`); refused as constraint_violation otherwise. */
    requirePurpose: z.boolean({ error: 'must be true or false' }).optional(),
  },
  { error: (iss) => (iss.code === 'unrecognized_keys' ? `unknown key; a tool rule takes ${RULE_KEYS.join(', ')}` : undefined) },
);

/** A tool rule: a bare capability, or an object with a capability and constraints. */
export const toolRuleSchema = z.union([capabilitySchema, toolRuleObjectSchema]);

/** One agent's settings. */
export const agentConfigSchema = z.strictObject(
  {
    /** Refuses every write tool, whatever the tool rules say. */
    readOnly: z.boolean({ error: 'must be true or false' }).optional(),
    tools: z.record(toolPatternSchema, toolRuleSchema).optional(),
    /** A parent agent: this agent may do only what the parent may (the intersection), and the parent's revocation is its own. */
    parent: agentIdSchema.optional(),
    /** What the outbound content guard does with this agent's writes (overrides the config's `contentGuard`). */
    contentGuard: contentGuardSchema.optional(),
    /** Every write by this agent must say why (`_meta["mandate/purpose"]`). */
    requirePurpose: z.boolean({ error: 'must be true or false' }).optional(),
  },
  { error: (iss) => (iss.code === 'unrecognized_keys' ? 'unknown key; an agent takes readOnly, tools, parent, contentGuard, requirePurpose' : undefined) },
);

/** The config's `agents` section: agent ID → settings. */
export const agentsConfigSchema = z
  .record(agentIdSchema, agentConfigSchema, {
    error: (iss) => (iss.code === 'invalid_type' ? 'must be an object mapping agent IDs to their settings' : undefined),
  })
  .superRefine((agents, ctx) => {
    // A parent is a configured agent, and following parents never comes back to where it began.
    for (const [id, agent] of Object.entries(agents)) {
      if (agent.parent === undefined) continue;
      if (!Object.hasOwn(agents, agent.parent)) {
        ctx.addIssue({ code: 'custom', path: [id, 'parent'], message: `names no configured agent ("${agent.parent}")` });
        continue;
      }
      const seen = new Set([id]);
      for (let p: string | undefined = agent.parent; p !== undefined; p = agents[p]?.parent) {
        if (seen.has(p)) {
          ctx.addIssue({ code: 'custom', path: [id, 'parent'], message: `makes a cycle (${[...seen, p].join(' → ')})` });
          break;
        }
        seen.add(p);
      }
    }
  });

/** The agent's ancestors, nearest first (`parent`, its parent…); empty for an agent without one. */
export function ancestorsOf(agents: AgentsConfig, agentId: string): string[] {
  const out: string[] = [];
  let p = Object.hasOwn(agents, agentId) ? agents[agentId]!.parent : undefined;
  while (p !== undefined && !out.includes(p) && p !== agentId && out.length < 16) {
    out.push(p);
    p = Object.hasOwn(agents, p) ? agents[p]!.parent : undefined;
  }
  return out;
}

export type ToolRuleObject = z.infer<typeof toolRuleObjectSchema>;
export type ToolRule = z.infer<typeof toolRuleSchema>;
export type AgentConfig = z.infer<typeof agentConfigSchema>;
export type AgentsConfig = z.infer<typeof agentsConfigSchema>;

/** Thrown by `parseAgentsConfig`; `problems` holds one line per issue, each naming its path. */
export class AgentsConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid config:\n  ${problems.join('\n  ')}`);
    this.name = 'AgentsConfigError';
    this.problems = problems;
  }
}

/** Parses the `agents` section or throws `AgentsConfigError` naming every bad path under `agents.`. */
export function parseAgentsConfig(input: unknown): AgentsConfig {
  const r = agentsConfigSchema.safeParse(input);
  if (r.success) return r.data;
  throw new AgentsConfigError(formatConfigIssues(r.error.issues, ['agents']));
}

type Issue = z.core.$ZodIssue;

/** A union branch the input plainly was not meant for: its only complaints are about the value's type at the root. */
function wrongBranch(issues: readonly Issue[]): boolean {
  return issues.every((i) => i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'invalid_value'));
}

/**
 * One line per zod issue, `path: message`, with the path prefixed by `prefix`. Unknown keys are
 * named in the path; a union reports the branch the input was evidently meant for. Reusable for
 * the whole config (prefix `[]`).
 */
export function formatConfigIssues(issues: readonly Issue[], prefix: readonly PropertyKey[] = []): string[] {
  const out: string[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push(`${formatPath([...path, key])}: ${issue.message}`);
    } else if (issue.code === 'invalid_union') {
      const meant = issue.errors.filter((branch) => !wrongBranch(branch));
      if (meant.length === 1) out.push(...formatConfigIssues(meant[0]!, path));
      else out.push(`${formatPath(path)}: must be "allow", "approve", "deny" or an object with a "capability"`);
    } else if (issue.code === 'invalid_key') {
      const detail = issue.issues[0]?.message ?? issue.message;
      out.push(`${formatPath(path)}: invalid key: ${detail}`);
    } else {
      out.push(`${formatPath(path)}: ${issue.message}`);
    }
  }
  return out;
}

/**
 * Tool keys that match none of the known tools (typos such as `slack_post_mesage` would
 * otherwise fall back to the defaults silently). One line per key, naming its path.
 */
export function unmatchedToolKeys(agents: AgentsConfig, toolNames: readonly string[]): string[] {
  const out: string[] = [];
  for (const [agentId, agent] of Object.entries(agents)) {
    for (const key of Object.keys(agent.tools ?? {})) {
      const matches = key.endsWith('*') ? toolNames.some((n) => n.startsWith(key.slice(0, -1))) : toolNames.includes(key);
      if (!matches) out.push(`${formatPath(['agents', agentId, 'tools', key])}: matches no tool`);
    }
  }
  return out;
}
