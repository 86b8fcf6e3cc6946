// The token stage of a tool call, in one place: the pipeline asks it for a per-tool token
// source (one hop), and it asks the broker, which exchanges the user's subject token (and the
// agent's actor token) for a token made for that tool's API alone. Where the subject and actor
// come from (the sandbox's provisioned delegations, `mandate login`, an HTTP bearer) is the
// identity runtime's business, given here as `sources`.
import type { AnyTool } from '../../tools/define.js';
import type { TokenSource } from '../connectors/http.js';
import type { Identity } from '../identity/types.js';
import { TokenUnavailable } from '../errors.js';
import type { PerToolRequest, TokenBroker, TokenInfo } from './broker.js';
import type { ActorSource, SubjectSource } from './sources.js';

/** A TokenSource that also says what it handed out last (for the audit record). */
export interface AuditedTokenSource extends TokenSource {
  info(): TokenInfo | null;
}

/** What the pipeline calls for tokens. */
export interface TokenStage {
  /** The per-tool token source for one call of `tool` by `identity`. */
  sourceFor(identity: Identity, tool: AnyTool, signal: AbortSignal, call?: { taskId?: string }): AuditedTokenSource;
  /** Drops cached tokens of an agent (revocation); they are denylisted too. */
  invalidate(agent: string, tool?: AnyTool): Promise<void>;
  /** Exchanges made and cache hits so far (telemetry); absent where the stage does not count. */
  stats?(): { exchanges: number; hits: number };
}

/** The per-tool token stage over a broker; `sources` gives the subject (and actor) of an identity. */
export function brokerTokenStage(
  getBroker: () => Promise<TokenBroker>,
  sources: (identity: Identity) => Promise<{ subject: SubjectSource; actor?: ActorSource }>,
  denylist: { revokeJti(jti: string, exp: number): Promise<void> },
): TokenStage {
  let ready: TokenBroker | undefined; // for stats(), once the broker is up
  const broker = () =>
    getBroker().then((b) => (ready = b)).catch((err: unknown) => {
      throw new TokenUnavailable('The authorization server is not available.', { detail: err instanceof Error ? err.message : String(err) });
    });
  return {
    sourceFor(identity, tool, signal, call): AuditedTokenSource {
      let info: TokenInfo | null = null;
      const request = async (): Promise<PerToolRequest> => {
        if (!tool.resource) throw new TokenUnavailable('Mandate\'s own tools need no upstream token.');
        const { subject, actor } = await sources(identity);
        return { user: identity.user, agent: identity.agent, resource: tool.resource, scopes: tool.scopes, subject, actor, signal, ...(call?.taskId ? { taskId: call.taskId } : {}) };
      };
      const take = (r: { token: string; info: TokenInfo }) => { info = r.info; return r.token; };
      return {
        token: async () => take(await (await broker()).perToolToken(await request())),
        refresh: async () => take(await (await broker()).fresh(await request())),
        info: () => info,
      };
    },
    async invalidate(agent, tool) {
      const resource = tool?.resource ?? undefined;
      const dropped = (await broker()).invalidate({ agent, resource });
      // Dropped tokens are also denylisted: every verifier refuses them until they expire.
      const exp = Math.floor(Date.now() / 1000) + 3600;
      await Promise.all(dropped.map((jti) => denylist.revokeJti(jti, exp)));
    },
    stats: () => ready?.stats() ?? { exchanges: 0, hits: 0 },
  };
}
