// Decides whether a bearer JWT access token is good for one audience (RFC 9068, RFC 8725):
// signature by a key of the issuer's JWKS with a pinned algorithm (so `alg: none` and
// HMAC-with-the-public-key are refused), `typ: at+jwt`, `iss`, `aud`, `exp`/`nbf` within a
// small clock skew, and the revoked-`jti` denylist. The MCP HTTP transport and the sandbox
// emulators both use it; the emulators through `sandboxTokenVerifier`, which adds scopes.
// A token whose signature and claims once verified is remembered (by its exact text, until
// it expires): a repeat skips the signature check, never the expiry or the denylist.
import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import type { TokenVerifier } from '../sandbox/http.js';
import { SIGNING_ALG } from './keys.js';

/** An `act` claim (RFC 8693 §4.1): the current actor, nesting the previous ones. */
export interface ActClaim {
  sub: string;
  act?: ActClaim;
  [claim: string]: unknown;
}

/** The claims of an access token a verifier accepted. */
export interface AccessTokenClaims extends JWTPayload {
  sub: string;
  exp: number;
  scope?: string;
  client_id?: string;
  azp?: string;
  act?: ActClaim;
}

/** Why a token was refused. */
export type JwtRefusal = 'missing' | 'invalid' | 'expired' | 'wrong_audience' | 'revoked';

/** A verifier's answer. */
export type JwtVerification =
  | { ok: true; claims: AccessTokenClaims }
  /** `detail` is for logs only: short, and never the token. */
  | { ok: false; reason: JwtRefusal; detail?: string };

/** Who issues the tokens, who they must be for, and how strict to be. */
export interface JwtVerifierOptions {
  issuer: string;
  /** Where the issuer's keys are published (fetched and cached). */
  jwksUri?: string;
  /** The issuer's keys, when known locally (the embedded server verifying its own tokens). */
  jwks?: JSONWebKeySet;
  /** The one audience accepted (the resource identifier of whoever verifies). */
  audience: string;
  /** Asymmetric JWS algorithms accepted (default ES256). `none` and HMAC are refused. */
  algorithms?: string[];
  /** Clock skew allowed on `exp`/`nbf`, at most 30 s (default 5 s). */
  clockToleranceSec?: number;
  /** The revoked-`jti` denylist; when given, tokens must carry a `jti`. */
  isJtiRevoked?: (jti: string) => Promise<boolean>;
  /** Required `typ` header (default `at+jwt`, RFC 9068); `false` accepts any. */
  typ?: string | false;
  /**
   * How many verified tokens to remember (default 1000; 0: none). An agent presents the same
   * bearer token on every request: remembering it saves a signature check (~0.3 ms) each time.
   */
  cacheSize?: number;
}

/** Checks one bearer token. */
export type JwtVerifier = (token: string | undefined) => Promise<JwtVerification>;

const MAX_SKEW_SEC = 30;

