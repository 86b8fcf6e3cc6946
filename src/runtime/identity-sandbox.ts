// The sandbox's identity: the embedded authorization server on 127.0.0.1 (started in the
// background, so stdio answers at once), each configured agent registered with its own secret
// and delegated by the demo user within its capabilities, the exchanger (Mandate's own client)
// obtaining per-tool tokens, and the emulators' and HTTP transport's token verifiers.
import type { Store } from '../store/types.js';
import type { TokenVerifier } from '../sandbox/http.js';
import { RESOURCES, type UpstreamProvider } from '../resources.js';
import { DEMO_AGENT, DEMO_USER } from '../sandbox/index.js';
import type { SecretStore } from '../secrets/index.js';
import type { Config } from '../config/schema.js';
import type { Delegation as AuthzDelegation, DelegationRegistry } from '../authz/index.js';
import {
  brokerTokenStage, clientCredentialsActor, createTokenBroker, fixedSubject, refreshingSubject,
  type ActorSource, type SubjectSource,
} from '../tokens/index.js';
import { decide } from '../policy/decide.js';
import { ancestorsOf } from '../policy/config.js';
import { allTools } from '../../tools/index.js';
import { sharedAuthzState } from '../authz/shared.js';
import { bearerIdentity, recordRefusal, recordRefusedBearer } from './bearer.js';
import { EXCHANGER, LOGIN_REDIRECT, SECRET_ACCOUNTS, delegationScopes, secretFor } from './credentials.js';
import type { IdentityOptions, IdentityRuntime } from './identity.js';

/** Delegations as the authorization server sees them, read from the (shared) store by (user, agent, client); revocations from the store too. */
function storeBackedRegistry(store: Store): DelegationRegistry {
  return {
    async get(user, agent, client) {
      const row = await store.getDelegation(user, agent, client);
      if (!row) return null;
      const scopes: Record<string, string[]> = {};
      for (const s of row.scopes) {
        const at = s.lastIndexOf(' ');
        (scopes[s.slice(0, at)] ??= []).push(s.slice(at + 1));
      }
      const d: AuthzDelegation = { user, agent, client: row.client ?? agent, scopes, status: row.status === 'active' ? 'active' : 'revoked', createdAt: Math.floor(Date.parse(row.updated_at) / 1000) };
      const revoked = await store.isRevoked({ agent, tool: '*', user });
      return revoked?.scope === 'delegation' ? { ...d, status: 'revoked' } : d;
    },
    async put(d) {
      await store.putDelegation({
        user: d.user, agent: d.agent, client: d.client,
        scopes: Object.entries(d.scopes).flatMap(([r, ss]) => ss.map((s) => `${r} ${s}`)),
        status: d.status === 'revoked' ? 'revoked' : 'active',
        updated_at: new Date().toISOString(),
      });
    },
    isJtiRevoked: (jti) => store.isJtiRevoked(jti),
    revokeJti: (jti, exp) => store.revokeJti(jti, exp),
  };
}

