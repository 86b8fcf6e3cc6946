// Who a call is for and by whom: the user (sub), the client (azp), the agent (current actor)
// and the whole actor chain, outermost current actor first.
export interface Identity {
  user: string;
  client: string;
  agent: string;
  /** Subject ids of the actor chain, current actor first (from nested `act`). */
  actorChain: string[];
  /** MCP session id (HTTP) or a per-process id (stdio). */
  sessionId: string;
  /** The token this identity was proven with over HTTP (the subject of per-tool exchanges). Never logged. */
  bearer?: string;
}

/** Reads the actor chain from a token's nested `act` claims, current actor first. */
export function actorChainFrom(claims: { act?: unknown }): string[] {
  const chain: string[] = [];
  let act = claims.act as { sub?: unknown; act?: unknown } | undefined;
  while (act && typeof act === 'object' && chain.length < 10) {
    if (typeof act.sub === 'string') chain.push(act.sub);
    act = act.act as typeof act;
  }
  return chain;
}
