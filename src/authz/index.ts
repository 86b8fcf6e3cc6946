// The embedded authorization server: oidc-provider on 127.0.0.1 with the token-exchange
// grant, our sign-in and consent pages in front of it, and the sandbox's way to provision a
// delegation without a browser. On SQLite, oidc-provider's own models (clients registered at
// run time, grants, refresh tokens, sessions) are kept in memory for the life of the process
// (adapter.ts) and the signing keys in the state dir (keys.ts). Given the shared store's role
// (`state`, PostgreSQL), models, signing keys and cookie keys live there (adapter-shared.ts,
// keys-shared.ts) and `issuer` names the one public URL of every instance, so any instance
// serves any OAuth step and a restart logs nobody out. Delegations live in the registry.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type Provider from 'oidc-provider';
import type { ClientMetadata, KoaContextWithOIDC } from 'oidc-provider';
import { silentLogger, type Logger } from '../log.js';
import { PROVIDER_SCOPES, RESOURCES, type UpstreamProvider } from '../resources.js';
import { createMemoryAdapterFactory } from './adapter.js';
import { createSharedAdapterFactory } from './adapter-shared.js';
import { grantActors, userDirectory } from './directory.js';
import { loadSharedKeyRing } from './keys-shared.js';
import { STORE_KEY_REQUIRED } from './shared.js';
import type { AuthzStateStore } from '../store/postgres/authz.js';
import { DEMO_USER, MCP_SCOPE, providerConfiguration, type UserProfile } from './config.js';
import type { Delegation, DelegationRegistry } from './delegations.js';
import { EXCHANGE_DUPES, EXCHANGE_PARAMS, TOKEN_EXCHANGE_GRANT, tokenExchangeHandler, type ExchangeAttempt, type ExchangeDeps } from './exchange.js';
import { hostAllowed, loopbackHosts } from '../hosts.js';
import { interactionHandler } from './interactions.js';
import { loadKeyRing, type PublicJwks } from './keys.js';
import { loadOidcProvider } from './load.js';
import { resolveTarget } from './targets.js';
import { createJwtVerifier, type JwtVerifier } from './verify.js';

export { createMemoryDelegationRegistry, type Delegation, type DelegationRegistry, type DelegationStatus } from './delegations.js';
export { createJwtVerifier, sandboxTokenVerifier, type AccessTokenClaims, type ActClaim, type JwtVerification, type JwtVerifierOptions, type JwtVerifier } from './verify.js';
export { ACCESS_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT } from './exchange.js';
export { DEMO_USER, MCP_SCOPE, type UserProfile } from './config.js';
export type { PublicJwks } from './keys.js';

/** How to start the embedded authorization server. */
export interface AuthzOptions {
  /** The state directory (`MANDATE_HOME`); keys go to `<home>/keys/authz-jwks.json`. */
  home: string;
  /** Port on 127.0.0.1; 0 or absent picks a free one. */
  port?: number;
  host?: '127.0.0.1';
  /** Resource identifier of the Mandate MCP endpoint, e.g. `http://127.0.0.1:8787/mcp`. */
  mcpResource: string;
  registry: DelegationRegistry;
  /** Lifetime of per-tool tokens (default 300 s, at most 3600 s). */
  perToolTtlSeconds?: number;
  /** Lifetime of access tokens for the MCP resource: subject and actor tokens (default 900 s). */
  mcpTokenTtlSeconds?: number;
  /** What a consent grants when the request names no upstream scope (default: every scope of every API). */
  defaultDelegationScopes?: Record<string, readonly string[]>;
  /**
   * The most a consent may grant `agent`, per API: its capabilities (a read-only agent gets no
   * write scope, a denied tool none). Default: `defaultDelegationScopes`.
   */
  consentScopes?: (agent: string) => Record<string, readonly string[]>;
  /** The one client that may obtain tokens for upstream APIs (default `mandate`). */
  exchangerClientId?: string;
  /** The agent's current capabilities, checked at each upstream exchange (see `ExchangeDeps.upstreamAllowed`). */
  upstreamAllowed?: ExchangeDeps['upstreamAllowed'];
  /** An agent's parent agents (see `ExchangeDeps.parentsOf`). */
  parentsOf?: ExchangeDeps['parentsOf'];
  /** Told of every refused token request, registration, sign-in or consent (for the audit trail). */
  onRefused?: (attempt: RefusedAttempt) => void;
  /** Host names this server answers to besides loopback (e.g. its public URL's host). */
  allowedHosts?: string[];
  /**
   * The authorization server's state shared by every instance (the PostgreSQL store's role):
   * models, signing keys and cookie keys are kept there instead of in memory and `<home>/keys`.
   * It must be sealed (`MANDATE_STORE_KEY`).
   */
  state?: AuthzStateStore;
  /**
   * The issuer every instance shares: the public URL (an origin) a load balancer serves this
   * server at, routing to any instance's port. Default `http://127.0.0.1:<port>`.
   */
  issuer?: string;
  logger?: Logger;
}

