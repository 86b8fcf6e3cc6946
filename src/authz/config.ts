// The embedded server's oidc-provider configuration, in one place: JWT access tokens only for
// the Mandate MCP resource (upstream APIs get tokens only through the exchange grant), PKCE
// required, client credentials, refresh tokens, introspection, revocation and open dynamic
// registration (for the MCP Inspector) and Client ID Metadata Documents, our own sign-in and consent pages, and every
// development default replaced so oidc-provider prints nothing at run time.
import type { Account, AdapterFactory, Configuration, Grant, KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from '../log.js';
import type { DelegationRegistry } from './delegations.js';
import type { GrantActors, UserDirectory } from './directory.js';
import { SIGNING_ALG } from './keys.js';
import { errorPage } from './pages.js';
import { PROVIDER_SCOPES } from '../resources.js';
import { isLoopbackOrigin } from '../hosts.js';

type OidcModule = typeof import('oidc-provider');

/** The one scope of the Mandate MCP resource. */
export const MCP_SCOPE = 'mandate:tools';

/** A person who can sign in (the sandbox knows the demo user and provisioned users). */
export interface UserProfile {
  sub: string;
  name: string;
  email?: string;
}

/** The sandbox's demo user. */
export const DEMO_USER: UserProfile = { sub: 'demo-user', name: 'Dana Demo', email: 'dana@example.com' };

/** What the configuration needs from the running server. */
export interface ConfigSetup {
  oidc: OidcModule;
  adapter: AdapterFactory;
  jwks: { keys: object[] };
  cookieKeys: string[];
  mcpResource: string;
  /** Lifetime of access tokens for the MCP resource (subject and actor tokens). */
  mcpTokenTtlSeconds: number;
  users: UserDirectory;
  /** The agent each grant names when it is not the client itself (the consent's requested_actor). */
  actorsByGrant: GrantActors;
  registry: DelegationRegistry;
  /** Mandate's own client: the only one that may name another agent as `requested_actor`. */
  exchangerClientId: string;
  logger: Logger;
}

/** What a client registered at run time (dynamic registration) may use: sign-in and refresh, for the MCP resource. */
export const DYNAMIC_CLIENT_GRANTS = ['authorization_code', 'refresh_token'] as const;


/**
 * Reuses the session's earlier grant for this client only when it names the same agent and
 * that delegation is still active; otherwise the user is asked again (a new consent).
 */
function loadExistingGrant(setup: ConfigSetup) {
  return async (ctx: KoaContextWithOIDC): Promise<Grant | undefined> => {
    const { oidc } = ctx;
    const provider = oidc.provider;
    const justGiven = oidc.result?.consent?.grantId;
    if (justGiven) return provider.Grant.find(justGiven);
    const clientId = oidc.client!.clientId;
    const grantId = oidc.session?.grantIdFor(clientId);
    if (!grantId) return undefined;
    const agent = requestedAgent(ctx);
    if (((await setup.actorsByGrant.get(grantId)) ?? clientId) !== agent) return undefined;
    const d = oidc.session?.accountId ? await setup.registry.get(oidc.session.accountId, agent, clientId) : null;
    if (!d || d.status !== 'active' || d.client !== clientId) return undefined;
    return provider.Grant.find(grantId);
  };
}

/** The agent an authorization request names: `requested_actor`, else the client itself. */
export function requestedAgent(ctx: KoaContextWithOIDC): string {
  const requested = ctx.oidc.params?.requested_actor;
  return typeof requested === 'string' && requested ? requested : ctx.oidc.client!.clientId;
}

/** Builds the provider configuration. */
export function providerConfiguration(setup: ConfigSetup): Configuration {
  const { oidc, mcpResource } = setup;
  const policy = oidc.interactionPolicy.base();
  // Consent is asked again whenever the named agent has no active delegation from this user.
  policy.get('consent')!.checks.add(
    new oidc.interactionPolicy.Check('delegation_missing', 'the agent has no active delegation from this user', async (ctx) => {
      const { oidc: o } = ctx;
      if (o.result?.consent || !o.session?.accountId) return false;
      const d = await setup.registry.get(o.session.accountId, requestedAgent(ctx), o.client!.clientId);
      return !d || d.status !== 'active';
    }),
  );

  const findAccount = async (_ctx: KoaContextWithOIDC, sub: string): Promise<Account | undefined> => {
    const user = await setup.users.get(sub);
    if (!user) return undefined;
    return {
      accountId: sub,
      claims: () => ({ sub, name: user.name, ...(user.email ? { email: user.email } : {}) }),
    };
  };

  return {
    adapter: setup.adapter,
    jwks: setup.jwks as Configuration['jwks'],
    clients: [],
    cookies: {
      keys: setup.cookieKeys,
      long: { httpOnly: true, sameSite: 'lax' },
      short: { httpOnly: true, sameSite: 'lax' },
    },
    claims: { openid: ['sub'], profile: ['name'], email: ['email'] },
    // Advertised and accepted in client registrations (MCP clients register with the scope the
    // resource's challenge names); each is still granted per resource.
    scopes: ['openid', 'offline_access', 'profile', 'email', MCP_SCOPE, ...new Set(Object.values(PROVIDER_SCOPES).flat())],
    clientDefaults: {
      grant_types: ['authorization_code'],
      id_token_signed_response_alg: SIGNING_ALG,
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    clientBasedCORS: (_ctx, origin) => isLoopbackOrigin(origin),
    extraParams: {
      // A client consents for itself; only Mandate's own client (the operator's `mandate login`)
      // asks the user to delegate to another, named agent.
      requested_actor: (_ctx, value, client) => {
        if (value === undefined || value === '' || !client || value === client.clientId) return;
        if (client.clientId !== setup.exchangerClientId) {
          throw new oidc.errors.UnauthorizedClient('requested_actor must be the client itself');
        }
      },
    },
    extraClientMetadata: {
      properties: ['mandate_dynamic'],
      // Called with the request's context only for a registration at run time: such a client
      // signs a user in and refreshes, for the MCP resource; no client credentials, no exchange.
      validator: (ctx, key, _value, metadata) => {
        if (key !== 'mandate_dynamic' || !ctx) return;
        const grants = (metadata.grant_types as string[] | undefined) ?? ['authorization_code'];
        const beyond = grants.filter((g) => !(DYNAMIC_CLIENT_GRANTS as readonly string[]).includes(g));
        if (beyond.length) {
          throw new oidc.errors.InvalidClientMetadata(`a client registered at run time may use only ${DYNAMIC_CLIENT_GRANTS.join(' and ')}, not ${beyond.join(', ')}`);
        }
        metadata.mandate_dynamic = true;
      },
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        // Resource servers (confidential clients) may introspect any token; others only their own.
        allowedPolicy: (_ctx, client, token) => client.clientAuthMethod !== 'none' || token.clientId === client.clientId,
      },
      revocation: {
        enabled: true,
        allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId,
      },
      registration: { enabled: true },
      // Client ID Metadata Documents (AUTH-CIMD): a client_id that is an https URL names its own
      // metadata. oidc-provider fetches it with a 2.5 s timeout, a 5 KiB limit and no redirects,
      // refuses special-use addresses (see `fetch` below for loopback), and requires the
      // document's client_id to equal its URL and the redirect_uri to be one it lists. Such a
      // client is treated as one registered at run time: sign-in and refresh, MCP resource only.
      clientIdMetadataDocument: {
        enabled: true,
        ack: 'draft-02',
        allowFetch: (_ctx, clientId) => URL.parse(clientId)?.protocol === 'https:',
        allowClient: (_ctx, client) => {
          const grants = client.grantTypes ?? [];
          return grants.every((g) => (DYNAMIC_CLIENT_GRANTS as readonly string[]).includes(g));
        },
      },
      rpInitiatedLogout: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: (_ctx, _client, oneOf) => oneOf ?? mcpResource,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => {
          if (resource !== mcpResource) throw new oidc.errors.InvalidTarget('tokens for this resource come only from token exchange');
          return {
            scope: MCP_SCOPE,
            audience: mcpResource,
            accessTokenTTL: setup.mcpTokenTtlSeconds,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: SIGNING_ALG } },
          };
        },
      },
    },
    formats: {
      customizers: {
        // RFC 9068 / RFC 8693: name the client (azp) and, when a named agent acts, the actor.
        jwt: async (_ctx, token, parts) => {
          parts.payload.azp = token.clientId;
          const grantId = 'grantId' in token ? token.grantId : undefined;
          const actor = grantId ? await setup.actorsByGrant.get(grantId) : undefined;
          if (actor && actor !== token.clientId) parts.payload.act = { sub: actor };
        },
      },
    },
    // This embedded server runs on the user's machine (the sandbox): a metadata document on a
    // loopback address is fetched (still over https); every other special-use address stays
    // refused by oidc-provider's own guard.
    fetch: (url, options) => {
      const host = new URL(url).hostname;
      if (host === '127.0.0.1' || host === '[::1]' || host === 'localhost') {
        const { dispatcher: _guard, ...rest } = options as RequestInit & { dispatcher?: unknown };
        return globalThis.fetch(url, rest);
      }
      return globalThis.fetch(url, options);
    },
    pkce: { required: () => true },
    ttl: {
      AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? setup.mcpTokenTtlSeconds,
      ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? setup.mcpTokenTtlSeconds,
      AuthorizationCode: 60,
      IdToken: 600,
      RefreshToken: 30 * 24 * 3600,
      Grant: 90 * 24 * 3600,
      Interaction: 600,
      Session: 24 * 3600,
      DeviceCode: 600,
      BackchannelAuthenticationRequest: 600,
    },
    findAccount,
    loadExistingGrant: loadExistingGrant(setup),
    interactions: { policy, url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    renderError: (ctx, out) => {
      ctx.type = 'html';
      ctx.body = errorPage({ error: out.error, error_description: out.error_description });
    },
  };
}
