// Which tool rule of an agent governs a tool: the exact name first, then the longest `*`
// pattern whose prefix the name starts with. Key order in the config never matters.
import type { AgentConfig, ToolRule } from './config.js';

/** The governing rule and the key it was written under. */
export interface MatchedRule {
  key: string;
  rule: ToolRule;
}

/** The most specific rule for `toolName`, or undefined when no key matches. */
export function matchRule(agent: AgentConfig | undefined, toolName: string): MatchedRule | undefined {
  const tools = agent?.tools;
  if (!tools) return undefined;
  const exact = Object.hasOwn(tools, toolName) ? tools[toolName] : undefined;
  if (exact !== undefined) return { key: toolName, rule: exact };
  let best: MatchedRule | undefined;
  for (const [key, rule] of Object.entries(tools)) {
    if (!key.endsWith('*')) continue;
    const prefix = key.slice(0, -1);
    if (toolName.startsWith(prefix) && (best === undefined || prefix.length > best.key.length - 1)) best = { key, rule };
  }
  return best;
}
