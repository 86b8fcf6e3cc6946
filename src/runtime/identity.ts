// Identity and tokens for the runtime: who the caller is (the user, the client, the agent),
// and the per-tool token stage behind it. Two runtimes share this shape: the sandbox's, with
// the embedded authorization server (identity-sandbox.ts), and a configured authorization
// server's (identity-configured.ts). Agent credentials live in the secret store.
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/types.js';
import type { Identity } from '../identity/types.js';
import type { TokenVerifier } from '../sandbox/http.js';
import type { UpstreamProvider } from '../resources.js';
import { openSecretStore, describeBackend, type SecretStore } from '../secrets/index.js';
import type { EmbeddedAuthz } from '../authz/index.js';
import type { TokenStage } from '../tokens/index.js';
import type { AuditLog } from '../audit/writer.js';
import { sandboxIdentity } from './identity-sandbox.js';
import { configuredIdentity } from './identity-configured.js';

export { EXCHANGER, LOGIN_REDIRECT, SECRET_ACCOUNTS, delegationScopes } from './credentials.js';

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

/** Opens the secret store and starts the runtime the config asks for. */
export async function startIdentity(opts: IdentityOptions): Promise<IdentityRuntime> {
  const secrets = await openSecretStore({ home: opts.home, logger: opts.logger });
  const notices = [describeBackend(secrets)];
  return opts.config.authorizationServer ? configuredIdentity(opts, secrets, notices) : sandboxIdentity(opts, secrets, notices);
}
