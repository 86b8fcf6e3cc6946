// The secret store's public surface: open one, describe it, and the types callers need.
export { describeBackend, openSecretStore } from './open.js';
export type { OpenSecretStoreOptions } from './open.js';
export { SECRET_BACKENDS, SecretStoreError } from './store.js';
export type { Credential, KeytarApi, SecretBackend, SecretStore, SecretStoreErrorKind } from './store.js';