/** The sandbox's identity runtime: the embedded authorization server, its agents and the demo user's delegations. */
export async function sandboxIdentity(opts: IdentityOptions, secrets: SecretStore, notices: string[]): Promise<IdentityRuntime> {
  const { logger, store, home, mcpResource } = opts;
  let config = opts.config;

  const registry = storeBackedRegistry(store);
  // On PostgreSQL the authorization server's state is shared by every instance (refuses to start without MANDATE_STORE_KEY).
  const state = sharedAuthzState(store);
  const isJtiRevoked = (jti: string) => store.isJtiRevoked(jti);
  // Mandate's own clients have one secret on every instance (derived from MANDATE_STORE_KEY), kept in the secret store too.
  const secretOf = async (account: string) => {
    if (!state) return secretFor(secrets, account);
    const derived = state.deriveSecret(account);
    if ((await secrets.getPassword(secrets.service, account)) !== derived) await secrets.setPassword(secrets.service, account, derived);
    return derived;
  };

  // The authorization server starts in the background: listing tools needs none of it, so a
  // stdio client has its tools/list answered while oidc-provider is still loading (cold start).
  const started = (async () => {
    const { startAuthorizationServer, sandboxTokenVerifier, createJwtVerifier } = await import('../authz/index.js');
    const authz = await startAuthorizationServer({
      home, port: opts.authzPort ?? config.server?.authzPort ?? 0, mcpResource, registry, logger,
      ...(state ? { state } : {}),
      ...(config.server?.authzPublicUrl ? { issuer: new URL(config.server.authzPublicUrl).origin } : {}),
      exchangerClientId: EXCHANGER,
      // A consent grants at most what the agent's capabilities allow, under the config in force.
      consentScopes: (agent) => delegationScopes(config, agent),
      upstreamAllowed: (q) => upstreamAllowed(config, store, q),
      parentsOf: (agent) => ancestorsOf(config.agents, agent),
      onRefused: (r) => recordRefusal(opts, {
        event: r.event, error: r.error, description: r.description, client: r.client, user: r.subject, agent: r.actor,
        request: { grant_type: r.grantType, resource: r.resource, scope: r.scope },
      }),
    });
    const mandateSecret = await secretOf(SECRET_ACCOUNTS.client(EXCHANGER));
    // Mandate's own client also runs `mandate login` (authorization code + PKCE, loopback redirect).
    await authz.registerClient({
      client_id: EXCHANGER, client_secret: mandateSecret, client_name: 'Mandate',
      redirect_uris: [LOGIN_REDIRECT], application_type: 'native',
    });
    const broker = createTokenBroker({ issuer: authz.issuer, clientId: EXCHANGER, clientSecret: mandateSecret, logger });
    const verifiers = Object.fromEntries(
      (Object.keys(RESOURCES) as UpstreamProvider[]).map((p) => [
        p, sandboxTokenVerifier({ issuer: authz.issuer, jwksUri: authz.jwksUri, audience: RESOURCES[p], isJtiRevoked, issuedTo: EXCHANGER }),
      ]),
    ) as Record<UpstreamProvider, TokenVerifier>;
    const bearer = createJwtVerifier({ issuer: authz.issuer, jwksUri: authz.jwksUri, audience: mcpResource, isJtiRevoked });
    return { authz, broker, verifiers, bearer };
  })();

  // Each agent the sandbox knows: a registered client with its own secret, and the demo
  // user's delegation to it, bounded by the agent's capabilities.
  const agents = new Map<string, Promise<{ subject: SubjectSource; actor: ActorSource }>>();
  const ensureAgent = (agent: string) => {
    let ready = agents.get(agent);
    if (!ready) {
      ready = (async () => {
        const { authz } = await started;
        const issuer = authz.issuer;
        const clientSecret = await secretOf(SECRET_ACCOUNTS.client(agent));
        await authz.registerClient({ client_id: agent, client_secret: clientSecret, client_name: `Agent ${agent}` });
        const { refreshToken } = await authz.provisionDelegation({
          user: DEMO_USER.id, agent, client: agent,
          scopes: delegationScopes(config, agent),
          profile: { name: DEMO_USER.name, email: DEMO_USER.email },
        });
        // Kept so `mandate sandbox token` (another process) can mint tokens from this sandbox.
        await secrets.setPassword(secrets.service, SECRET_ACCOUNTS.delegation(agent), refreshToken);
        const oauth = { issuer, clientId: agent, clientSecret };
        return {
          subject: refreshingSubject({ ...oauth, refreshToken, resource: mcpResource, key: `delegation:${DEMO_USER.id}:${agent}` }),
          actor: clientCredentialsActor({ ...oauth, resource: mcpResource, key: `actor:${agent}` }),
        };
      })();
      ready.catch(() => agents.delete(agent));
      agents.set(agent, ready);
    }
    return ready;
  };

  const tokens = brokerTokenStage(async () => (await started).broker, async (identity) => {
    if (identity.bearer) return { subject: fixedSubject(identity.bearer, `bearer:${identity.sessionId}`) };
    return ensureAgent(identity.agent);
  }, registry);

  const upstreamVerifiers = Object.fromEntries(
    (Object.keys(RESOURCES) as UpstreamProvider[]).map((p) => [
      p, (async (token, scopes) => (await started).verifiers[p](token, scopes)) satisfies TokenVerifier,
    ]),
  ) as Record<UpstreamProvider, TokenVerifier>;

  const runtime: IdentityRuntime = {
    tokens,
    upstreamVerifiers,
    // The delegation is provisioned on the agent's first token, not here.
    stdioIdentity: async (agent, sessionId) => ({ user: DEMO_USER.id, client: agent, agent, actorChain: [agent], sessionId }),
    verifyBearer: async (token, sessionId) => recordRefusedBearer(opts, token, await bearerIdentity((await started).bearer, token, sessionId)),
    issuer: null,
    authz: null,
    ready: started
      .then(async (s) => {
        runtime.issuer = s.authz.issuer;
        runtime.authz = s.authz;
        await Promise.all([DEMO_AGENT, ...Object.keys(config.agents)].map(ensureAgent));
      }),
    applyConfig: async (next) => {
      config = next;
      for (const [agent, ready] of agents) {
        await ready.catch(() => undefined); // one being provisioned right now is updated after
        const scopes = delegationScopes(next, agent);
        const current = await registry.get(DEMO_USER.id, agent);
        // A revoked delegation stays as it is: lifting a revocation is `mandate login`'s business.
        if (!current || current.status !== 'active' || JSON.stringify(current.scopes) === JSON.stringify(scopes)) continue;
        await registry.put({ ...current, scopes });
        // Tokens minted under the old scopes go too (narrowed: they must not outlive the edit).
        await tokens.invalidate(agent);
        logger.info({ event: 'delegation_updated', agent, resources: Object.keys(scopes) }, 'sandbox delegation follows the edited config');
      }
      // Agents the edit names for the first time get their delegation now, not at restart.
      await Promise.all(Object.keys(next.agents).filter((a) => !agents.has(a)).map(ensureAgent));
    },
    secrets,
    notices,
    close: async () => {
      const s = await started.catch(() => null);
      await s?.authz.close();
    },
  };
  runtime.ready.catch((err: unknown) => {
    logger.error({ err: { message: err instanceof Error ? err.message : String(err) } }, 'the embedded authorization server could not start; tool calls will fail with token_unavailable');
  });
  return runtime;
}

