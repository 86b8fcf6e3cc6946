// A real authorization server from the config: Mandate's client (its secret in the secret
// store) exchanges the user's token for per-tool tokens; agents' delegations come from
// `mandate login`; HTTP bearers are checked against the keys the server's metadata names.
import { TokenUnavailable } from '../errors.js';
import type { JwtVerifier } from '../authz/verify.js';
import type { SecretStore } from '../secrets/index.js';
import { brokerTokenStage, createTokenBroker, fixedSubject, refreshingSubject } from '../tokens/index.js';
import { oauthClient } from '../tokens/oauth.js';
import { bearerIdentity, recordRefusedBearer } from './bearer.js';
import { SECRET_ACCOUNTS } from './credentials.js';
import type { IdentityOptions, IdentityRuntime } from './identity.js';

/** A real authorization server from the config: agent credentials and delegations come from `mandate login`. */
export async function configuredIdentity(opts: IdentityOptions, secrets: SecretStore, notices: string[]): Promise<IdentityRuntime> {
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
