// The Agents view's data: every agent Mandate knows (the demo agent, the config's agents,
// those with a delegation or a revocation), each tool's capability as `mandate policy
// explain` shows it (the same `decide`, the same revocations), and who revoked what, when.
import type { AgentsConfig } from '../../policy/config.js';
import type { PolicyTool } from '../../policy/decide.js';
import { decide } from '../../policy/decide.js';
import { ancestorsOf } from '../../policy/config.js';
import { revocationFor } from '../../policy/visibility.js';
import { constraintSummary, explainLine } from '../../cli/commands/policy.js';
import { DEMO_AGENT } from '../../sandbox/index.js';
import type { Delegation, Revocation } from '../../store/types.js';

export interface CapabilityView {
  tool: string;
  access: 'read' | 'write' | 'destructive';
  effect: 'allow' | 'approve' | 'deny';
  code: string | null;
  reason: string;
  /** The config path or default that decided. */
  rule: string;
  /** `mandate policy explain`'s line, word for word. */
  explain: string;
  constraints: string | null;
  /** The revocation of this one capability, when there is one. */
  revoked: { at: string; by: string | null } | null;
}

export interface AgentView {
  agent: string;
  configured: boolean;
  readOnly: boolean;
  delegations: { user: string; status: string }[];
  /** The revocation of the whole delegation, when there is one. */
  revoked: { at: string; by: string | null } | null;
  capabilities: CapabilityView[];
}

/** Every agent id the console may show or revoke. */
export function knownAgents(agents: AgentsConfig, delegations: readonly Delegation[], revocations: readonly Revocation[]): string[] {
  return [...new Set([DEMO_AGENT, ...Object.keys(agents), ...delegations.map((d) => d.agent), ...revocations.map((r) => r.agent)])].sort();
}

/** One agent's view; revocations of any user count (the cautious answer `isRevoked` gives without a user). */
export function agentView(
  agents: AgentsConfig,
  agent: string,
  tools: readonly PolicyTool[],
  delegations: readonly Delegation[],
  revocations: readonly Revocation[],
  now: Date,
): AgentView {
  const mine = revocations.filter((r) => r.agent === agent);
  const whole = mine.find((r) => r.tool === null);
  const byTool = new Map(mine.filter((r) => r.tool !== null).map((r) => [r.tool!, r]));
  const revoked = { delegation: whole !== undefined, tools: [...byTool.keys()] };
  const cfg = Object.hasOwn(agents, agent) ? agents[agent] : undefined;
  // A parent's revocations are its children's (agents.<id>.parent).
  const ancestorsRevoked = (toolName: string) => Object.fromEntries(ancestorsOf(agents, agent).map((a) => {
    const theirs = revocations.filter((r) => r.agent === a);
    return [a, revocationFor({ delegation: theirs.some((r) => r.tool === null), tools: theirs.map((r) => r.tool).filter((x): x is string => x !== null) }, toolName)];
  }));
  return {
    agent,
    configured: cfg !== undefined,
    readOnly: cfg?.readOnly === true,
    delegations: delegations.filter((d) => d.agent === agent).map((d) => ({ user: d.user, status: d.status })),
    revoked: whole ? { at: whole.revoked_at, by: whole.by } : null,
    capabilities: tools.map((tool) => {
      const d = decide({ agents, agentId: agent, tool, now, revoked: revocationFor(revoked, tool.name), ancestorsRevoked: ancestorsRevoked(tool.name) });
      const r = byTool.get(tool.name);
      return {
        tool: tool.name,
        access: tool.destructive ? 'destructive' : tool.access,
        effect: d.effect,
        code: d.code ?? null,
        reason: d.reason,
        rule: d.rule,
        explain: explainLine(agent, tool.name, d).trim(),
        constraints: constraintSummary(agents, agent, tool.name) ?? null,
        revoked: r ? { at: r.revoked_at, by: r.by } : null,
      };
    }),
  };
}
