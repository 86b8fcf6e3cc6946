// The token-exchange grant (RFC 8693) that mints a per-tool token: it verifies the user's
// subject token (and the agent's actor token, when given) against this server's own keys,
// finds the current actor, checks the delegation names that actor and is active (may_act),
// checks the one target API and the requested scopes against the delegation and against the
// agent's current capabilities, and signs an RFC 9068 JWT for that API alone, carrying the
// actor chain in `act`. Upstream audiences belong to Mandate: only its exchanger client may
// ask for one (an agent holding its own credentials must go through Mandate's pipeline, with
// its approvals, constraints, rate limits and audit trail); any other client may exchange
// only its own user token for the MCP resource, naming itself as actor.
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { TokenEndpointGrantContext } from 'oidc-provider';
import type { Logger } from '../log.js';
import type { DelegationRegistry } from './delegations.js';
import type { CurrentKey } from './keys.js';
import { resolveTarget } from './targets.js';
import { MCP_SCOPE } from './config.js';
import type { ActClaim, JwtVerifier } from './verify.js';
import { ACCESS_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT } from '../tokens/grants.js';

export { ACCESS_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT };

const JWT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt';

/** The parameters the grant reads (registered with oidc-provider). */
export const EXCHANGE_PARAMS = [
  'subject_token',
  'subject_token_type',
  'actor_token',
  'actor_token_type',
  'requested_token_type',
  'resource',
  'audience',
  'scope',
  'mandate_task_id',
] as const;
/** Parameters that may repeat (so a repeated one reaches us and gets its proper error). */
export const EXCHANGE_DUPES = ['resource', 'audience'] as const;

interface ExchangeParams {
  subject_token?: string;
  subject_token_type?: string;
  actor_token?: string;
  actor_token_type?: string;
  requested_token_type?: string;
  audience?: string | string[];
  mandate_task_id?: string;
}

type OidcErrors = typeof import('oidc-provider').errors;

/** What the grant handler needs from the running server. */
export interface ExchangeDeps {
  issuer: string;
  mcpResource: string;
  registry: DelegationRegistry;
  /** Lifetime of a per-tool token in seconds. */
  ttlSeconds: number;
  /** The one client that may obtain tokens for upstream APIs (Mandate's own). */
  exchangerClientId: string;
  /**
   * The agent's current capabilities, checked at every upstream exchange: null when some tool
   * the agent may use now (not denied, not read-only-refused, not revoked) needs these scopes
   * at this API; otherwise why not, in plain words.
   */
  upstreamAllowed?: (q: { user: string; agent: string; client: string; resource: string; scopes: readonly string[] }) => Promise<string | null>;
  /** An agent's parent agents, nearest first (config `agents.<id>.parent`): they go into `act` beneath it. */
  parentsOf?: (agent: string) => readonly string[];
  /** Verifies tokens this server issued for the MCP resource (current keys). */
  verifier: () => JwtVerifier;
  signingKey: () => Promise<CurrentKey>;
  errors: OidcErrors;
  logger: Logger;
}

/**
 * The actor chain of the new token: the current actor outermost, nesting the subject's own
 * chain when a different actor is added (RFC 8693 §4.1).
 */
export function actChain(subjectAct: ActClaim | undefined, actor: string, parents: readonly string[] = []): ActClaim {
  // A child agent acts inside its parent (inside the user): `act` nests child, then parent…
  let prior = subjectAct;
  if (prior?.sub === actor) prior = prior.act;
  for (const p of [...parents].reverse()) if (prior?.sub !== p) prior = prior ? { sub: p, act: prior } : { sub: p };
  if (!prior) return { sub: actor };
  return { sub: actor, act: prior };
}

