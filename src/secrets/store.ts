// What every secret backend offers: keytar's four calls, plus which backend answered and,
// when it is not an OS keychain, why. Also the one error type the backends throw and the
// argument checks they share, so the three backends refuse the same inputs the same way.

/** The backends, in the order they are tried by default. */
export const SECRET_BACKENDS = ['keytar', 'keyring', 'file'] as const;

/** `keytar` and `keyring` are OS keychains (through keytar and `@napi-rs/keyring`); `file` is the encrypted file. */
export type SecretBackend = (typeof SECRET_BACKENDS)[number];

/** One stored credential, as keytar's `findCredentials` returns it. */
export interface Credential {
  account: string;
  password: string;
}

/** keytar's API, which `@napi-rs/keyring/keytar` also offers. */
export interface KeytarApi {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  /** True when something was deleted. */
  deletePassword(service: string, account: string): Promise<boolean>;
  findCredentials(service: string): Promise<Credential[]>;
}

/** The secret store every part of Mandate uses (agent credentials, refresh tokens, signing keys). */
export interface SecretStore extends KeytarApi {
  /** Which backend answers. */
  readonly backend: SecretBackend;
  /** The service name Mandate files its own secrets under (default `mandate`). */
  readonly service: string;
  /** Plain words why an OS keychain was not used (or why an earlier one was skipped); undefined when nothing was skipped. */
  readonly reason: string | undefined;
  /** Where the secrets live, for `doctor` and the startup line: a file path, or the keychain's name. */
  readonly location: string;
}

/** Why the secret store failed. */
export type SecretStoreErrorKind =
  | 'invalid_argument' // an empty service/account/password or a non-string
  | 'key_missing' // secrets.enc exists but its key file does not
  | 'key_invalid' // the key file is not 32 bytes
  | 'key_mismatch' // secrets.enc cannot be decrypted with the key file (wrong key, or the file was altered)
  | 'file_corrupt' // secrets.enc is not a Mandate secrets file
  | 'unavailable' // a forced backend did not work
  | 'unexpected_answer' // a keychain library answered with the wrong type
  | 'invalid_config'; // MANDATE_SECRETS names no backend

/** The one error the secret store throws. Its message never contains a secret. */
export class SecretStoreError extends Error {
  readonly kind: SecretStoreErrorKind;
  constructor(kind: SecretStoreErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SecretStoreError';
    this.kind = kind;
  }
}

/** Refuses an empty or non-string service name, for every backend alike. */
export function checkService(service: unknown): asserts service is string {
  if (typeof service !== 'string' || service.length === 0) {
    throw new SecretStoreError('invalid_argument', 'A secret needs a non-empty service name.');
  }
}

/** Refuses what keytar refuses (an empty service or account), for every backend alike. */
export function checkNames(service: unknown, account: unknown): void {
  checkService(service);
  if (typeof account !== 'string' || account.length === 0) {
    throw new SecretStoreError('invalid_argument', 'A secret needs a non-empty account name.');
  }
}

/** As `checkNames`, plus a non-empty string value (the value itself is never named in the error). */
export function checkValue(service: unknown, account: unknown, password: unknown): void {
  checkNames(service, account);
  if (typeof password !== 'string' || password.length === 0) {
    throw new SecretStoreError('invalid_argument', 'A secret value must be a non-empty string.');
  }
}
