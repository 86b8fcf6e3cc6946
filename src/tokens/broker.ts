// The token broker: gets each tool its own per-tool token by RFC 8693 exchange at any
// authorization server, and decides when a token can be reused. Tokens are cached per
// (user, agent, resource, scopes) until shortly before they expire; concurrent first calls
// share one exchange; an outage leaves cached tokens serving until they expire; `invalid_grant`
// ends the delegation (delegation_revoked) and drops its tokens; revocation drops them too.
import { createHash } from 'node:crypto';
import * as client from 'openid-client';
import { decodeJwt } from 'jose';
import { DelegationRevoked, TokenUnavailable, type MandateError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import { expiryOf } from './cached.js';
import { tokenError } from './errors.js';
import { oauthClient, withRetry, type OAuthClientOptions } from './oauth.js';
import type { ActorSource, SubjectSource } from './sources.js';

import { ACCESS_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT } from './grants.js';

export { ACCESS_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT };

/** What may be said about a per-tool token (audit records, logs): never the token itself. */
export interface TokenInfo {
  jti: string;
  aud: string;
  scope: string;
  /** Expiry, epoch seconds. */
  exp: number;
}

/** A per-tool token and what may be said about it. */
export interface PerToolToken {
  token: string;
  info: TokenInfo;
}

/** One tool's need: whose delegation, which agent, which API and scopes. */
export interface PerToolRequest {
  user: string;
  agent: string;
  /** The tool's API (RFC 8707 resource identifier). */
  resource: string;
  /** The tool's minimal scopes. */
  scopes: readonly string[];
  subject: SubjectSource;
  actor?: ActorSource;
  /** The task the call belongs to: sent as `mandate_task_id`, carried by the token as `task_id`, and part of the cache key. */
  taskId?: string;
  /** Stops this caller's wait (a shared exchange still completes for the others). */
  signal?: AbortSignal;
}

/** The broker's client at the authorization server, and its cache policy. */
export interface TokenBrokerOptions extends Omit<OAuthClientOptions, 'clientAuth'> {
  clientAuth?: OAuthClientOptions['clientAuth'];
  logger?: Logger;
  /** A cached token is renewed this many seconds before it expires (default 30). */
  renewBeforeSeconds?: number;
  /** Clock in epoch ms (tests). */
  now?: () => number;
}

/** Per-tool tokens for every tool call. */
export interface TokenBroker {
  /** The per-tool token for this (user, agent, resource, scopes), cached or freshly exchanged. */
  perToolToken(req: PerToolRequest): Promise<PerToolToken>;
  /** A new token even if one is cached (after an upstream refused the cached one). */
  fresh(req: PerToolRequest): Promise<PerToolToken>;
  /** Drops the agent's cached tokens (all users; one API when `resource` is given); returns their jtis. */
  invalidate(filter: { agent: string; resource?: string; user?: string }): string[];
  stats(): { exchanges: number; hits: number };
}

interface Entry {
  value: PerToolToken;
  user: string;
  agent: string;
  resource: string;
}

/** The cache key: (user, agent, resource, sorted scopes), and the task when the call names one (a token serves one task). */
export function cacheKey(req: Pick<PerToolRequest, 'user' | 'agent' | 'resource' | 'scopes' | 'taskId'>): string {
  const key: unknown[] = [req.user, req.agent, req.resource, [...new Set(req.scopes)].sort()];
  if (req.taskId) key.push(req.taskId);
  return JSON.stringify(key);
}

function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Creates a broker for one client (Mandate's own, or the agent's) at one authorization server. */
export function createTokenBroker(opts: TokenBrokerOptions): TokenBroker {
  const oauth = oauthClient(opts);
  const logger = opts.logger ?? silentLogger();
  const now = opts.now ?? Date.now;
  const renewBefore = opts.renewBeforeSeconds ?? 30;
  const cache = new Map<string, Entry>();
  const inflight = new Map<string, Promise<PerToolToken>>();
  // Bumped on every invalidation touching an agent, so an exchange that started before it is not cached after it.
  const epochs = new Map<string, number>();
  let exchanges = 0;
  let hits = 0;

  const isFresh = (e: Entry) => e.value.info.exp - renewBefore > Math.floor(now() / 1000);

  const drop = (match: (e: Entry) => boolean): string[] => {
    const jtis: string[] = [];
    for (const [k, e] of cache) {
      if (match(e)) {
        cache.delete(k);
        jtis.push(e.value.info.jti);
      }
    }
    return jtis;
  };

  const describe = (req: PerToolRequest) => `a token for ${req.resource}`;

  async function mint(req: PerToolRequest, key: string): Promise<PerToolToken> {
    const epoch = epochs.get(req.agent) ?? 0;
    exchanges += 1;
    const scopes = [...new Set(req.scopes)].sort();
    try {
      const subjectToken = await req.subject.token();
      const actorToken = req.actor ? await req.actor.token() : undefined;
      const cfg = await oauth.config();
      const params: Record<string, string> = {
        subject_token: subjectToken,
        subject_token_type: ACCESS_TOKEN_TYPE,
        resource: req.resource,
        scope: scopes.join(' '),
        ...(actorToken ? { actor_token: actorToken, actor_token_type: ACCESS_TOKEN_TYPE } : {}),
        ...(req.taskId ? { mandate_task_id: req.taskId } : {}),
      };
      const res = await withRetry(() => client.genericGrantRequest(cfg, TOKEN_EXCHANGE_GRANT, params), opts.retry);
      const value = describeToken(res, req, scopes);
      if ((epochs.get(req.agent) ?? 0) === epoch) cache.set(key, { value, user: req.user, agent: req.agent, resource: req.resource });
      logger.debug({ event: 'per_tool_token', user: req.user, agent: req.agent, aud: value.info.aud, scope: value.info.scope, jti: value.info.jti, exp: value.info.exp }, 'per-tool token obtained');
      return value;
    } catch (err) {
      const e: MandateError = tokenError(err, describe(req));
      if (e instanceof DelegationRevoked) {
        const jtis = drop((c) => c.user === req.user && c.agent === req.agent);
        logger.info({ event: 'delegation_ended', user: req.user, agent: req.agent, dropped: jtis.length, reason: e.detail }, 'delegation ended by the authorization server');
      } else {
        logger.warn({ event: 'per_tool_token_failed', user: req.user, agent: req.agent, aud: req.resource, code: e.code, reason: e.detail }, 'per-tool token unavailable');
      }
      throw e;
    }
  }

  /** Checks the answer is what was asked (that API, no more scope) and reads what may be logged. */
  function describeToken(res: client.TokenEndpointResponse, req: PerToolRequest, scopes: string[]): PerToolToken {
    const token = res.access_token;
    let claims: { jti?: unknown; aud?: unknown; scope?: unknown; exp?: unknown } = {};
    try {
      claims = decodeJwt(token);
    } catch {
      // An opaque token: its audience and scope are taken from the response and the request.
    }
    const aud = typeof claims.aud === 'string' ? claims.aud : Array.isArray(claims.aud) ? claims.aud : [req.resource];
    const auds = Array.isArray(aud) ? aud : [aud];
    if (auds.length !== 1 || auds[0] !== req.resource) {
      throw new TokenUnavailable(`The authorization server returned a token for another audience than ${req.resource}.`, { detail: 'audience mismatch' });
    }
    const granted = String(res.scope ?? (typeof claims.scope === 'string' ? claims.scope : scopes.join(' '))).split(' ').filter(Boolean);
    const extra = granted.filter((s) => !scopes.includes(s));
    if (extra.length) {
      throw new TokenUnavailable(`The authorization server granted more scope than the tool needs (${extra.join(' ')}).`, { detail: 'scope beyond request' });
    }
    const jti = typeof claims.jti === 'string' ? claims.jti : `sha256:${createHash('sha256').update(token).digest('hex').slice(0, 32)}`;
    const exp = expiryOf(now(), res.expires_in, typeof claims.exp === 'number' ? claims.exp : undefined);
    return { token, info: { jti, aud: req.resource, scope: granted.join(' '), exp } };
  }

  function shared(req: PerToolRequest, key: string): Promise<PerToolToken> {
    let flight = inflight.get(key);
    if (!flight) {
      flight = mint(req, key).finally(() => inflight.delete(key));
      inflight.set(key, flight);
      flight.catch(() => {}); // the callers handle it; no unhandled rejection when all have left
    }
    return abortable(flight, req.signal);
  }

  return {
    async perToolToken(req) {
      const key = cacheKey(req);
      const hit = cache.get(key);
      if (hit && isFresh(hit)) {
        hits += 1;
        return hit.value;
      }
      return shared(req, key);
    },
    async fresh(req) {
      const key = cacheKey(req);
      cache.delete(key);
      return shared(req, key);
    },
    invalidate({ agent, resource, user }) {
      epochs.set(agent, (epochs.get(agent) ?? 0) + 1);
      const jtis = drop((e) => e.agent === agent && (resource === undefined || e.resource === resource) && (user === undefined || e.user === user));
      if (jtis.length) logger.info({ event: 'tokens_invalidated', agent, resource, dropped: jtis.length }, 'cached per-tool tokens dropped');
      return jtis;
    },
    stats: () => ({ exchanges, hits }),
  };
}
