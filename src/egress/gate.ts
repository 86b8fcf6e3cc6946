// The egress gate: where a connector's request to a real provider leaves Mandate, in process.
// It verifies the per-tool token as the emulators do (signature, audience, expiry, `jti`
// denylist, and the exchanger rule: issued to Mandate's exchanger with an agent in `act`),
// checks the exact method or endpoint against the token's scopes (rules.ts), then swaps the
// per-tool token for the account's provider credential from the vault and sends the request.
// A refused request never reaches the provider: the connector gets the provider's own error
// shape, and the refusal goes on the audit record. Neither the tool handler nor the model ever
// sees the credential: it exists only inside this function's request to the provider.
import type { AuditInput } from '../audit/record.js';
import { MandateError } from '../errors.js';
import type { Identity } from '../identity/types.js';
import { silentLogger, type Logger } from '../log.js';
import type { UpstreamProvider } from '../resources.js';
import type { TokenVerifier } from '../sandbox/http.js';
import type { AccountIdentity, Vault } from '../vault/index.js';
import { refusalResponse, type GateRefusal } from './answers.js';
import { egressRule } from './rules.js';

export interface EgressGateOptions {
  provider: UpstreamProvider;
  /** The provider's API base URL (the real one, or an emulator standing for it). */
  baseUrl: string;
  /** Checks a per-tool token for this provider's audience (with the exchanger rule). */
  verify: TokenVerifier;
  vault: Pick<Vault, 'credential' | 'renew'>;
  audit?: { record(input: AuditInput): Promise<unknown> };
  fetch?: typeof fetch;
  logger?: Logger;
}

/** One tool call's passage through the gate. */
export interface EgressCall {
  account: string;
  callId?: string;
  tool?: string;
  identity?: Identity;
  /** Told whose account the request went to (for the call's audit record). */
  onSent?: (account: AccountIdentity) => void;
}

export interface EgressGate {
  readonly provider: UpstreamProvider;
  /** A `fetch` for one call's connector: every request it sends passes the gate. */
  fetchFor(call: EgressCall): typeof fetch;
}

const bearerOf = (h: Headers) => {
  const v = h.get('authorization');
  return v && /^bearer /i.test(v) ? v.slice(7).trim() : undefined;
};

/** Slack answers an expired or revoked token with HTTP 200: read its `error` too. */
async function providerRefusedCredential(provider: UpstreamProvider, res: Response): Promise<boolean> {
  if (res.status === 401) return true;
  if (provider !== 'slack' || res.status !== 200) return false;
  try {
    const body = (await res.clone().json()) as { ok?: unknown; error?: unknown };
    return body.ok === false && (body.error === 'token_expired' || body.error === 'invalid_auth' || body.error === 'token_revoked');
  } catch {
    return false;
  }
}

/** Creates the gate for one provider. */
export function createEgressGate(opts: EgressGateOptions): EgressGate {
  const send = opts.fetch ?? globalThis.fetch;
  const logger = opts.logger ?? silentLogger();
  const base = new URL(opts.baseUrl.replace(/\/+$/, ''));

  function refuse(call: EgressCall, why: GateRefusal, endpoint: string, needed: readonly string[], provided: readonly string[], claims?: Record<string, unknown>): Response {
    const id = call.identity;
    const actor = (claims?.act as { sub?: unknown } | undefined)?.sub;
    const reason = why === 'not_allowed'
      ? `egress gate: ${endpoint} is not a request Mandate's ${opts.provider} tools make`
      : why === 'insufficient_scope'
        ? `egress gate: ${endpoint} needs ${needed.join(' or ')}; the per-tool token carries ${provided.join(' ') || 'no scope'}`
        : `egress gate: the per-tool token was refused (${why})`;
    logger.warn({ event: 'egress_refused', provider: opts.provider, account: call.account, endpoint, why }, 'egress gate refused a request');
    opts.audit?.record({
      call_id: call.callId ?? `egress_${Date.now()}`,
      event: 'token_refused',
      tool: call.tool ?? '',
      user: id?.user ?? (typeof claims?.sub === 'string' ? claims.sub : null),
      client: id?.client ?? null,
      agent: id?.agent ?? (typeof actor === 'string' ? actor : null),
      actor_chain: id?.actorChain ?? (typeof actor === 'string' ? [actor] : []),
      session_id: id?.sessionId ?? null,
      decision: 'refused',
      outcome: 'refused',
      reason,
      error_code: why === 'insufficient_scope' || why === 'not_allowed' ? 'insufficient_scope' : 'invalid_token',
      args: { provider: opts.provider, account: call.account, endpoint },
    }).catch(() => undefined); // AuditLog logs what it could not write
    return refusalResponse(opts.provider, why, needed, provided);
  }

  return {
    provider: opts.provider,
    fetchFor(call) {
      return async (input, init) => {
        const req = new Request(input, init);
        const url = new URL(req.url);
        const basePath = base.pathname.replace(/\/+$/, '');
        if (url.origin !== base.origin || !(url.pathname === basePath || url.pathname.startsWith(`${basePath}/`))) {
          return refuse(call, 'not_allowed', `${req.method} ${url.origin}${url.pathname}`, [], []);
        }
        const path = url.pathname.slice(basePath.length) || '/';
        // Slack reads arguments from the query and a form body alike.
        const params = new URLSearchParams(url.search);
        const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : await req.arrayBuffer();
        if (body && (req.headers.get('content-type') ?? '').includes('application/x-www-form-urlencoded')) {
          for (const [k, v] of new URLSearchParams(new TextDecoder().decode(body))) params.set(k, v);
        }
        const rule = egressRule(opts.provider, req.method, path, params);
        if (!rule) return refuse(call, 'not_allowed', `${req.method} ${path}`, [], []);
        const check = await opts.verify(bearerOf(req.headers), rule.anyOf);
        if (!check.ok) return refuse(call, check.reason, rule.name, rule.anyOf, check.provided ?? []);

        // The per-tool token's own scopes are what the account's credential is asked for (Google: narrowed to them).
        const scopes = check.scopes.length ? check.scopes : rule.anyOf.slice(0, 1);
        const forward = async (token: string) => {
          const headers = new Headers(req.headers);
          headers.set('authorization', `Bearer ${token}`);
          return send(url, { method: req.method, headers, body, signal: req.signal, redirect: 'manual' });
        };
        let cred = await opts.vault.credential(opts.provider, call.account, scopes);
        let res = await forward(cred.token);
        if (await providerRefusedCredential(opts.provider, res)) {
          try {
            cred = await opts.vault.renew(opts.provider, call.account, scopes);
          } catch (err) {
            if (err instanceof MandateError) throw err;
            return res;
          }
          res = await forward(cred.token);
        }
        call.onSent?.(cred.identity);
        logger.debug({ event: 'egress', provider: opts.provider, account: call.account, endpoint: rule.name, status: res.status }, 'egress');
        return res;
      };
    },
  };
}
