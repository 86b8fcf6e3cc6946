// The policy decision for one agent and one tool, in one documented order:
//   1. a revoked delegation          → deny, delegation_revoked
//   2. a revoked tool capability     → deny, capability_denied
//   3. a readOnly agent, a write tool → deny, read_only (whatever the tool rules say)
//   4. the capability: `mandate_*` tools always allow; else the exact tool key, else the
//      longest `*` key, else the defaults (reads allow, writes approve, destructive deny)
//   5. deny                          → capability_denied
//   6. the rule's constraints, when arguments are given → constraint_violation
//   7. the rule's rate, when a count is given (count >= limit) → rate_limited
//   8. an agent with a `parent`: steps 1–6 again for each ancestor (its own revocations,
//      rules and defaults); a child never gets more, so the strictest decision wins, and its
//      rule and reason name the link that limited it (rates stay each agent's own)
// Pure: the caller passes the clock, the counter and the revocations. Listing and calling
// both go through here, so what an agent sees and what it may do cannot disagree.
import type { AgentsConfig, ToolRule } from './config.js';
import { ancestorsOf, formatPath } from './config.js';
import { checkConstraints } from './constraints.js';
import { matchRule } from './match.js';
import { parseRate } from './rate.js';

/** What the policy needs to know about a tool. */
export interface PolicyTool {
  name: string;
  access: 'read' | 'write';
  destructive?: boolean;
}

export type Effect = 'allow' | 'approve' | 'deny';

/** The error codes a decision can carry (a subset of the contract's). */
export type PolicyCode = 'capability_denied' | 'read_only' | 'constraint_violation' | 'rate_limited' | 'delegation_revoked';

/** What is revoked for this agent and tool, as the store knows it. */
export type Revocation = 'delegation' | 'tool' | null;

export interface DecideInput {
  agents: AgentsConfig;
  agentId: string;
  tool: PolicyTool;
  /** The call's (validated) arguments; constraints are checked only when given. */
  args?: Record<string, unknown>;
  /** The caller's clock, so time-based rules stay pure (no current rule reads it: `hours` checks the event's times). */
  now: Date;
  /** Calls already counted in the current window for `rate.key`; the rate is checked only when given. */
  rateCount?: number;
  revoked?: Revocation;
  /** What is revoked for each ancestor (`parent`…) and this tool; absent means nothing. */
  ancestorsRevoked?: Readonly<Record<string, Revocation>>;
}

export interface Decision {
  effect: Effect;
  /** Set on every deny. */
  code?: PolicyCode;
  /** Plain words, safe to show the model and the user. */
  reason: string;
  /** The config path that decided (`agents.assistant.tools.crm_*`), or `default: …` / `revocation: …`. */
  rule: string;
  /** The rate limit that applies: count calls under `key` in windows of `windowMs`. */
  rate?: { key: string; limit: number; windowMs: number };
}

/** The counter key of a rate limit: per agent and tool (tool names cannot contain "/"). */
export function rateKey(agentId: string, toolName: string): string {
  return `${agentId}/${toolName}`;
}

const deny = (code: PolicyCode, reason: string, rule: string): Decision => ({ effect: 'deny', code, reason, rule });

const REASON: Record<Exclude<Effect, 'deny'>, string> = {
  allow: 'runs without approval',
  approve: 'a human approves each call',
};

const RANK: Record<Effect, number> = { allow: 0, approve: 1, deny: 2 };

/** Decides one call (or, without `args`, whether the tool may be offered at all), for the agent and every ancestor. */
export function decide(input: DecideInput): Decision {
  const own = decideOne(input);
  const ancestors = ancestorsOf(input.agents, input.agentId);
  if (ancestors.length === 0 || own.effect === 'deny' || input.tool.name.startsWith('mandate_')) return own;
  let result = own;
  for (const parent of ancestors) {
    const d = decideOne({ ...input, agentId: parent, revoked: input.ancestorsRevoked?.[parent] ?? null, rateCount: undefined });
    if (RANK[d.effect] <= RANK[result.effect]) continue;
    const limited = { ...d, reason: `limited by parent agent ${parent} of ${input.agentId}: ${d.reason}` };
    delete limited.rate;
    result = own.rate && d.effect !== 'deny' ? { ...limited, rate: own.rate } : limited;
    if (d.effect === 'deny') break;
  }
  return result;
}

function decideOne(input: DecideInput): Decision {
  const { agents, agentId, tool } = input;
  const agent = Object.hasOwn(agents, agentId) ? agents[agentId] : undefined;

  if (input.revoked === 'delegation') {
    return deny('delegation_revoked', `the user revoked the delegation to agent ${agentId}`, 'revocation: delegation');
  }
  if (input.revoked === 'tool') {
    return deny('capability_denied', `the user revoked agent ${agentId}'s ${tool.name} capability`, 'revocation: tool');
  }
  if (agent?.readOnly === true && tool.access === 'write') {
    return deny('read_only', `agent ${agentId} is read-only and ${tool.name} writes`, formatPath(['agents', agentId, 'readOnly']));
  }
  if (tool.name.startsWith('mandate_')) {
    return { effect: 'allow', reason: "Mandate's own tools are always available", rule: 'default: mandate tools are always allowed' };
  }

  const matched = matchRule(agent, tool.name);
  if (!matched) return byDefault(tool);

  const rulePath = ['agents', agentId, 'tools', matched.key];
  const rule: ToolRule = matched.rule;
  const capability = typeof rule === 'string' ? rule : rule.capability;
  if (capability === 'deny') {
    return deny('capability_denied', `the config denies agent ${agentId} the tool ${tool.name}`, formatPath(rulePath));
  }
  const decision: Decision = { effect: capability, reason: REASON[capability], rule: formatPath(rulePath) };
  if (typeof rule === 'string') return decision;

  if (input.args) {
    const violations = checkConstraints(rule, tool.name, input.args);
    if (violations.length > 0) {
      return deny(
        'constraint_violation',
        violations.map((v) => v.reason).join('; '),
        formatPath([...rulePath, violations[0]!.constraint]),
      );
    }
  }

  const rateText = rule.rate;
  const rate = rateText === undefined ? undefined : parseRate(rateText);
  if (rateText !== undefined && rate) {
    decision.rate = { key: rateKey(agentId, tool.name), ...rate };
    if (input.rateCount !== undefined && input.rateCount >= rate.limit) {
      return {
        ...deny(
          'rate_limited',
          `rate limit reached: agent ${agentId} may call ${tool.name} ${rate.limit} times per ${rateText.split('/')[1]}`,
          formatPath([...rulePath, 'rate']),
        ),
        rate: decision.rate,
      };
    }
  }
  return decision;
}

/** Where the config says nothing: reads allow, writes approve, destructive tools deny. */
function byDefault(tool: PolicyTool): Decision {
  if (tool.destructive === true) {
    return deny('capability_denied', 'destructive tools are denied unless the config allows them', 'default: destructive tools are denied');
  }
  if (tool.access === 'write') return { effect: 'approve', reason: REASON.approve, rule: 'default: write tools need approval' };
  return { effect: 'allow', reason: REASON.allow, rule: 'default: read tools are allowed' };
}
