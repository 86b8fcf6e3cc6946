// Who an HTTP request is, from its bearer token: a user's token for this MCP resource whose
// actor, when it names one, is the client presenting it. A presented token that is refused
// goes on the record, as does every refused attempt at the embedded authorization server.
import { actorChainFrom, type Identity } from '../identity/types.js';
import type { JwtVerifier } from '../authz/verify.js';
import { refusalInput, type RefusalFacts } from '../audit/events.js';
import type { AuditLog } from '../audit/writer.js';

/** The scope of tokens for the MCP endpoint itself. */
const MCP_SCOPE = 'mandate:tools';

/** Where refusals are written, and the resource they were for. */
export interface RefusalSink {
  audit: AuditLog;
  mcpResource: string;
}

/** A refused bearer: its status, the words for the client, and what the audit record says of the token. */
export type BearerRefusal = { error: string; status: 401 | 403; claims?: Record<string, unknown> };

/**
 * Checks an HTTP bearer token for this MCP resource and reads the caller's identity from it.
 * Every session is a user's: the token's subject is a user (not the client itself, as in a
 * client-credentials token), and its actor, when it names one, is the presenting client.
 */
export async function bearerIdentity(verify: JwtVerifier | null, token: string | undefined, sessionId: string): Promise<Identity | BearerRefusal> {
  if (!token || !verify) return { status: 401, error: 'a bearer token is required' };
  const r = await verify(token);
  if (!r.ok) {
    const why = { missing: 'a bearer token is required', expired: 'the token has expired', wrong_audience: 'the token was not issued for this server', revoked: 'the token was revoked', invalid: 'the token is not valid' } as const;
    return { status: 401, error: why[r.reason as keyof typeof why] ?? 'the token is not valid' };
  }
  const claims = r.claims as Record<string, unknown>;
  const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ') : [];
  if (!scopes.includes(MCP_SCOPE)) return { status: 403, error: `the token lacks the ${MCP_SCOPE} scope`, claims };
  const presenter = String(claims.client_id ?? claims.azp ?? '');
  const client = String(claims.azp ?? claims.client_id ?? '');
  if (!presenter || claims.sub === presenter || claims.sub === client) {
    return { status: 401, error: 'the token names no user: an MCP session acts for a user who delegated to this client', claims };
  }
  const chain = actorChainFrom(claims);
  if (chain.length > 0 && chain[0] !== presenter) {
    return { status: 401, error: 'the token names another actor than the client presenting it', claims };
  }
  const agent = chain[0] ?? client;
  return { user: String(claims.sub), client, agent, actorChain: chain.length ? chain : [agent], sessionId, bearer: token };
}

/** A presented bearer that was refused goes on the record (a missing one is the usual first step of OAuth, not an attempt). */
export function recordRefusedBearer(opts: RefusalSink, token: string | undefined, r: Identity | BearerRefusal): Identity | BearerRefusal {
  if (!token || !('error' in r)) return r;
  const c = r.claims ?? {};
  const text = (v: unknown) => (typeof v === 'string' ? v : null);
  recordRefusal(opts, {
    event: 'bearer_refused',
    error: r.status === 403 ? 'insufficient_scope' : 'invalid_token',
    description: r.error,
    client: text(c.client_id) ?? text(c.azp),
    user: text(c.sub),
    agent: actorChainFrom(c)[0] ?? null,
    request: { resource: opts.mcpResource, scope: text(c.scope) },
  });
  return r;
}

/** Writes one refused attempt to the audit chain; a failure to write is logged (by the AuditLog), never thrown at the refused caller. */
export function recordRefusal(opts: Pick<RefusalSink, 'audit'>, r: RefusalFacts): void {
  opts.audit.record(refusalInput(r)).catch(() => undefined);
}
