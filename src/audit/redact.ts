// What of a call's arguments the audit trail may keep. Always removed: values under
// secret-named keys (`token`, `password`, `secret`, `authorization`, `api_key`, `cookie`…)
// and token-shaped strings (JWTs, Slack, HubSpot, Google, GitHub and AWS tokens, private keys, long high-entropy
// base64url strings), wherever they appear. Then the config's per-tool, per-field rules
// (`audit.redact`) keep only a hash, a masked shape, or nothing of chosen fields, so the
// trail can be shared without copying customer data into it.
import { z } from 'zod';
import { canonicalJson, sha256Hex } from './canonical.js';
import type { JsonValue } from './canonical.js';

/** What replaces a secret. */
export const REDACTED = '[redacted]';

/** What a per-field rule does: keep `sha256:<hex>`, a masked shape, or nothing. */
export const REDACT_ACTIONS = ['hash', 'mask', 'drop'] as const;
export type RedactAction = (typeof REDACT_ACTIONS)[number];

/**
 * Config `audit.redact`: `{ "<tool name or prefix*>": { "<field path>": "hash" | "mask" | "drop" } }`.
 * A field path is dot-separated (`properties.email`); `*` matches any key or array index, and
 * arrays met along the path apply the rest of it to every element (`attendees.email`).
 */
export const auditRedactConfigSchema = z.record(
  z.string().regex(/^[A-Za-z0-9_.-]*\*?$/, 'must be a tool name, or a prefix ending in *'),
  z.record(z.string().min(1), z.enum(REDACT_ACTIONS)),
);
export type AuditRedactConfig = z.infer<typeof auditRedactConfigSchema>;

const SECRET_KEY_PARTS = ['token', 'password', 'passwd', 'secret', 'authorization', 'apikey', 'cookie', 'credential', 'privatekey'];

/** Whether a key names a secret (`refresh_token`, `X-Api-Key`, `clientSecret`…). */
export function isSecretKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[^a-z0-9]/g, '');
  return SECRET_KEY_PARTS.some((part) => k.includes(part));
}

/**
 * Token shapes, one home for each: what the audit trail and the log scrub, and what the
 * outbound content guard (src/policy/content-guard.ts) names when a write would carry one.
 * `label` is how a finding is named to people (never the match itself).
 */
export const SECRET_SHAPES: ReadonlyArray<{ name: string; label: string; re: RegExp }> = [
  { name: 'private_key', label: 'a private key block', re: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|$)/g },
  { name: 'jwt', label: 'a JWT', re: /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g }, // JWT / JWS (and the head of a JWE)
  { name: 'slack_token', label: 'a Slack token', re: /\bx(?:ox[a-z]|app)-[A-Za-z0-9-]{6,}/g }, // xoxb-, xoxp-, xoxa-, xapp-…
  { name: 'hubspot_token', label: 'a HubSpot token', re: /\bpat-[a-z0-9]{2,5}-[0-9a-f]{8}-[0-9a-f-]{8,}/gi }, // private app token
  { name: 'google_token', label: 'a Google access token', re: /\bya29\.[A-Za-z0-9_.-]{10,}/g },
  { name: 'google_refresh_token', label: 'a Google refresh token', re: /(?<![A-Za-z0-9])1\/\/[A-Za-z0-9_-]{20,}/g },
  { name: 'github_token', label: 'a GitHub token', re: /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,})/g },
  { name: 'aws_key', label: 'an AWS access key', re: /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g },
  { name: 'google_api_key', label: 'a Google API key', re: /\bAIza[A-Za-z0-9_-]{35}/g },
];
// An Authorization header pasted into text; a credential has a digit or a symbol, a word does not.
const AUTH_HEADER = /\b(Bearer|Basic)(\s+)([A-Za-z0-9._~+/-]{12,}=*)/gi;
const LONG_RUN = /[A-Za-z0-9_-]{32,}/g;
const isCredential = (cred: string) => /[0-9._~+/=-]/.test(cred);

/** Shannon entropy in bits per character. */
function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/** A run of ≥ 32 base64url characters mixing cases and digits with high entropy: a key, not a word or an id. */
function looksRandom(run: string): boolean {
  return /[A-Z]/.test(run) && /[a-z]/.test(run) && /[0-9]/.test(run) && entropy(run) >= 4.2;
}

/** Replaces every token-shaped substring of `text` with `[redacted]`. */
export function scrubTokens(text: string): string {
  let out = text;
  for (const { re } of SECRET_SHAPES) out = out.replace(re, REDACTED);
  out = out.replace(AUTH_HEADER, (m, scheme: string, space: string, cred: string) =>
    isCredential(cred) ? `${scheme}${space}${REDACTED}` : m,
  );
  return out.replace(LONG_RUN, (run) => (looksRandom(run) ? REDACTED : run));
}

/** The kinds of secret `text` holds (names and labels from SECRET_SHAPES, plus `auth_header` and `high_entropy`), each once; never the match. */
export function secretShapesIn(text: string): Array<{ name: string; label: string }> {
  const found: Array<{ name: string; label: string }> = [];
  let rest = text;
  for (const { name, label, re } of SECRET_SHAPES) {
    const next = rest.replace(re, ' ');
    if (next !== rest) found.push({ name, label });
    rest = next;
  }
  let header = false;
  rest = rest.replace(AUTH_HEADER, (m, _s: string, _sp: string, cred: string) => (isCredential(cred) ? ((header = true), ' ') : m));
  if (header) found.push({ name: 'auth_header', label: 'an Authorization header credential' });
  if ((rest.match(LONG_RUN) ?? []).some(looksRandom)) found.push({ name: 'high_entropy', label: 'a high-entropy string (a key or token)' });
  return found;
}