/** Creates a verifier for one issuer and one audience. Throws on an unsafe configuration. */
export function createJwtVerifier(opts: JwtVerifierOptions): JwtVerifier {
  const algorithms = opts.algorithms ?? [SIGNING_ALG];
  if (algorithms.length === 0) throw new Error('createJwtVerifier: algorithms must not be empty');
  for (const alg of algorithms) {
    if (alg === 'none' || /^HS/i.test(alg)) throw new Error(`createJwtVerifier: algorithm ${alg} is not accepted (asymmetric only)`);
  }
  if (!opts.jwks === !opts.jwksUri) throw new Error('createJwtVerifier: give exactly one of jwks or jwksUri');
  const keys = opts.jwks
    ? createLocalJWKSet(opts.jwks)
    : createRemoteJWKSet(new URL(opts.jwksUri!), { cooldownDuration: 5_000, cacheMaxAge: 10 * 60_000, timeoutDuration: 5_000 });
  const clockTolerance = Math.min(Math.max(opts.clockToleranceSec ?? 5, 0), MAX_SKEW_SEC);
  const requiredClaims = ['exp', 'iat', 'sub', ...(opts.isJtiRevoked ? ['jti'] : [])];
  const typ = opts.typ === undefined ? 'at+jwt' : opts.typ || undefined;
  const cacheSize = Math.max(0, opts.cacheSize ?? 1000);
  const verified = new Map<string, JWTPayload>();

  return async (token) => {
    if (!token) return { ok: false, reason: 'missing' };
    let payload = verified.get(token);
    // A remembered token: only time has changed since it verified, so only time is checked again.
    if (payload && (payload.exp as number) + clockTolerance <= Math.floor(Date.now() / 1000)) {
      verified.delete(token);
      return { ok: false, reason: 'expired', detail: 'token expired' };
    }
    if (!payload) {
      try {
        ({ payload } = await jwtVerify(token, keys, {
          issuer: opts.issuer,
          audience: opts.audience,
          algorithms,
          clockTolerance,
          requiredClaims,
          ...(typ ? { typ } : {}),
        }));
      } catch (err) {
        return refusal(err);
      }
      // Valid now (`nbf` passed, `exp` ahead): from here on only `exp` can change that.
      if (cacheSize > 0) {
        if (verified.size >= cacheSize) verified.delete(verified.keys().next().value!);
        verified.set(token, payload);
      }
    }
    if (typeof payload.sub !== 'string' || !payload.sub) return { ok: false, reason: 'invalid', detail: 'sub is not a string' };
    if (opts.isJtiRevoked) {
      if (typeof payload.jti !== 'string') return { ok: false, reason: 'invalid', detail: 'jti is not a string' };
      if (await opts.isJtiRevoked(payload.jti)) return { ok: false, reason: 'revoked' };
    }
    return { ok: true, claims: payload as AccessTokenClaims };
  };
}

function refusal(err: unknown): JwtVerification {
  if (err instanceof errors.JWTExpired) return { ok: false, reason: 'expired', detail: 'token expired' };
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return { ok: false, reason: 'wrong_audience', detail: 'aud does not name this resource' };
    return { ok: false, reason: 'invalid', detail: `${err.claim} claim check failed` };
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return { ok: false, reason: 'invalid', detail: 'algorithm not accepted' };
  if (err instanceof errors.JWSSignatureVerificationFailed) return { ok: false, reason: 'invalid', detail: 'signature does not verify' };
  if (err instanceof errors.JWKSNoMatchingKey) return { ok: false, reason: 'invalid', detail: 'no key of the issuer matches' };
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) {
    return { ok: false, reason: 'invalid', detail: 'the issuer keys could not be fetched' };
  }
  if (err instanceof errors.JOSEError) return { ok: false, reason: 'invalid', detail: `malformed token (${err.code})` };
  return { ok: false, reason: 'invalid', detail: 'the issuer keys could not be fetched' };
}

/**
 * The sandbox emulators' bearer check: `createJwtVerifier` plus the endpoint's scope (the
 * token must hold one of `requiredAnyOf`), answering `insufficient_scope` with what it held.
 * With `issuedTo`, only per-tool tokens issued to that client (Mandate's exchanger) with an
 * agent named in `act` are accepted: an upstream API is reached through Mandate or not at all.
 */
export function sandboxTokenVerifier(opts: JwtVerifierOptions & { issuedTo?: string }): TokenVerifier {
  const { issuedTo, ...jwt } = opts;
  // The emulators stand for upstream APIs and check every signature, as the baseline they are.
  const verify = createJwtVerifier({ cacheSize: 0, ...jwt });
  return async (token, requiredAnyOf) => {
    const r = await verify(token);
    if (!r.ok) return { ok: false, reason: r.reason };
    if (issuedTo !== undefined && !viaExchanger(r.claims, issuedTo)) return { ok: false, reason: 'invalid' };
    const scopes = typeof r.claims.scope === 'string' ? r.claims.scope.split(' ').filter(Boolean) : [];
    if (requiredAnyOf.length > 0 && !requiredAnyOf.some((s) => scopes.includes(s))) {
      return { ok: false, reason: 'insufficient_scope', provided: scopes };
    }
    return { ok: true, claims: r.claims, scopes };
  };
}

/** Whether a per-tool token was issued to `exchanger` for an agent (RFC 8693 `act`) other than itself. */
export function viaExchanger(claims: AccessTokenClaims, exchanger: string): boolean {
  const actor = claims.act?.sub;
  return claims.client_id === exchanger && typeof actor === 'string' && actor.length > 0 && actor !== exchanger;
}
