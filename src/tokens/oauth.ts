// How the token side talks to any authorization server: openid-client 6 with discovery from
// the issuer (plain http only for loopback), a bounded retry with backoff for transient
// failures (network errors, 5xx, timeouts), and one reading of every failure as either
// transient or a refusal with its OAuth error code. Nothing here ever puts a token in a message.
import * as client from 'openid-client';
import { scrubString } from '../log.js';

/** Connection settings for one client at one authorization server. */
export interface OAuthClientOptions {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** How the client authenticates at the token endpoint (default client_secret_basic). */
  clientAuth?: 'client_secret_basic' | 'client_secret_post';
  fetch?: typeof fetch;
  /** Per-request timeout (default 10 s). */
  timeoutSeconds?: number;
  /** Attempts for a transient failure (default 3) and the first backoff (default 100 ms). */
  retry?: { tries?: number; baseDelayMs?: number };
}

/** A failure, read once: worth retrying, or an answer from the server. */
export type Failure =
  | { kind: 'transient'; detail: string }
  | { kind: 'refused'; error: string; description?: string; status?: number };

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Whether an issuer may be reached over plain http (loopback only). */
export function insecureAllowed(issuer: string): boolean {
  const u = new URL(issuer);
  if (u.protocol === 'https:') return false;
  if (u.protocol === 'http:' && LOOPBACK.has(u.hostname)) return true;
  throw new Error(`authorization server ${u.origin}: only https, or http on 127.0.0.1, is accepted`);
}

/** Reads any error from openid-client (or fetch) as transient or refused. */
export function classify(err: unknown): Failure {
  if (err instanceof client.ResponseBodyError) {
    if (err.status >= 500) return { kind: 'transient', detail: `server error ${err.status} (${err.error})` };
    return {
      kind: 'refused',
      error: err.error,
      status: err.status,
      ...(err.error_description ? { description: scrubString(err.error_description) } : {}),
    };
  }
  if (err instanceof client.WWWAuthenticateChallengeError) {
    const error = err.cause[0]?.parameters.error ?? 'invalid_client';
    return { kind: 'refused', error, status: err.status };
  }
  if (err instanceof client.ClientError) {
    if (err.code === 'OAUTH_TIMEOUT') return { kind: 'transient', detail: 'request timed out' };
    const cause = (err as { cause?: unknown }).cause;
    if (cause instanceof Response) {
      if (cause.status >= 500 || cause.status === 429) return { kind: 'transient', detail: `HTTP ${cause.status}` };
      return { kind: 'refused', error: 'invalid_response', description: `unexpected HTTP ${cause.status}`, status: cause.status };
    }
    return { kind: 'refused', error: 'invalid_response', description: scrubString(err.message) };
  }
  if (err instanceof TypeError && !(err as { code?: string }).code?.startsWith('ERR_INVALID')) {
    const cause = (err as { cause?: { code?: string } }).cause;
    return { kind: 'transient', detail: `network error${cause?.code ? ` (${cause.code})` : ''}` };
  }
  if (err instanceof DOMException && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return { kind: 'transient', detail: 'request timed out' };
  }
  return { kind: 'refused', error: 'client_error', description: err instanceof Error ? scrubString(err.message) : 'unknown failure' };
}

/** Thrown when every attempt failed transiently, or the server refused. */
export class OAuthFailure extends Error {
  constructor(readonly failure: Failure) {
    super(failure.kind === 'transient' ? `authorization server unreachable: ${failure.detail}` : `authorization server refused: ${failure.error}`);
    this.name = 'OAuthFailure';
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs `fn`, retrying transient failures with exponential backoff; throws OAuthFailure. */
export async function withRetry<T>(fn: () => Promise<T>, retry: OAuthClientOptions['retry'] = {}): Promise<T> {
  const tries = Math.max(1, Math.min(retry.tries ?? 3, 5));
  const base = Math.max(0, Math.min(retry.baseDelayMs ?? 100, 2_000));
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const failure = classify(err);
      if (failure.kind === 'refused' || attempt >= tries) throw new OAuthFailure(failure);
      const delay = Math.min(base * 4 ** (attempt - 1), 2_000);
      await sleep(delay * (0.8 + Math.random() * 0.4));
    }
  }
}

/** A client at one authorization server; discovery happens on first use and is kept once it succeeds. */
export interface OAuthClient {
  readonly options: OAuthClientOptions;
  config(): Promise<client.Configuration>;
}

/** Creates a lazily discovered client. Throws at once on a non-loopback http issuer. */
export function oauthClient(options: OAuthClientOptions): OAuthClient {
  const insecure = insecureAllowed(options.issuer);
  const auth = options.clientAuth === 'client_secret_post' ? client.ClientSecretPost(options.clientSecret) : client.ClientSecretBasic(options.clientSecret);
  const timeout = options.timeoutSeconds ?? 10;
  const execute = insecure ? [client.allowInsecureRequests] : [];
  const custom = options.fetch;
  const fetchOption = custom ? { [client.customFetch]: ((url, init) => custom(url, init as RequestInit)) as client.CustomFetch } : {};
  let discovered: Promise<client.Configuration> | undefined;
  return {
    options,
    config() {
      discovered ??= withRetry(
        () => client.discovery(new URL(options.issuer), options.clientId, { client_secret: options.clientSecret }, auth, { execute, timeout, ...fetchOption }),
        options.retry,
      ).catch((err: unknown) => {
        discovered = undefined; // try again next time
        throw err;
      });
      return discovered;
    },
  };
}
