// The digest that binds an approval and an audit record to one call's exact arguments:
// SHA-256 over the canonical JSON (RFC 8785) of the arguments as received, before redaction.
import { canonicalJson, sha256Hex } from './canonical.js';

/** `args_digest`: lower-case hex SHA-256 of the canonical JSON of `args`. */
export function argsDigest(args: unknown): string {
  return sha256Hex(canonicalJson(args ?? {}));
}
