// Identity and tokens for the runtime: the embedded authorization server (or a configured
// one), agent credentials in the secret store, the user's delegations, the per-tool token
// stage, and the verifiers that upstream emulators and the HTTP transport use.
import { randomBytes } from 'node:crypto';
import type { AnyTool } from '../../tools/define.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/types.js';
import { actorChainFrom, type Identity } from '../identity/types.js';
import type { AuditedTokenSource, TokenInfo, TokenStage } from '../pipeline/services.js';
import type { TokenVerifier } from '../sandbox/http.js';
import { RESOURCES, type UpstreamProvider } from '../resources.js';
import { DEMO_AGENT, DEMO_USER } from '../sandbox/index.js';
import { openSecretStore, describeBackend, type SecretStore } from '../secrets/index.js';
import type {
  Delegation as AuthzDelegation, DelegationRegistry, EmbeddedAuthz, JwtVerifier,
} from '../authz/index.js';
import {
  clientCredentialsActor, createTokenBroker, fixedSubject, refreshingSubject,
  type ActorSource, type PerToolRequest, type SubjectSource, type TokenBroker,
} from '../tokens/index.js';
import { oauthClient } from '../tokens/oauth.js';
import { decide } from '../policy/decide.js';
import { ancestorsOf } from '../policy/config.js';
import type { AuditLog } from '../audit/writer.js';
import { refusalInput, type RefusalFacts } from '../audit/events.js';
import { TokenUnavailable } from '../errors.js';
import { allTools } from '../../tools/index.js';

export interface IdentityRuntime {
  tokens: TokenStage;
  upstreamVerifiers: Partial<Record<UpstreamProvider, TokenVerifier>>;
  /** The identity a stdio server acts as, for `--agent`. */
  stdioIdentity(agent: string, sessionId: string): Promise<Identity>;
  /** Verifies an HTTP bearer token for the MCP resource (every HTTP request needs one). */
  verifyBearer: (token: string | undefined, sessionId: string) => Promise<Identity | { error: string; status: 401 | 403 }>;
  /** The authorization server's issuer, for protected resource metadata. */
  issuer: string | null;
  /** The embedded authorization server, in the sandbox (set once it has started). */
  authz: EmbeddedAuthz | null;
  /** Resolves when the authorization server and the agents' delegations are ready. */
  ready: Promise<void>;
  /**
   * A new config is in force. In the sandbox, Mandate provisions the demo user's delegations
   * itself, so each follows the agent's capabilities: widened or narrowed at once, and the
   * agent's cached tokens dropped. A real authorization server's delegations change only with
   * the user's consent (`mandate login`).
   */
  applyConfig(config: Config): Promise<void>;
  secrets: SecretStore;
  notices: string[];
  close(): Promise<void>;
}

export interface IdentityOptions {
  home: string;
  config: Config;
  logger: Logger;
  store: Store;
  /** Where refused attempts (at the authorization server and at `/mcp`) are recorded. */
  audit: AuditLog;
  mcpResource: string;
  authzPort?: number;
}

/** The scope of tokens for the MCP endpoint itself. */
const MCP_SCOPE = 'mandate:tools';

/** Mandate's own client at the embedded authorization server: the only one that obtains upstream tokens. */
export const EXCHANGER = 'mandate';

/** Where `mandate login` receives the authorization code (any loopback port matches). */
export const LOGIN_REDIRECT = 'http://127.0.0.1/callback';

/** Secret store accounts (values never leave the secret store except to the token endpoint). */
export const SECRET_ACCOUNTS = {
  client: (id: string) => `client:${id}`,
  delegation: (agent: string) => `delegation:${agent}`,
} as const;

async function secretFor(secrets: SecretStore, account: string): Promise<string> {
  const existing = await secrets.getPassword(secrets.service, account);
  if (existing) return existing;
  const created = randomBytes(32).toString('base64url');
  await secrets.setPassword(secrets.service, account, created);
  return created;
}

/** The delegation's scopes per API, bounded by what the policy lets the agent do at all. */
export function delegationScopes(config: Config, agent: string, tools: readonly AnyTool[] = allTools): Record<string, string[]> {
  const byResource: Record<string, Set<string>> = {};
  for (const tool of tools) {
    if (tool.provider === 'mandate') continue;
    const d = decide({ agents: config.agents, agentId: agent, tool, now: new Date() });
    if (d.effect === 'deny') continue;
    const set = (byResource[tool.resource ?? RESOURCES[tool.provider]] ??= new Set());
    for (const s of tool.scopes) set.add(s);
  }
  return Object.fromEntries(Object.entries(byResource).map(([r, s]) => [r, [...s].sort()]));
}

