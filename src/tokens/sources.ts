// Where the broker gets the two inputs of an exchange: the user's subject token (a fixed one,
// e.g. the bearer of an MCP HTTP request, or one kept fresh from the delegation's refresh
// token) and the agent's own actor token (client credentials). Each renews before expiry,
// one request at a time, and reports failures as the contract's errors.
import * as client from 'openid-client';
import { decodeJwt } from 'jose';
import { cachedToken, expiryOf } from './cached.js';
import { tokenError } from './errors.js';
import { oauthClient, withRetry, type OAuthClientOptions } from './oauth.js';

/** A token the broker needs; `key` is a non-secret label for logs (never the token). */
export interface SubjectSource {
  readonly key: string;
  token(): Promise<string>;
}

/** The agent's own token, proving who acts. */
export type ActorSource = SubjectSource;

/** A subject token held as is (e.g. the bearer token of an MCP HTTP request). */
export function fixedSubject(token: string, key = 'bearer'): SubjectSource {
  return { key, token: async () => token };
}

const jwtExp = (token: string): number | undefined => {
  try {
    const { exp } = decodeJwt(token);
    return typeof exp === 'number' ? exp : undefined;
  } catch {
    return undefined;
  }
};

interface Renewal {
  /** Renew this many seconds before expiry (default 30). */
  renewBeforeSeconds?: number;
  /** Clock in epoch ms (tests). */
  now?: () => number;
}

export interface RefreshingSubjectOptions extends OAuthClientOptions, Renewal {
  /** The delegation's refresh token, issued to `clientId`. */
  refreshToken: string;
  /** Resource to ask the access token for (default: what the grant names). */
  resource?: string;
  /** Called with the new refresh token when the server rotates it (persist it). */
  onRotate?: (refreshToken: string) => void | Promise<void>;
  key?: string;
}

/** The user's subject token from the delegation's refresh token, refreshed before it expires. */
export function refreshingSubject(opts: RefreshingSubjectOptions): SubjectSource {
  const oauth = oauthClient(opts);
  const now = opts.now ?? Date.now;
  let refreshToken = opts.refreshToken;
  const get = cachedToken(
    async () => {
      try {
        const cfg = await oauth.config();
        const params: Record<string, string> = opts.resource ? { resource: opts.resource } : {};
        const res = await withRetry(() => client.refreshTokenGrant(cfg, refreshToken, params), opts.retry);
        if (res.refresh_token && res.refresh_token !== refreshToken) {
          refreshToken = res.refresh_token;
          await opts.onRotate?.(refreshToken);
        }
        return { token: res.access_token, exp: expiryOf(now(), res.expires_in, jwtExp(res.access_token)) };
      } catch (err) {
        throw tokenError(err, "the user's delegation token");
      }
    },
    { renewBeforeSeconds: opts.renewBeforeSeconds ?? 30, now },
  );
  return { key: opts.key ?? `refresh:${opts.clientId}`, token: get };
}

export interface ClientCredentialsActorOptions extends OAuthClientOptions, Renewal {
  /** The resource the actor token is for (the Mandate MCP resource). */
  resource: string;
  scope?: string;
  key?: string;
}

/** The agent's own client-credentials token, renewed before it expires. */
export function clientCredentialsActor(opts: ClientCredentialsActorOptions): ActorSource {
  const oauth = oauthClient(opts);
  const now = opts.now ?? Date.now;
  const get = cachedToken(
    async () => {
      try {
        const cfg = await oauth.config();
        const params: Record<string, string> = { resource: opts.resource, ...(opts.scope ? { scope: opts.scope } : {}) };
        const res = await withRetry(() => client.clientCredentialsGrant(cfg, params), opts.retry);
        return { token: res.access_token, exp: expiryOf(now(), res.expires_in, jwtExp(res.access_token)) };
      } catch (err) {
        throw tokenError(err, "the agent's own token");
      }
    },
    { renewBeforeSeconds: opts.renewBeforeSeconds ?? 30, now },
  );
  return { key: opts.key ?? `client:${opts.clientId}`, token: get };
}