/** A task ID as a per-tool token may carry it (as src/pipeline/intent.ts checks it). */
const TASK_ID = /^[A-Za-z0-9][A-Za-z0-9_.:@/#-]{0,127}$/;

/** Scopes requested but not allowed (empty when all are). */
export function scopesBeyond(requested: readonly string[], ...allowed: (readonly string[])[]): string[] {
  return requested.filter((s) => !allowed.every((set) => set.includes(s)));
}

/** Who an exchange was about, as far as it got: read by the refusal record (`ctx.state`). */
export interface ExchangeAttempt {
  user?: string;
  actor?: string;
}

function readAct(value: unknown): ActClaim | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const v = value as { sub?: unknown; act?: unknown };
  if (typeof v.sub !== 'string') return undefined;
  const inner = readAct(v.act);
  return inner ? { sub: v.sub, act: inner } : { sub: v.sub };
}

/** The grant handler to register for `urn:ietf:params:oauth:grant-type:token-exchange`. */
export function tokenExchangeHandler(deps: ExchangeDeps) {
  const { errors, logger } = deps;
  const invalidGrant = (description: string) =>
    Object.assign(new errors.InvalidGrant(), { error_description: description });

  return async (ctx: TokenEndpointGrantContext<ExchangeParams>): Promise<void> => {
    const { client, params } = ctx.oidc;
    const attempt: ExchangeAttempt = {};
    (ctx.state as { exchange?: ExchangeAttempt }).exchange = attempt;
    if (client.clientAuthMethod === 'none') {
      throw new errors.UnauthorizedClient('only confidential clients may exchange tokens');
    }

    // TE-REQ: subject token and its type are required; the actor token's type iff it is given.
    if (!params.subject_token) throw new errors.InvalidRequest('missing required parameter subject_token');
    if (!params.subject_token_type) throw new errors.InvalidRequest('missing required parameter subject_token_type');
    if (params.subject_token_type !== ACCESS_TOKEN_TYPE) throw new errors.InvalidRequest('unsupported subject_token_type');
    if (params.actor_token && !params.actor_token_type) throw new errors.InvalidRequest('actor_token_type is required with actor_token');
    if (!params.actor_token && params.actor_token_type) throw new errors.InvalidRequest('actor_token_type given without actor_token');
    if (params.actor_token_type && params.actor_token_type !== ACCESS_TOKEN_TYPE) throw new errors.InvalidRequest('unsupported actor_token_type');
    if (params.requested_token_type && ![ACCESS_TOKEN_TYPE, JWT_TOKEN_TYPE].includes(params.requested_token_type)) {
      throw new errors.InvalidRequest('unsupported requested_token_type');
    }

    // RI-PARAM: exactly one known API, named by `resource` (or `audience`, which must agree).
    const resourceParam = params.resource ?? params.audience;
    if (params.resource !== undefined && params.audience !== undefined && String(params.resource) !== String(params.audience)) {
      throw new errors.InvalidTarget('resource and audience disagree');
    }
    // Besides the upstream APIs, an agent may exchange for the MCP endpoint itself: the token
    // it then presents to Mandate names the user (sub), the client (azp) and itself (act).
    const forMcp = resourceParam === deps.mcpResource || (Array.isArray(resourceParam) && resourceParam.length === 1 && resourceParam[0] === deps.mcpResource);
    const target = forMcp
      ? ({ ok: true, resource: deps.mcpResource, scopes: [MCP_SCOPE] } as const)
      : resolveTarget(resourceParam);
    if (!target.ok) throw new errors.InvalidTarget(target.reason);
    const exchanger = client.clientId === deps.exchangerClientId;
    const verify = deps.verifier();
    const subject = await verify(params.subject_token);
    if (subject.ok) {
      // Known before any refusal, so the record names whose token the caller held.
      attempt.user = subject.claims.sub;
      attempt.actor = readAct(subject.claims.act)?.sub ?? subject.claims.client_id ?? subject.claims.azp;
    }
    // Upstream audiences belong to Mandate.
    if (!forMcp && !exchanger) {
      throw new errors.UnauthorizedClient(`only Mandate may obtain tokens for ${target.resource}; agents call its tools instead`);
    }

    if (!subject.ok) {
      if (subject.reason === 'revoked') throw invalidGrant('the subject token was revoked');
      throw new errors.InvalidRequest(`subject_token is ${subject.reason === 'expired' ? 'expired' : 'not valid here'}`);
    }
    const user = subject.claims.sub;
    const subjectClient = subject.claims.client_id ?? subject.claims.azp;
    if (typeof subjectClient !== 'string' || subjectClient === user) {
      throw new errors.InvalidRequest('subject_token does not represent a user');
    }
    const subjectAct = readAct(subject.claims.act);
    // A client exchanges only the user tokens issued to it (Mandate's exchanger: any user's,
    // as presented to its MCP endpoint).
    if (!exchanger && subjectClient !== client.clientId) {
      throw new errors.UnauthorizedClient('subject_token was issued to another client');
    }

    let actor: string;
    if (params.actor_token) {
      const a = await verify(params.actor_token);
      if (!a.ok) throw new errors.InvalidRequest(`actor_token is ${a.reason === 'expired' ? 'expired' : 'not valid here'}`);
      // The actor token is the agent's own client-credentials token: its subject is the client.
      if (a.claims.client_id !== a.claims.sub) throw new errors.InvalidRequest('actor_token must be an agent client token');
      actor = a.claims.sub;
    } else {
      actor = subjectAct?.sub ?? subjectClient;
    }
    attempt.actor = actor;
    // The actor is an agent: never Mandate itself, and for the MCP resource the caller itself.
    if (actor === deps.exchangerClientId) throw new errors.UnauthorizedClient('the actor must be an agent, not Mandate itself');
    if (!exchanger && actor !== client.clientId) throw new errors.UnauthorizedClient('a client may name only itself as actor');

    // TE-MAYACT: the delegation must name the current actor, for this client, and be active.
    const delegation = await deps.registry.get(user, actor, subjectClient);
    if (!delegation || delegation.client !== subjectClient) {
      throw new errors.UnauthorizedClient(`the user's delegation does not name ${actor} as an agent`);
    }
    if (delegation.status !== 'active') throw invalidGrant('the delegation was revoked');

    const requested = [...new Set((typeof params.scope === 'string' ? params.scope : '').split(' ').filter(Boolean))];
    if (requested.length === 0) throw new errors.InvalidScope('scope is required: name the scopes the tool needs', '');
    const granted = forMcp ? [MCP_SCOPE] : delegation.scopes[target.resource] ?? [];
    const beyond = scopesBeyond(requested, granted, target.scopes);
    if (beyond.length > 0) throw new errors.InvalidScope('requested scope exceeds the delegation', beyond.join(' '));
    // The agent's capabilities as they are now (readOnly, deny, revocations), not as at consent.
    if (!forMcp && deps.upstreamAllowed) {
      const why = await deps.upstreamAllowed({ user, agent: actor, client: subjectClient, resource: target.resource, scopes: requested });
      if (why) throw new errors.InvalidScope(why, requested.join(' '));
    }

    const key = await deps.signingKey();
    const iat = Math.floor(Date.now() / 1000);
    const exp = iat + deps.ttlSeconds;
    const jti = randomUUID();
    const scope = requested.join(' ');
    const act = actChain(subjectAct, actor, forMcp ? [] : deps.parentsOf?.(actor) ?? []);
    // The task the call belongs to binds the token to it (only for Mandate's own exchanges).
    const task = exchanger && !forMcp && typeof params.mandate_task_id === 'string' && TASK_ID.test(params.mandate_task_id) ? params.mandate_task_id : undefined;
    // RFC 9068: `client_id` is the client the token was issued to (Mandate's exchanger for an
    // upstream API); `azp` keeps the client the user delegated through, as the audit does.
    const token = await new SignJWT({ client_id: client.clientId, azp: subjectClient, scope, act, ...(task ? { task_id: task } : {}) })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt' })
      .setIssuer(deps.issuer)
      .setSubject(user)
      .setAudience(target.resource)
      .setJti(jti)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(key.privateKey);

    logger.info(
      { event: 'token_exchange', user, agent: actor, client: subjectClient, caller: client.clientId, aud: target.resource, scope, jti, exp, ...(task ? { task_id: task } : {}) },
      'per-tool token issued',
    );
    ctx.body = {
      access_token: token,
      issued_token_type: ACCESS_TOKEN_TYPE,
      token_type: 'Bearer',
      expires_in: deps.ttlSeconds,
      scope,
    };
  };
}
