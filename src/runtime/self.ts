// Mandate's own tools' "connector": answers from policy and the store, never from upstream.
import type { MandateSelf, ToolCapabilityView } from '../../tools/mandate/self.js';
import type { Services } from '../pipeline/services.js';
import type { Identity } from '../identity/types.js';
import { decide } from '../policy/decide.js';
import { matchRule } from '../policy/match.js';
import { ancestorsOf } from '../policy/config.js';

/** The MandateSelf for one identity. */
export function mandateSelf(services: Services, identity: Identity): MandateSelf {
  return {
    async whoami() {
      const tools: ToolCapabilityView[] = [];
      for (const tool of services.tools) {
        const revoked = await services.store.isRevoked({ agent: identity.agent, tool: tool.name, user: identity.user });
        const ancestorsRevoked: Record<string, 'delegation' | 'tool' | null> = {};
        for (const a of ancestorsOf(services.config.agents, identity.agent)) {
          ancestorsRevoked[a] = (await services.store.isRevoked({ agent: a, tool: tool.name, user: identity.user }))?.scope ?? null;
        }
        const d = decide({ agents: services.config.agents, agentId: identity.agent, tool, now: new Date(), revoked: revoked?.scope ?? null, ancestorsRevoked });
        const matched = d.effect === 'deny' ? undefined : matchRule(services.config.agents[identity.agent], tool.name);
        // Limits on arguments and rate only: the content guard and requirePurpose are not constraints of this shape.
        const { capability: _capability, contentGuard: _guard, requirePurpose: _purpose, ...constraints } = matched && typeof matched.rule === 'object' ? matched.rule : { capability: '' };
        tools.push({
          tool: tool.name,
          access: tool.destructive ? 'destructive' : tool.access,
          capability: d.effect,
          rule: d.rule,
          reason: d.reason,
          constraints: constraints as Record<string, string | string[]>,
        });
      }
      return {
        user: identity.user,
        client: identity.client,
        agent: identity.agent,
        actor_chain: identity.actorChain,
        read_only: services.config.agents[identity.agent]?.readOnly === true,
        tools,
        accounts: (await services.accounts?.()) ?? [],
      };
    },
    async approvalStatus(approvalId) {
      const a = await services.store.getApproval(approvalId);
      // Another agent's (or user's, or client's) approvals are not this caller's business.
      if (!a || a.agent !== identity.agent || a.user !== identity.user || (a.client ?? null) !== (identity.client ?? null)) return null;
      const expired = a.status === 'pending' && new Date(a.expires_at) <= new Date();
      return {
        approval_id: a.approval_id,
        status: expired ? 'expired' : a.status,
        tool: a.tool,
        summary: a.summary,
        created_at: a.created_at,
        expires_at: a.expires_at,
        decided_at: a.decided_at ?? null,
        reason: a.reason ?? null,
      };
    },
  };
}
