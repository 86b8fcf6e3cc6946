// A short, stable fingerprint of the policy in force, written into every audit record so a
// decision can be traced to the exact config that made it. Key order never changes it: it is
// the digest of the same canonical JSON (RFC 8785) the audit trail hashes.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../audit/canonical.js';

/** `sha256:` and the first 16 hex digits of the SHA-256 of the canonical `{agents, approvals}`. */
export function policyVersion(agents: unknown, approvals?: unknown): string {
  const digest = createHash('sha256').update(canonicalJson({ agents, approvals })).digest('hex');
  return `sha256:${digest.slice(0, 16)}`;
}
