// What `tools/list` shows an agent: every tool the same `decide` (without arguments) does
// not deny, with its effect, so tools that need approval can say so in their description.
import type { AgentsConfig } from './config.js';
import type { Decision, PolicyTool, Revocation } from './decide.js';
import { decide } from './decide.js';

/**
 * The store's revocations for one agent: the whole delegation and/or single tools, or
 * simply the names of the revoked tools (e.g. a `Set<string>`).
 */
export type Revocations = { delegation?: boolean; tools?: Iterable<string> } | Iterable<string>;

/** The revocation that applies to one tool, in the form `decide` takes. */
export function revocationFor(revoked: Revocations | undefined, toolName: string): Revocation {
  if (!revoked) return null;
  if (typeof revoked === 'string') return revoked === toolName ? 'tool' : null; // one name, not its characters
  const tools = Symbol.iterator in revoked ? revoked : revoked.tools;
  if (!(Symbol.iterator in revoked) && revoked.delegation === true) return 'delegation';
  for (const t of tools ?? []) if (t === toolName) return 'tool';
  return null;
}

/** A listed tool, with the decision that let it through. */
export interface VisibleTool<T extends PolicyTool> {
  tool: T;
  effect: 'allow' | 'approve';
  decision: Decision;
}

/** The tools an agent may see, in the given order: all but those `decide` denies. */
export function visibleTools<T extends PolicyTool>(
  agents: AgentsConfig,
  agentId: string,
  tools: readonly T[],
  revoked?: Revocations,
  now: Date = new Date(),
  ancestorsRevoked?: Readonly<Record<string, Revocations>>,
): VisibleTool<T>[] {
  const out: VisibleTool<T>[] = [];
  for (const tool of tools) {
    const ancestors = ancestorsRevoked
      ? Object.fromEntries(Object.entries(ancestorsRevoked).map(([a, r]) => [a, revocationFor(r, tool.name)]))
      : undefined;
    const decision = decide({ agents, agentId, tool, now, revoked: revocationFor(revoked, tool.name), ancestorsRevoked: ancestors });
    if (decision.effect !== 'deny') out.push({ tool, effect: decision.effect, decision });
  }
  return out;
}

/** The sentence appended to a listed tool's description when each call needs a human's approval. */
export const APPROVAL_NOTE = 'Each call needs a human approval: the call waits for it, or returns approval_pending with an approval_id; repeat the identical call once approved.';

/** A tool's description as listed to an agent: with the approval note when its effect is `approve`. */
export function listedDescription(description: string, effect: 'allow' | 'approve'): string {
  return effect === 'approve' ? `${description}\n\n${APPROVAL_NOTE}` : description;
}