/** A refused attempt at the authorization server, as the audit trail records it. */
export interface RefusedAttempt {
  /** `exchange_refused` (token exchange), `token_refused` (other grants), `registration_refused`, `authorization_refused`. */
  event: 'exchange_refused' | 'token_refused' | 'registration_refused' | 'authorization_refused';
  /** The OAuth error code (RFC 6749 / 8693 / 7591). */
  error: string;
  description: string | null;
  /** The authenticated client, or the client id it claimed. */
  client: string | null;
  /** The user the request was about, once known. */
  subject: string | null;
  /** The agent named as actor, once known. */
  actor: string | null;
  grantType: string | null;
  resource: string | null;
  scope: string | null;
}

/** A confidential client (an agent, or Mandate itself) registered by the operator. */
export interface ClientRegistration {
  client_id: string;
  client_secret: string;
  client_name?: string;
  /** Loopback redirect URIs; giving any enables the authorization code flow for this client. */
  redirect_uris?: string[];
  /** Default: client_credentials, refresh_token, token exchange (+ authorization_code with redirect_uris). */
  grant_types?: string[];
  token_endpoint_auth_method?: 'client_secret_basic' | 'client_secret_post';
  /** `native` lets a loopback redirect URI match on any port (RFC 8252 §7.3), as a CLI needs. */
  application_type?: 'web' | 'native';
}

/** A delegation provisioned without a browser (the sandbox's demo delegations, tests). */
export interface ProvisionRequest {
  user: string;
  agent: string;
  /** The client the refresh token is issued to (default: the agent itself). */
  client?: string;
  /** Granted scopes per upstream resource identifier. */
  scopes: Record<string, readonly string[]>;
  /** Display data for a user the server does not know yet. */
  profile?: Omit<UserProfile, 'sub'>;
}

/** A running embedded authorization server. */
export interface EmbeddedAuthz {
  readonly issuer: string;
  readonly jwksUri: string;
  readonly mcpResource: string;
  /** Registers or replaces a confidential client. */
  registerClient(c: ClientRegistration): Promise<void>;
  /** Records the delegation and returns a refresh token the client can use with the standard refresh_token grant. */
  provisionDelegation(p: ProvisionRequest): Promise<{ refreshToken: string; grantId: string }>;
  /** Adds a new current signing key; the previous ones stay published so tokens in flight verify. */
  rotateKeys(): Promise<void>;
  publicJwks(): PublicJwks;
  close(): Promise<void>;
}

const ALL_SCOPES: Record<string, readonly string[]> = Object.fromEntries(
  (Object.keys(RESOURCES) as UpstreamProvider[]).map((p) => [RESOURCES[p], PROVIDER_SCOPES[p]]),
);

function checkOptions(opts: AuthzOptions): void {
  if (!URL.canParse(opts.mcpResource) || opts.mcpResource.includes('#')) {
    throw new Error('mcpResource must be an absolute URI without a fragment');
  }
  const ttl = opts.perToolTtlSeconds;
  if (ttl !== undefined && (!Number.isInteger(ttl) || ttl < 1 || ttl > 3600)) {
    throw new Error('perToolTtlSeconds must be an integer from 1 to 3600');
  }
  const mcpTtl = opts.mcpTokenTtlSeconds;
  if (mcpTtl !== undefined && (!Number.isInteger(mcpTtl) || mcpTtl < 1 || mcpTtl > 24 * 3600)) {
    throw new Error('mcpTokenTtlSeconds must be an integer from 1 to 86400');
  }
  if (opts.host !== undefined && opts.host !== '127.0.0.1') throw new Error('host must be 127.0.0.1');
  if (opts.issuer !== undefined) {
    const u = URL.parse(opts.issuer);
    if (!u || !/^https?:$/.test(u.protocol) || u.pathname !== '/' || u.search || u.hash || opts.issuer.endsWith('/')) {
      throw new Error('issuer must be an http(s) origin without a path or a trailing slash, e.g. https://auth.example.com');
    }
  }
  if (opts.state && !opts.state.sealed) {
    throw new Error(STORE_KEY_REQUIRED);
  }
}

