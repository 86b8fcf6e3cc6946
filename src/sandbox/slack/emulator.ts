// The Slack Web API emulator: `GET|POST /api/<method>` with query, form or JSON arguments,
// the bearer token checked as a resource server would (through a TokenVerifier, against
// the method's real scopes), and every answer in Slack's own format: HTTP 200 with
// `ok:false` for API and auth errors, 429 + Retry-After for rate limits, 404 unknown_method.
import { Router, presenceVerifier, startEmulator } from '../http.js';
import type { BearerCheck, Emulator, SandboxRequest, SandboxResponse, TokenVerifier } from '../http.js';
import { SLACK_METHODS } from './methods.js';
import type { Params, SlackAnswer } from './methods.js';
import { createSlackSeed } from './seed.js';
import type { SlackState } from './seed.js';
import { EmulatedOAuth, type EmulatedOAuthOptions } from '../oauth.js';

export interface SlackEmulatorOptions {
  /** How bearer tokens are checked (default: any present token is accepted). */
  verifier?: TokenVerifier;
  port?: number;
  /** Clock for new message timestamps (default: the real one). */
  now?: () => Date;
  /** Starting workspace (default: a fresh copy of the demo seed). */
  state?: SlackState;
  /**
   * Slack's own OAuth (`oauth/v2/authorize`, `oauth.v2.access` with rotation): the emulator then
   * stands for a real workspace and accepts the Slack tokens it issued (unless `verifier` is given).
   */
  oauth?: Omit<EmulatedOAuthOptions, 'provider' | 'identity'> & { identity?: Partial<EmulatedOAuthOptions['identity']> };
}

/** A running Slack emulator and the workspace it serves. */
export type SlackEmulator = Emulator & { state: SlackState; oauth: EmulatedOAuth | null };

const answer = (body: SlackAnswer, status = 200): SandboxResponse => ({ status, body });

/** Slack's answer to a refused token: not_authed, invalid_auth, token_expired or missing_scope. */
export function slackAuthError(check: Extract<BearerCheck, { ok: false }>, required: readonly string[]): SlackAnswer {
  switch (check.reason) {
    case 'missing':
      return { ok: false, error: 'not_authed' };
    case 'expired':
      return { ok: false, error: 'token_expired' };
    case 'insufficient_scope':
      return { ok: false, error: 'missing_scope', needed: required.join(','), provided: (check.provided ?? []).join(',') };
    case 'invalid':
    case 'wrong_audience':
    case 'revoked':
      return { ok: false, error: 'invalid_auth' };
  }
}

/** Slack's body for an injected error status. */
export function slackFaultBody(status: number): SlackAnswer {
  if (status === 429) return { ok: false, error: 'ratelimited' };
  if (status === 503) return { ok: false, error: 'service_unavailable' };
  if (status === 504) return { ok: false, error: 'request_timeout' };
  if (status >= 500) return { ok: false, error: 'internal_error' };
  return { ok: false, error: 'invalid_arguments' };
}

/** Query string and body merged into Slack's flat string arguments. */
function readParams(req: SandboxRequest): Params | undefined {
  const params: Params = Object.fromEntries(req.query);
  if (req.body === undefined) return params;
  if (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body)) return undefined;
  for (const [k, v] of Object.entries(req.body as Record<string, unknown>)) {
    if (v === undefined || v === null) continue;
    params[k] = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  return params;
}

/** The token's Slack user: its `sub` mapped through the workspace, else the demo user. */
function callerOf(state: SlackState, claims: Record<string, unknown>): string {
  const sub = typeof claims.sub === 'string' ? claims.sub : undefined;
  if (sub && state.subjects[sub]) return state.subjects[sub];
  if (sub && state.users.some((u) => u.id === sub)) return sub;
  return state.demoUserId;
}

/** Starts the Slack emulator on 127.0.0.1 (ephemeral port unless told). */
export async function startSlackEmulator(options: SlackEmulatorOptions = {}): Promise<SlackEmulator> {
  const state = options.state ?? createSlackSeed();
  const oauth = options.oauth
    ? new EmulatedOAuth({
        ...options.oauth, provider: 'slack',
        identity: { id: 'T0MANDATE1', name: 'Mandate Demo', user: state.demoUserId, ...options.oauth.identity },
      })
    : null;
  const verifier = options.verifier ?? oauth?.verifier ?? presenceVerifier;
  const now = options.now ?? (() => new Date());
  const unknownMethod = (name?: string): SandboxResponse =>
    answer({ ok: false, error: 'unknown_method', ...(name ? { req_method: name } : {}) }, 404);

  const router = new Router().on('ANY', '/api/:method', async (req) => {
    const name = req.params.method!;
    if (name === 'oauth.v2.access' && oauth) return oauth.slackAccess(readParams(req) ?? {});
    if (name === 'auth.test') {
      const params = readParams(req) ?? {};
      const check = await verifier(req.token ?? params.token, []);
      if (!check.ok) return answer(slackAuthError(check, []));
      const c = check.claims;
      const team = typeof c.team_id === 'string' ? { id: c.team_id, name: typeof c.team_name === 'string' ? c.team_name : c.team_id } : oauth?.opts.identity ?? { id: 'T0MANDATE1', name: 'Mandate Demo' };
      const user = callerOf(state, check.claims);
      return {
        status: 200,
        body: {
          ok: true, url: `https://${(team.name ?? team.id).toLowerCase().replace(/[^a-z0-9]+/g, '-')}.slack.com/`, team: team.name ?? team.id, user, team_id: team.id, user_id: user,
          ...(c.bot === true ? { bot_id: 'B0MANDATE1' } : {}), is_enterprise_install: false,
        },
        headers: { 'x-oauth-scopes': check.scopes.join(',') },
      };
    }
    const method = Object.hasOwn(SLACK_METHODS, name) ? SLACK_METHODS[name] : undefined;
    if (!method) return unknownMethod(name);
    const params = readParams(req);
    if (!params) return answer({ ok: false, error: 'json_not_object' });
    // Slack also takes the token as a `token` argument (form body) when no header is sent.
    const token = req.token ?? params.token;
    const required = method.scopes(params);
    const check = await verifier(token, required);
    if (!check.ok) return answer(slackAuthError(check, required));
    return answer(method.run({ params, caller: callerOf(state, check.claims), state, now }));
  });

  oauth?.mount(router);
  const emulator = await startEmulator({
    router,
    notFound: (req) => unknownMethod(req.path.startsWith('/api/') ? req.path.slice(5) : undefined),
    badRequest: (message) => answer({ ok: false, error: message.includes('too large') ? 'request_timeout' : 'invalid_json' }),
    faultBody: slackFaultBody,
    ...(options.port !== undefined ? { port: options.port } : {}),
  });
  return Object.assign(emulator, { state, oauth });
}