/**
 * The agent's capabilities at the authorization server: a per-tool token for these scopes at
 * this API is minted only when some tool that needs exactly them is one the agent may use now
 * (not denied, not refused as read-only, not revoked for this user). Null when it may.
 */
async function upstreamAllowed(config: Config, store: Store, q: { user: string; agent: string; resource: string; scopes: readonly string[] }): Promise<string | null> {
  const tools = allTools.filter((t) => t.provider !== 'mandate' && (t.resource ?? RESOURCES[t.provider]) === q.resource && q.scopes.every((s) => t.scopes.includes(s)));
  if (tools.length === 0) return `no tool of Mandate needs ${q.scopes.join(' ')} at ${q.resource}`;
  let first: string | null = null;
  for (const tool of tools) {
    const revoked = await store.isRevoked({ agent: q.agent, tool: tool.name, user: q.user });
    const ancestorsRevoked = Object.fromEntries(await Promise.all(ancestorsOf(config.agents, q.agent).map(async (a) =>
      [a, (await store.isRevoked({ agent: a, tool: tool.name, user: q.user }))?.scope ?? null] as const)));
    const d = decide({ agents: config.agents, agentId: q.agent, tool, now: new Date(), revoked: revoked?.scope ?? null, ancestorsRevoked });
    if (d.effect !== 'deny') return null;
    first ??= d.reason;
  }
  return `agent ${q.agent} may not use a tool that needs these scopes: ${first}`;
}
