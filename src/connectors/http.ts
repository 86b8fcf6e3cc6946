// The one way Mandate talks to an upstream API: bearer token from a TokenSource, a timeout
// on every request, 429 honoured through Retry-After within a bound, and one fresh token
// and one retry on 401. Providers plug in how their own error bodies read.
import { MandateError, UpstreamError, UpstreamUnauthorized } from '../errors.js';

/** Where a connector gets its per-tool bearer token. It never sees any other credential. */
export interface TokenSource {
  /** The current token (cached or freshly minted). */
  token(): Promise<string>;
  /** A fresh token after the upstream refused the current one (called at most once a request). */
  refresh(): Promise<string>;
}

/** A fixed token; for tests and the bare baseline. */
export function staticTokenSource(token: string): TokenSource {
  return { token: async () => token, refresh: async () => token };
}

export interface ConnectorOptions {
  baseUrl: string;
  tokens: TokenSource;
  fetch?: typeof fetch;
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number;
  /** Longest Retry-After we wait for on 429 before giving up (default 5 s). */
  maxRetryAfterSeconds?: number;
  /** How many 429s in a row we sit out before giving up (default 2). */
  maxRateLimitRetries?: number;
  signal?: AbortSignal;
}

export interface UpstreamRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  json?: unknown;
  form?: Record<string, string | number | boolean | undefined>;
}

export interface UpstreamResponse {
  status: number;
  headers: Headers;
  body: unknown;
}

/** How a provider reads a response: fine, refused for auth, or failed with a message. */
export type Verdict =
  | { kind: 'ok' }
  | { kind: 'unauthorized'; message: string }
  | { kind: 'rate_limited'; retryAfterSeconds: number }
  | { kind: 'error'; message: string };

export type Interpret = (res: UpstreamResponse) => Verdict;

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => { clearTimeout(t); reject(signal.reason); }, { once: true });
  });

/** Parses Retry-After (seconds or HTTP date); unknown means 1 s. */
export function retryAfterSeconds(headers: Headers): number {
  const v = headers.get('retry-after');
  if (!v) return 1;
  const n = Number(v);
  if (Number.isFinite(n)) return Math.max(0, n);
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, (at - Date.now()) / 1000) : 1;
}

/** Base class of the provider connectors. */
export class HttpConnector {
  protected readonly opts: Required<Omit<ConnectorOptions, 'signal'>> & { signal?: AbortSignal };
  constructor(
    readonly providerName: string,
    options: ConnectorOptions,
    private readonly interpret: Interpret,
  ) {
    this.opts = {
      fetch: globalThis.fetch,
      timeoutMs: 10_000,
      maxRetryAfterSeconds: 5,
      maxRateLimitRetries: 2,
      ...options,
      baseUrl: options.baseUrl.replace(/\/+$/, ''),
    };
  }

  /** Sends one request and returns the parsed body of a successful response. */
  async send<T = unknown>(req: UpstreamRequest): Promise<T> {
    let token = await this.opts.tokens.token();
    let refreshed = false;
    for (let rateLimited = 0; ; ) {
      const res = await this.once(req, token);
      const verdict = this.interpret(res);
      if (verdict.kind === 'ok') return res.body as T;
      if (verdict.kind === 'unauthorized') {
        if (refreshed) throw new UpstreamUnauthorized(`${this.providerName} refused the per-tool token: ${verdict.message}`);
        refreshed = true;
        token = await this.opts.tokens.refresh();
        continue;
      }
      if (verdict.kind === 'rate_limited') {
        rateLimited += 1;
        if (rateLimited > this.opts.maxRateLimitRetries || verdict.retryAfterSeconds > this.opts.maxRetryAfterSeconds) {
          throw new UpstreamError(`${this.providerName} is rate limiting; retry after ${Math.ceil(verdict.retryAfterSeconds)} s`, {
            extras: { retry_after_seconds: Math.ceil(verdict.retryAfterSeconds) },
          });
        }
        await sleep(verdict.retryAfterSeconds * 1000, this.opts.signal);
        continue;
      }
      throw new UpstreamError(`${this.providerName}: ${verdict.message}`);
    }
  }

  private async once(req: UpstreamRequest, token: string): Promise<UpstreamResponse> {
    const url = new URL(this.opts.baseUrl + req.path);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
    let body: string | undefined;
    if (req.json !== undefined) {
      headers['content-type'] = 'application/json; charset=utf-8';
      body = JSON.stringify(req.json);
    } else if (req.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      const p = new URLSearchParams();
      for (const [k, v] of Object.entries(req.form)) if (v !== undefined) p.set(k, String(v));
      body = p.toString();
    }
    const signals = [AbortSignal.timeout(this.opts.timeoutMs)];
    if (this.opts.signal) signals.push(this.opts.signal);
    let res: Response;
    try {
      res = await this.opts.fetch(url, { method: req.method, headers, body, signal: AbortSignal.any(signals) });
    } catch (err) {
      if (this.opts.signal?.aborted) throw err;
      // The egress gate's own verdicts (an account not connected, expired, lacking a scope) pass as they are.
      if (err instanceof MandateError) throw err;
      const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      throw new UpstreamError(
        timedOut ? `${this.providerName} did not answer within ${this.opts.timeoutMs} ms` : `${this.providerName} could not be reached`,
        { detail: err instanceof Error ? err.message : String(err) },
      );
    }
    const text = await res.text();
    let parsed: unknown = text;
    if (text && (res.headers.get('content-type') ?? '').includes('json')) {
      try { parsed = JSON.parse(text); } catch { parsed = text; }
    } else if (text === '') parsed = undefined;
    return { status: res.status, headers: res.headers, body: parsed };
  }
}