/** How long a superseded signing key stays published: the longest lifetime of a token it may have signed, plus clock skew. */
function keyRetainSeconds(opts: AuthzOptions): number {
  return Math.max(opts.mcpTokenTtlSeconds ?? 900, opts.perToolTtlSeconds ?? 300, 600) + 300;
}

/** How often an instance looks for a signing key another instance made (besides on an unknown `kid`). */
const KEY_REFRESH_MS = 30_000;

/** Checks a delegation's scopes: known APIs only, and only their scopes. */
function checkScopes(scopes: Record<string, readonly string[]>): void {
  for (const [resource, list] of Object.entries(scopes)) {
    const t = resolveTarget(resource);
    if (!t.ok) throw new Error(`scopes: ${resource}: ${t.reason}`);
    const unknown = list.filter((s) => !t.scopes.includes(s));
    if (unknown.length) throw new Error(`scopes: ${resource}: unknown scope ${unknown.join(' ')}`);
  }
}

/** Starts the embedded authorization server on 127.0.0.1. */
export async function startAuthorizationServer(opts: AuthzOptions): Promise<EmbeddedAuthz> {
  checkOptions(opts);
  const logger = opts.logger ?? silentLogger();
  const oidc = await loadOidcProvider(logger);
  const { state } = opts;
  const keyring = state ? await loadSharedKeyRing(state, { retainSeconds: keyRetainSeconds(opts) }) : await loadKeyRing(opts.home);
  const adapter = state ? createSharedAdapterFactory(state) : createMemoryAdapterFactory();
  // Cookies (the sign-in session, an interaction in progress) must open on every instance.
  const cookieKeys = state
    ? (JSON.parse((await state.getSecret('cookie_keys')) ?? (await state.putSecret('cookie_keys', JSON.stringify([randomBytes(32).toString('base64url')]), { onlyIfMissing: true }))) as string[])
    : [randomBytes(32).toString('base64url')];
  const users = userDirectory(adapter, [DEMO_USER]);
  const actorsByGrant = grantActors(adapter);
  const defaultScopes = opts.defaultDelegationScopes ?? ALL_SCOPES;
  checkScopes(defaultScopes);
  const { mcpResource, registry } = opts;
  const exchangerClientId = opts.exchangerClientId ?? 'mandate';
  const onRefused = opts.onRefused ?? (() => undefined);

  const sockets = new Set<Socket>();
  let provider: Provider | undefined;
  let callback: ((req: http.IncomingMessage, res: http.ServerResponse) => void) | undefined;
  let verifier: JwtVerifier | undefined;

  const interactions = interactionHandler({
    provider: () => provider!,
    users,
    signInUser: DEMO_USER,
    registry,
    actorsByGrant,
    mcpResource,
    consentScopes: opts.consentScopes ?? (() => defaultScopes),
    exchangerClientId,
    onRefused,
    logger,
  });

  let hosts = new Set<string>();
  let origin = '';
  /**
   * An authorization request without `scope` asks for the MCP resource's one scope (RFC 6749
   * §3.3: a pre-defined default), as clients that follow only the protected resource
   * metadata (the conformance suite's, some MCP clients) send none.
   */
  const defaultScope = (req: http.IncomingMessage) => {
    if (req.method !== 'GET' || !req.url?.startsWith('/auth?')) return;
    const url = new URL(req.url, 'http://authz.invalid');
    if (url.searchParams.has('scope')) return;
    url.searchParams.set('scope', MCP_SCOPE);
    req.url = `${url.pathname}${url.search}`;
  };
  const server = http.createServer((req, res) => {
    // DNS rebinding: a page on another name that resolves here must not reach sign-in or consent.
    // A consent is posted by its own page only (a loopback page elsewhere cannot submit one).
    const crossSiteForm = req.method === 'POST' && req.url?.startsWith('/interaction/') && req.headers.origin !== undefined && req.headers.origin !== origin;
    const refusal = hostAllowed(req, hosts) ?? (crossSiteForm ? 'a sign-in or consent is submitted from its own page only' : null);
    if (refusal) {
      res.writeHead(403, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify({ error: 'access_denied', error_description: refusal }));
      return;
    }
    defaultScope(req);
    // The published keys are read again first, so a key another instance just made is there.
    (req.method === 'GET' && req.url === '/jwks' ? refreshKeys() : Promise.resolve(false))
      .then(() => interactions(req, res))
      .then((handled) => {
        if (!handled) callback!(req, res);
      })
      .catch((err: unknown) => {
        logger.error({ err }, 'authorization server request failed');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"server_error"}');
      });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const local = `http://127.0.0.1:${port}`;
  const issuer = opts.issuer ?? local;
  origin = issuer;
  hosts = new Set([...loopbackHosts(port), ...(opts.allowedHosts ?? []), ...(opts.issuer ? [new URL(opts.issuer).host.toLowerCase()] : [])]);

  // Builds (or, after key rotation, rebuilds) the provider over the same store.
  const build = () => {
    const p = new oidc.Provider(
      issuer,
      providerConfiguration({
        oidc,
        adapter,
        jwks: keyring.privateJwks(),
        cookieKeys,
        mcpResource,
        mcpTokenTtlSeconds: opts.mcpTokenTtlSeconds ?? 900,
        users,
        actorsByGrant,
        registry,
        exchangerClientId,
        logger,
      }),
    );
    p.registerGrantType(
      TOKEN_EXCHANGE_GRANT,
      tokenExchangeHandler({
        issuer,
        mcpResource,
        registry,
        ttlSeconds: opts.perToolTtlSeconds ?? 300,
        exchangerClientId,
        ...(opts.upstreamAllowed ? { upstreamAllowed: opts.upstreamAllowed } : {}),
        ...(opts.parentsOf ? { parentsOf: opts.parentsOf } : {}),
        verifier: () => verifier!,
        signingKey: () => keyring.current(),
        errors: oidc.errors,
        logger,
      }),
      EXCHANGE_PARAMS,
      EXCHANGE_DUPES,
    );
    p.on('server_error', (_ctx, err) => logger.error({ err }, 'authorization server error'));
    // Every refusal is told once, with who asked and for what, so an attempted bypass is attributable.
    const refused = (event: RefusedAttempt['event'] | null) => (ctx: KoaContextWithOIDC, err: unknown) => {
      const e = err as { error?: string; error_description?: string };
      const params = (ctx.oidc?.params ?? {}) as Record<string, unknown>;
      const body = (ctx.oidc?.body ?? {}) as Record<string, unknown>;
      const grantType = typeof params.grant_type === 'string' ? params.grant_type : null;
      const attempt = ((ctx.state as { exchange?: ExchangeAttempt } | undefined)?.exchange) ?? {};
      const text = (v: unknown) => (typeof v === 'string' ? v : Array.isArray(v) ? v.join(' ') : null);
      const claimed = ctx.oidc?.client?.clientId ?? text(params.client_id) ?? text(body.client_name);
      const r: RefusedAttempt = {
        event: event ?? (grantType === TOKEN_EXCHANGE_GRANT ? 'exchange_refused' : 'token_refused'),
        error: e.error ?? 'invalid_request',
        description: e.error_description ?? null,
        client: claimed,
        subject: attempt.user ?? null,
        actor: attempt.actor ?? (event === 'authorization_refused' ? text(params.requested_actor) : null),
        grantType: event === 'registration_refused' ? text(body.grant_types) : grantType,
        resource: text(params.resource) ?? text(params.audience),
        scope: text(params.scope) ?? text(body.scope),
      };
      logger.info({ event: r.event, error: r.error, client: r.client, user: r.subject, agent: r.actor, grant_type: r.grantType, aud: r.resource, scope: r.scope }, 'authorization server refused a request');
      onRefused(r);
    };
    p.on('grant.error', refused(null));
    p.on('registration_create.error', refused('registration_refused'));
    p.on('authorization.error', refused('authorization_refused'));
    const verify = createJwtVerifier({
      issuer,
      jwks: keyring.publicJwks(),
      audience: mcpResource,
      isJtiRevoked: (jti) => registry.isJtiRevoked(jti),
    });
    // A token signed with a key another instance made since: read the keys again, then retry once.
    verifier = async (token) => {
      const r = await verify(token);
      if (r.ok || r.reason !== 'invalid' || !(await refreshKeys())) return r;
      return verifier!(token);
    };
    provider = p;
    callback = p.callback();
  };
  build();

  // Where keys are shared, another instance may rotate: read them again now and then, at most once a second.
  let lastRefresh = 0;
  let refreshing: Promise<boolean> | null = null;
  const refreshKeys = (): Promise<boolean> => {
    if (!state) return Promise.resolve(false);
    if (refreshing) return refreshing;
    if (Date.now() - lastRefresh < 1000) return Promise.resolve(false);
    lastRefresh = Date.now();
    refreshing = keyring.refresh()
      .then((changed) => {
        if (changed) {
          build();
          logger.info({ kid: keyring.publicJwks().keys[0]?.kid }, 'signing keys changed in the store (another instance rotated)');
        }
        return changed;
      })
      .catch((err: unknown) => {
        logger.warn({ err: { message: err instanceof Error ? err.message : String(err) } }, 'could not read the signing keys from the store');
        return false;
      })
      .finally(() => { refreshing = null; });
    return refreshing;
  };
  const refreshTimer = state ? setInterval(() => void refreshKeys(), KEY_REFRESH_MS) : null;
  refreshTimer?.unref();

  const clients = adapter('Client');
  const findClient = async (id: string) => {
    const c = await provider!.Client.find(id);
    if (!c) throw new Error(`client ${id} is not registered`);
    return c;
  };

  logger.info({ issuer }, 'embedded authorization server started');

  return {
    issuer,
    // This instance's own copy of the keys (the same on every instance), not through the load balancer.
    jwksUri: `${local}/jwks`,
    mcpResource,

    async registerClient(c) {
      if (!c.client_id || !c.client_secret) throw new Error('registerClient: client_id and client_secret are required');
      const redirectUris = c.redirect_uris ?? [];
      const grantTypes = c.grant_types ?? [
        'client_credentials',
        'refresh_token',
        TOKEN_EXCHANGE_GRANT,
        ...(redirectUris.length ? ['authorization_code'] : []),
      ];
      const metadata: ClientMetadata = {
        client_id: c.client_id,
        client_secret: c.client_secret,
        ...(c.client_name ? { client_name: c.client_name } : {}),
        grant_types: grantTypes,
        redirect_uris: redirectUris,
        response_types: grantTypes.includes('authorization_code') ? ['code'] : [],
        token_endpoint_auth_method: c.token_endpoint_auth_method ?? 'client_secret_basic',
        ...(c.application_type ? { application_type: c.application_type } : {}),
      };
      await clients.upsert(c.client_id, metadata as Parameters<typeof clients.upsert>[1]);
      try {
        await findClient(c.client_id);
      } catch (err) {
        await clients.destroy(c.client_id);
        const e = err as { error_description?: string; message?: string };
        throw new Error(`registerClient ${c.client_id}: ${e.error_description ?? e.message}`);
      }
    },

    async provisionDelegation(p) {
      checkScopes(p.scopes);
      const clientId = p.client ?? p.agent;
      const client = await findClient(clientId);
      await findClient(p.agent);
      if (!client.grantTypeAllowed('refresh_token')) throw new Error(`client ${clientId} may not use refresh tokens`);
      if (!(await users.get(p.user))) await users.put({ sub: p.user, name: p.profile?.name ?? p.user, ...(p.profile?.email ? { email: p.profile.email } : {}) });
      const P = provider!;
      const grant = new P.Grant({ accountId: p.user, clientId });
      grant.addOIDCScope('offline_access');
      grant.addResourceScope(mcpResource, MCP_SCOPE);
      const grantId = await grant.save();
      if (p.agent !== clientId) await actorsByGrant.set(grantId, p.agent);
      const rt = new P.RefreshToken({
        client,
        accountId: p.user,
        grantId,
        gty: 'authorization_code',
        scope: `offline_access ${MCP_SCOPE}`,
        resource: mcpResource,
        expiresWithSession: false,
      });
      const refreshToken = await rt.save();
      const delegation: Delegation = {
        user: p.user,
        agent: p.agent,
        client: clientId,
        scopes: Object.fromEntries(Object.entries(p.scopes).map(([r, s]) => [r, [...s]])),
        status: 'active',
        createdAt: Math.floor(Date.now() / 1000),
      };
      await registry.put(delegation);
      logger.info({ event: 'delegation_provisioned', user: p.user, agent: p.agent, client: clientId, resources: Object.keys(p.scopes) }, 'delegation provisioned');
      return { refreshToken, grantId };
    },

    async rotateKeys() {
      await keyring.rotate();
      build();
      logger.info({ kid: keyring.publicJwks().keys[0]?.kid }, 'signing key rotated');
    },

    publicJwks: () => keyring.publicJwks(),

    close: () =>
      new Promise<void>((resolve) => {
        if (refreshTimer) clearInterval(refreshTimer);
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
