// The vault: provider credentials (Slack, HubSpot, Google) in the secret store, refreshed per
// provider, handed only to the egress gate.
export { createVault, connectCommand, type Vault, type VaultOptions, type AccountCredential } from './vault.js';
export { GrantStore, VAULT_KEYS, viewOf, type Grant, type GrantView, type ProviderApp } from './grants.js';
export {
  CONNECT_NAME, CONNECT_PROVIDERS, PROVIDERS, SPEC_OF, UPSTREAM_OF, ProviderOAuthError, endpointsOf,
  type AccountIdentity, type ConnectProvider, type ProviderEndpoints, type ProviderSpec, type TokenAnswer,
} from './providers.js';
export { identify, type TokenFacts } from './identify.js';
