// Who Mandate and its agents are at the embedded authorization server, where their secrets
// live in the secret store, and what a delegation to an agent may hold (its capabilities).
import { randomBytes } from 'node:crypto';
import type { AnyTool } from '../../tools/define.js';
import { allTools } from '../../tools/index.js';
import type { Config } from '../config/schema.js';
import { decide } from '../policy/decide.js';
import { RESOURCES } from '../resources.js';
import type { SecretStore } from '../secrets/index.js';

/** Mandate's own client at the embedded authorization server: the only one that obtains upstream tokens. */
export const EXCHANGER = 'mandate';

/** Where `mandate login` receives the authorization code (any loopback port matches). */
export const LOGIN_REDIRECT = 'http://127.0.0.1/callback';

/** Secret store accounts (values never leave the secret store except to the token endpoint). */
export const SECRET_ACCOUNTS = {
  client: (id: string) => `client:${id}`,
  delegation: (agent: string) => `delegation:${agent}`,
} as const;

/** The secret kept under `account`, created (random, 256 bits) the first time. */
export async function secretFor(secrets: SecretStore, account: string): Promise<string> {
  const existing = await secrets.getPassword(secrets.service, account);
  if (existing) return existing;
  const created = randomBytes(32).toString('base64url');
  await secrets.setPassword(secrets.service, account, created);
  return created;
}

/** The delegation's scopes per API, bounded by what the policy lets the agent do at all. */
export function delegationScopes(config: Config, agent: string, tools: readonly AnyTool[] = allTools): Record<string, string[]> {
  const byResource: Record<string, Set<string>> = {};
  for (const tool of tools) {
    if (tool.provider === 'mandate') continue;
    const d = decide({ agents: config.agents, agentId: agent, tool, now: new Date() });
    if (d.effect === 'deny') continue;
    const set = (byResource[tool.resource ?? RESOURCES[tool.provider]] ??= new Set());
    for (const s of tool.scopes) set.add(s);
  }
  return Object.fromEntries(Object.entries(byResource).map(([r, s]) => [r, [...s].sort()]));
}