/** A JSON copy of `value` (undefined dropped, `toJSON` applied, cycles and BigInt made safe). */
function toJson(value: unknown, seen: Set<object>): JsonValue | undefined {
  if (value === null) return null;
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : null;
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'object':
      break;
    default:
      return undefined;
  }
  const obj = value as object;
  if (typeof (obj as { toJSON?: unknown }).toJSON === 'function') return toJson((obj as { toJSON: () => unknown }).toJSON(), seen);
  if (seen.has(obj)) return '[circular]';
  seen.add(obj);
  let out: JsonValue;
  if (Array.isArray(obj)) {
    out = obj.map((v) => toJson(v, seen) ?? null);
  } else {
    const rec: { [k: string]: JsonValue } = {};
    for (const [k, v] of Object.entries(obj)) {
      const j = toJson(v, seen);
      if (j !== undefined) rec[k] = j;
    }
    out = rec;
  }
  seen.delete(obj);
  return out;
}

/** The always-on part: secret-named keys and token-shaped strings, in a JSON copy. Idempotent. */
export function redactSecrets(value: unknown): JsonValue {
  return secrets(toJson(value, new Set()) ?? null);
}

function secrets(v: JsonValue): JsonValue {
  if (typeof v === 'string') return scrubTokens(v);
  if (Array.isArray(v)) return v.map(secrets);
  if (v !== null && typeof v === 'object') {
    const out: { [k: string]: JsonValue } = {};
    for (const [k, child] of Object.entries(v)) {
      // Booleans and nulls under a secret name say nothing secret (`use_token: false`).
      out[k] = isSecretKey(k) && child !== null && typeof child !== 'boolean' ? REDACTED : secrets(child);
    }
    return out;
  }
  return v;
}

/** `hash`: `sha256:<hex>` of a string's own text, or of the canonical JSON of any other value. */
export function hashValue(v: JsonValue): string {
  return `sha256:${sha256Hex(typeof v === 'string' ? v : canonicalJson(v))}`;
}

/** `mask`: `d***@example.com` for an e-mail address, else the first 3 characters (fewer for short values) and `…`; never a whole value (or local part). */
export function maskValue(v: JsonValue): JsonValue {
  if (v === null) return null;
  if (typeof v === 'object' || typeof v === 'boolean') return '[masked]';
  const s = String(v);
  const email = /^([^@\s]+)@([^@\s]+)$/.exec(s);
  // A one-character local part is not shown at all: its first character would be all of it.
  if (email) return `${email[1]!.length > 1 ? email[1]![0] : ''}***@${email[2]}`;
  return `${s.slice(0, Math.min(3, Math.floor(s.length / 2)))}…`;
}

/** The field rules that apply to `tool`: from `*`-patterns (shortest prefix first) up to its exact name, later ones overriding. */
export function rulesForTool(tool: string, rules: AuditRedactConfig | undefined): Map<string, RedactAction> {
  const merged = new Map<string, RedactAction>();
  if (!rules) return merged;
  const matching = Object.keys(rules)
    .filter((k) => (k.endsWith('*') ? tool.startsWith(k.slice(0, -1)) : k === tool))
    .sort((a, b) => specificity(a) - specificity(b));
  for (const key of matching) for (const [path, action] of Object.entries(rules[key]!)) merged.set(path, action);
  return merged;
}

function specificity(pattern: string): number {
  // Stryker disable next-line ArithmeticOperator: only the order of specificities matters, and any shift of every prefix keeps it
  return pattern.endsWith('*') ? pattern.length - 1 : Number.MAX_SAFE_INTEGER;
}

function applyRule(node: JsonValue, path: readonly string[], action: RedactAction): JsonValue {
  if (node === null || typeof node !== 'object') return node;
  const [seg, ...rest] = path as [string, ...string[]];
  if (Array.isArray(node)) {
    const byIndex = /^\d+$/.test(seg);
    if (!byIndex && seg !== '*') return node.map((el) => applyRule(el, path, action)); // arrays are transparent
    const out: JsonValue[] = [];
    node.forEach((el, i) => {
      if (seg !== '*' && Number(seg) !== i) return void out.push(el);
      if (rest.length > 0) return void out.push(applyRule(el, rest, action));
      if (action !== 'drop') out.push(action === 'hash' ? hashValue(el) : maskValue(el));
    });
    return out;
  }
  const out: { [k: string]: JsonValue } = { ...node };
  for (const key of seg === '*' ? Object.keys(node) : Object.hasOwn(node, seg) ? [seg] : []) {
    const child = node[key]!;
    if (rest.length > 0) out[key] = applyRule(child, rest, action);
    else if (action === 'drop') delete out[key];
    else out[key] = action === 'hash' ? hashValue(child) : maskValue(child);
  }
  return out;
}

/**
 * `args` as the audit trail (and an approver) may see them: secrets always redacted, then
 * the configured rules for `tool` applied. Returns a new JSON value; `args` is not changed.
 * Compute `args_digest` over the original arguments, not over this.
 */
export function redactArgs(tool: string, args: unknown, rules?: AuditRedactConfig): JsonValue {
  let out = redactSecrets(args);
  for (const [path, action] of rulesForTool(tool, rules)) out = applyRule(out, path.split('.'), action);
  return out;
}
