// The user-facing steps of the authorization code flow: sign in (the sandbox's demo user, no
// password) and consent that names the agent ("Agent X will act on your behalf with: …").
// Allowing records the delegation (user, agent, client, scopes per API) in the registry and
// grants the MCP resource; denying ends the flow with access_denied. What a consent grants is
// bounded by the agent's capabilities, and it is that client's own delegation: it never
// replaces or widens the delegation another client holds for the same agent.
import type http from 'node:http';
import type Provider from 'oidc-provider';
import type { Logger } from '../log.js';
import { PROVIDER_SCOPES, type UpstreamProvider } from '../resources.js';
import type { UserProfile } from './config.js';
import type { GrantActors, UserDirectory } from './directory.js';
import type { RefusedAttempt } from './index.js';
import type { DelegationRegistry } from './delegations.js';
import { consentPage, errorPage, loginPage, type ConsentSection } from './pages.js';
import { resourceName, scopeWords } from './words.js';

/** What the sign-in and consent steps need from the running server. */
export interface InteractionDeps {
  provider: () => Provider;
  users: UserDirectory;
  /** The user the sandbox sign-in page signs in. */
  signInUser: UserProfile;
  registry: DelegationRegistry;
  actorsByGrant: GrantActors;
  mcpResource: string;
  /** The most a consent may grant this agent (its capabilities), per API. */
  consentScopes: (agent: string) => Record<string, readonly string[]>;
  /** Mandate's own client, the only one that may ask on behalf of another agent. */
  exchangerClientId: string;
  onRefused: (attempt: RefusedAttempt) => void;
  logger: Logger;
}

/**
 * The upstream scopes a consent grants, per API: those the request names, else all of
 * `allowed`; never beyond `allowed` (the agent's capabilities). Scopes of unknown APIs are
 * ignored. The consent page shows exactly this.
 */
export function delegationScopes(scopeParam: unknown, allowed: Record<string, readonly string[]>): Record<string, string[]> {
  const requested = new Set(typeof scopeParam === 'string' ? scopeParam.split(' ') : []);
  const named = (Object.entries(PROVIDER_SCOPES) as [UpstreamProvider, readonly string[]][]).some(([, scopes]) => scopes.some((s) => requested.has(s)));
  const out: Record<string, string[]> = {};
  for (const [resource, scopes] of Object.entries(allowed)) {
    const granted = named ? scopes.filter((s) => requested.has(s)) : [...scopes];
    if (granted.length) out[resource] = granted;
  }
  return out;
}

async function readForm(req: http.IncomingMessage): Promise<URLSearchParams> {
  let text = '';
  req.setEncoding('utf8');
  for await (const chunk of req) {
    text += chunk as string;
    if (text.length > 64 * 1024) break;
  }
  return new URLSearchParams(text);
}

function send(res: http.ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
    'x-frame-options': 'DENY',
  });
  res.end(html);
}

