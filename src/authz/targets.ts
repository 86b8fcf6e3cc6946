// Decides which upstream API a `resource` (RFC 8707) or `audience` parameter names: exactly one
// absolute URI, without a fragment, equal to one of `RESOURCES`; anything else is invalid_target.
import { PROVIDER_SCOPES, RESOURCES, type UpstreamProvider } from '../resources.js';

/** The API a token request names, with its scopes, or why it names none. */
export type Target = { ok: true; resource: string; provider: UpstreamProvider; scopes: readonly string[] } | { ok: false; reason: string };

const BY_URI = new Map<string, UpstreamProvider>(
  (Object.entries(RESOURCES) as [UpstreamProvider, string][]).map(([provider, uri]) => [uri, provider]),
);

/** Whether `uri` is an upstream API this server mints per-tool tokens for. */
export function isUpstreamResource(uri: string): boolean {
  return BY_URI.has(uri);
}

/** Resolves a token request's `resource` (or `audience`) value to one upstream API. */
export function resolveTarget(value: unknown): Target {
  if (value === undefined || value === '') return { ok: false, reason: 'resource is required: name the one API the token is for' };
  if (Array.isArray(value)) {
    if (value.length !== 1) return { ok: false, reason: 'exactly one resource is accepted per token' };
    value = value[0];
  }
  if (typeof value !== 'string') return { ok: false, reason: 'resource must be a string' };
  if (value.includes('#')) return { ok: false, reason: 'resource must not contain a fragment' };
  if (!URL.canParse(value)) return { ok: false, reason: 'resource must be an absolute URI' };
  const provider = BY_URI.get(value);
  if (!provider) return { ok: false, reason: 'resource is not an API known to this server' };
  return { ok: true, resource: value, provider, scopes: PROVIDER_SCOPES[provider] };
}