/** Delegations as the authorization server sees them: scopes kept in memory, revocations read from the shared store. */
function storeBackedRegistry(store: Store): DelegationRegistry {
  const delegations = new Map<string, AuthzDelegation>();
  const latest = new Map<string, string>();
  const key = (u: string, a: string, c = '') => `${u}\u0000${a}\u0000${c}`;
  return {
    async get(user, agent, client) {
      const d = delegations.get(key(user, agent, client ?? latest.get(key(user, agent))));
      if (!d) return null;
      const revoked = await store.isRevoked({ agent, tool: '*', user });
      return revoked?.scope === 'delegation' ? { ...d, status: 'revoked' } : d;
    },
    async put(d) {
      delegations.set(key(d.user, d.agent, d.client), d);
      latest.set(key(d.user, d.agent), d.client);
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

export async function startIdentity(opts: IdentityOptions): Promise<IdentityRuntime> {
  const { logger, store, home, mcpResource } = opts;
  let config = opts.config;
  const secrets = await openSecretStore({ home, logger });
  const notices = [describeBackend(secrets)];
  if (config.authorizationServer) return configuredIdentity(opts, secrets, notices);

  const registry = storeBackedRegistry(store);
  const isJtiRevoked = (jti: string) => store.isJtiRevoked(jti);

  // The authorization server starts in the background: listing tools needs none of it, so a
  // stdio client has its tools/list answered while oidc-provider is still loading (cold start).
  const started = (async () => {
    const { startAuthorizationServer, sandboxTokenVerifier, createJwtVerifier } = await import('../authz/index.js');
    const authz = await startAuthorizationServer({
      home, port: opts.authzPort ?? 0, mcpResource, registry, logger,
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
    const mandateSecret = await secretFor(secrets, SECRET_ACCOUNTS.client(EXCHANGER));
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
        const clientSecret = await secretFor(secrets, SECRET_ACCOUNTS.client(agent));
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

/** A refused bearer: its status, the words for the client, and what the audit record says of the token. */
type BearerRefusal = { error: string; status: 401 | 403; claims?: Record<string, unknown> };

/**
 * Checks an HTTP bearer token for this MCP resource and reads the caller's identity from it.
 * Every session is a user's: the token's subject is a user (not the client itself, as in a
 * client-credentials token), and its actor, when it names one, is the presenting client.
 */
async function bearerIdentity(verify: JwtVerifier | null, token: string | undefined, sessionId: string): Promise<Identity | BearerRefusal> {
  if (!token || !verify) return { status: 401, error: 'a bearer token is required' };
  const r = await verify(token);
  if (!r.ok) {
    const why = { missing: 'a bearer token is required', expired: 'the token has expired', wrong_audience: 'the token was not issued for this server', revoked: 'the token was revoked', invalid: 'the token is not valid' } as const;
    return { status: 401, error: why[r.reason as keyof typeof why] ?? 'the token is not valid' };
  }
  const claims = r.claims as Record<string, unknown>;
  const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ') : [];
  if (!scopes.includes(MCP_SCOPE)) return { status: 403, error: `the token lacks the ${MCP_SCOPE} scope`, claims };
  const presenter = String(claims.client_id ?? claims.azp ?? '');
  const client = String(claims.azp ?? claims.client_id ?? '');
  if (!presenter || claims.sub === presenter || claims.sub === client) {
    return { status: 401, error: 'the token names no user: an MCP session acts for a user who delegated to this client', claims };
  }
  const chain = actorChainFrom(claims);
  if (chain.length > 0 && chain[0] !== presenter) {
    return { status: 401, error: 'the token names another actor than the client presenting it', claims };
  }
  const agent = chain[0] ?? client;
  return { user: String(claims.sub), client, agent, actorChain: chain.length ? chain : [agent], sessionId, bearer: token };
}

/** A presented bearer that was refused goes on the record (a missing one is the usual first step of OAuth, not an attempt). */
function recordRefusedBearer(opts: IdentityOptions, token: string | undefined, r: Identity | BearerRefusal): Identity | BearerRefusal {
  if (!token || !('error' in r)) return r;
  const c = r.claims ?? {};
  const text = (v: unknown) => (typeof v === 'string' ? v : null);
  recordRefusal(opts, {
    event: 'bearer_refused',
    error: r.status === 403 ? 'insufficient_scope' : 'invalid_token',
    description: r.error,
    client: text(c.client_id) ?? text(c.azp),
    user: text(c.sub),
    agent: actorChainFrom(c)[0] ?? null,
    request: { resource: opts.mcpResource, scope: text(c.scope) },
  });
  return r;
}

/** Writes one refused attempt to the audit chain; a failure to write is logged (by the AuditLog), never thrown at the refused caller. */
function recordRefusal(opts: IdentityOptions, r: RefusalFacts): void {
  opts.audit.record(refusalInput(r)).catch(() => undefined);
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

/** The per-tool token stage over a broker; `sources` gives the subject (and actor) of an identity. */
function brokerTokenStage(
  getBroker: () => Promise<TokenBroker>,
  sources: (identity: Identity) => Promise<{ subject: SubjectSource; actor?: ActorSource }>,
  registry: Pick<DelegationRegistry, 'revokeJti'>,
): TokenStage {
  let ready: TokenBroker | undefined; // for stats(), once the broker is up
  const broker = () =>
    getBroker().then((b) => (ready = b)).catch((err: unknown) => {
      throw new TokenUnavailable('The authorization server is not available.', { detail: err instanceof Error ? err.message : String(err) });
    });
  return {
    sourceFor(identity, tool, signal, call): AuditedTokenSource {
      let info: TokenInfo | null = null;
      const request = async (): Promise<PerToolRequest> => {
        if (!tool.resource) throw new TokenUnavailable('Mandate\'s own tools need no upstream token.');
        const { subject, actor } = await sources(identity);
        return { user: identity.user, agent: identity.agent, resource: tool.resource, scopes: tool.scopes, subject, actor, signal, ...(call?.taskId ? { taskId: call.taskId } : {}) };
      };
      const take = (r: { token: string; info: TokenInfo }) => { info = r.info; return r.token; };
      return {
        token: async () => take(await (await broker()).perToolToken(await request())),
        refresh: async () => take(await (await broker()).fresh(await request())),
        info: () => info,
      };
    },
    async invalidate(agent, tool) {
      const resource = tool?.resource ?? undefined;
      const dropped = (await broker()).invalidate({ agent, resource });
      // Dropped tokens are also denylisted: every verifier refuses them until they expire.
      const exp = Math.floor(Date.now() / 1000) + 3600;
      await Promise.all(dropped.map((jti) => registry.revokeJti(jti, exp)));
    },
    stats: () => ready?.stats() ?? { exchanges: 0, hits: 0 },
  };
}

/** A real authorization server from the config: agent credentials and delegations come from `mandate login`. */
async function configuredIdentity(opts: IdentityOptions, secrets: SecretStore, notices: string[]): Promise<IdentityRuntime> {
  const as = opts.config.authorizationServer!;
  const clientSecret = await secrets.getPassword(secrets.service, SECRET_ACCOUNTS.client(as.clientId));
  if (!clientSecret) throw new TokenUnavailable(`no client secret for ${as.clientId} in the secret store: run "mandate agents register ${as.clientId}"`);
  const broker = createTokenBroker({ issuer: as.issuer, clientId: as.clientId, clientSecret, logger: opts.logger });
  const tokens = brokerTokenStage(async () => broker, async (identity) => {
    if (identity.bearer) return { subject: fixedSubject(identity.bearer, `bearer:${identity.sessionId}`) };
    // `mandate login` kept the delegation's refresh token, issued to Mandate's client with the
    // agent named as requested actor; the subject token it yields already carries `act`.
    const refreshToken = await secrets.getPassword(secrets.service, SECRET_ACCOUNTS.delegation(identity.agent));
    if (!refreshToken) throw new TokenUnavailable(`no delegation to agent ${identity.agent}: run "mandate login --agent ${identity.agent}"`);
    return {
      subject: refreshingSubject({
        issuer: as.issuer, clientId: as.clientId, clientSecret, refreshToken,
        onRotate: (t) => secrets.setPassword(secrets.service, SECRET_ACCOUNTS.delegation(identity.agent), t),
        key: `delegation:${identity.agent}`,
      }),
    };
  }, { revokeJti: (jti, exp) => opts.store.revokeJti(jti, exp) });
  // HTTP clients present tokens from this authorization server, for this MCP resource: checked
  // against the keys its metadata names (discovered once, on the first bearer token).
  const discovery = oauthClient({ issuer: as.issuer, clientId: as.clientId, clientSecret });
  let verifier: Promise<JwtVerifier> | undefined;
  const bearerVerifier = () => {
    verifier ??= (async () => {
      const [{ createJwtVerifier }, config] = await Promise.all([import('../authz/verify.js'), discovery.config()]);
      const jwksUri = config.serverMetadata().jwks_uri;
      if (!jwksUri) throw new Error(`${as.issuer} publishes no jwks_uri in its metadata`);
      return createJwtVerifier({ issuer: as.issuer, jwksUri, audience: opts.mcpResource, isJtiRevoked: (jti) => opts.store.isJtiRevoked(jti) });
    })();
    verifier.catch(() => { verifier = undefined; }); // try again on the next request
    return verifier;
  };
  return {
    tokens,
    upstreamVerifiers: {},
    stdioIdentity: async (agent, sessionId) => {
      const d = await opts.store.listDelegations();
      const mine = d.find((x) => x.agent === agent && x.status === 'active');
      if (!mine) throw new TokenUnavailable(`no delegation to agent ${agent}: run "mandate login --agent ${agent}"`);
      return { user: mine.user, client: mine.client ?? agent, agent, actorChain: [agent], sessionId };
    },
    applyConfig: async () => undefined,
    verifyBearer: async (token, sessionId) => {
      if (!token) return bearerIdentity(null, token, sessionId);
      let verify: JwtVerifier;
      try {
        verify = await bearerVerifier();
      } catch (err) {
        // Fail closed: without the issuer's keys no token can be trusted.
        opts.logger.warn({ err: { message: err instanceof Error ? err.message : String(err) } }, 'could not discover the authorization server\'s keys to check a bearer token');
        return { status: 401, error: 'the token could not be checked: the authorization server is not reachable' };
      }
      return recordRefusedBearer(opts, token, await bearerIdentity(verify, token, sessionId));
    },
    issuer: as.issuer,
    authz: null,
    ready: Promise.resolve(),
    secrets,
    notices,
    close: async () => undefined,
  };
}