/** Handles `/interaction/…` requests; returns false for any other path. */
export function interactionHandler(deps: InteractionDeps) {
  return async (req: http.IncomingMessage, res: http.ServerResponse): Promise<boolean> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const m = /^\/interaction\/([A-Za-z0-9_-]+)(\/login|\/confirm)?$/.exec(url.pathname);
    if (!m) return false;
    const [, uid, step] = m;
    const provider = deps.provider();
    try {
      const details = await provider.interactionDetails(req, res);
      if (details.uid !== uid) {
        send(res, 400, errorPage({ error: 'invalid_request', error_description: 'this sign-in page has expired; start again' }));
        return true;
      }
      const clientId = String(details.params.client_id);
      const agent = typeof details.params.requested_actor === 'string' && details.params.requested_actor ? details.params.requested_actor : clientId;

      if (req.method === 'GET' && !step) {
        if (details.prompt.name === 'login') {
          const client = await provider.Client.find(clientId);
          send(res, 200, loginPage(`/interaction/${uid}/login`, deps.signInUser, client?.clientName ?? clientId));
          return true;
        }
        const refusal = agent !== clientId && clientId !== deps.exchangerClientId
          ? { error: 'unauthorized_client', error_description: 'requested_actor must be the client itself' }
          : !(await provider.Client.find(agent))
            ? { error: 'invalid_request', error_description: 'requested_actor is not a registered agent' }
            : null;
        if (refusal) {
          deps.onRefused({ event: 'authorization_refused', ...refusal, description: refusal.error_description, client: clientId, subject: details.session?.accountId ?? null, actor: agent, grantType: 'authorization_code', resource: null, scope: typeof details.params.scope === 'string' ? details.params.scope : null });
          await provider.interactionFinished(req, res, refusal, { mergeWithLastSubmission: false });
          return true;
        }
        const accountId = details.session?.accountId ?? '';
        const user = await deps.users.get(accountId);
        const scopes = delegationScopes(details.params.scope, deps.consentScopes(agent));
        const sections: ConsentSection[] = Object.entries(scopes).map(([r, s]) => ({ resource: resourceName(r, deps.mcpResource), scopes: s.map(scopeWords) }));
        if (sections.length === 0) sections.push({ resource: 'Mandate', scopes: ["its own tools only: this agent's capabilities allow no access to Slack, the CRM or the calendar"] });
        const client = await provider.Client.find(clientId);
        send(res, 200, consentPage({
          action: `/interaction/${uid}/confirm`,
          // A client acting as its own agent is shown by its registered name (and id, which is what the audit trail records).
          agent: agent === clientId && client?.clientName ? `${client.clientName} (${clientId})` : agent,
          ...(agent !== clientId ? { viaClient: client?.clientName ?? clientId } : {}),
          user: user ? `${user.name}${user.email ? ` (${user.email})` : ''}` : accountId,
          sections,
        }));
        return true;
      }

      if (req.method === 'POST' && step === '/login' && details.prompt.name === 'login') {
        await readForm(req);
        await provider.interactionFinished(req, res, { login: { accountId: deps.signInUser.sub } }, { mergeWithLastSubmission: false });
        return true;
      }

      if (req.method === 'POST' && step === '/confirm' && details.prompt.name === 'consent') {
        const form = await readForm(req);
        if (form.get('decision') !== 'allow') {
          deps.logger.info({ event: 'delegation_denied', client: clientId, agent }, 'the user denied the delegation');
          await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'the user denied the delegation' }, { mergeWithLastSubmission: false });
          return true;
        }
        const accountId = details.session!.accountId;
        const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId, clientId });
        if (!grant) throw new Error('grant not found');
        const prompt = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
        if (prompt.missingOIDCScope) grant.addOIDCScope(prompt.missingOIDCScope.join(' '));
        if (prompt.missingOIDCClaims) grant.addOIDCClaims(prompt.missingOIDCClaims);
        for (const [resource, scopes] of Object.entries(prompt.missingResourceScopes ?? {})) grant.addResourceScope(resource, scopes.join(' '));
        const grantId = await grant.save();
        if (agent !== clientId) await deps.actorsByGrant.set(grantId, agent);
        if (agent !== clientId && clientId !== deps.exchangerClientId) throw Object.assign(new Error('requested_actor must be the client itself'), { error: 'unauthorized_client', error_description: 'requested_actor must be the client itself' });
        const scopes = delegationScopes(details.params.scope, deps.consentScopes(agent));
        await deps.registry.put({ user: accountId, agent, client: clientId, scopes, status: 'active', createdAt: Math.floor(Date.now() / 1000) });
        deps.logger.info({ event: 'delegation_granted', user: accountId, agent, client: clientId, resources: Object.keys(scopes) }, 'delegation recorded');
        await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
        return true;
      }

      send(res, 400, errorPage({ error: 'invalid_request', error_description: 'unexpected step in this sign-in' }));
      return true;
    } catch (err) {
      const e = err as { name?: string; error?: string; error_description?: string; message?: string };
      deps.logger.info({ event: 'interaction_error', error: e.error ?? e.name, detail: e.error_description ?? e.message }, 'sign-in step failed');
      if (!res.headersSent) {
        send(res, 400, errorPage({ error: e.error ?? 'invalid_request', error_description: e.error_description ?? 'this sign-in has expired or is not valid; start again' }));
      }
      return true;
    }
  };
}
