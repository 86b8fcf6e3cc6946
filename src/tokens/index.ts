// The token side of a tool call: per-tool tokens by RFC 8693 exchange at any authorization
// server (the broker), and the sources of its subject and actor tokens.
export {
  createTokenBroker,
  cacheKey,
  ACCESS_TOKEN_TYPE,
  TOKEN_EXCHANGE_GRANT,
  type PerToolRequest,
  type PerToolToken,
  type TokenBroker,
  type TokenBrokerOptions,
  type TokenInfo,
} from './broker.js';
export {
  fixedSubject,
  refreshingSubject,
  clientCredentialsActor,
  type ActorSource,
  type SubjectSource,
  type RefreshingSubjectOptions,
  type ClientCredentialsActorOptions,
} from './sources.js';
export { tokenError } from './errors.js';
export type { OAuthClientOptions } from './oauth.js';
export { brokerTokenStage, type AuditedTokenSource, type TokenStage } from './stage.js';
