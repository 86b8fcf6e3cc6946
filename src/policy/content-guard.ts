// The outbound content guard: before a write leaves (a message, a thread reply, a note, an
// event's description, a contact's fields), every text it carries is scanned for secrets
// (the token shapes of src/audit/redact.ts, private key blocks, Authorization headers,
// high-entropy strings), stack traces, log dumps and the config's own patterns. Per agent and
// tool the config says what each finding does: `deny` (the call ends with `content_guard`),
// `approve` (a human approves it first) or `allow`. Defaults: secrets deny, stack traces and
// log dumps approve. A reason names what was found and where, never the text itself.
// Pure: config and arguments in, a verdict out.
import { z } from 'zod';
import { secretShapesIn } from '../audit/redact.js';
import { formatPath } from './path.js';

/** What a finding does. */
export const GUARD_ACTIONS = ['deny', 'approve', 'allow'] as const;
export type GuardAction = (typeof GUARD_ACTIONS)[number];

const actionSchema = z.enum(GUARD_ACTIONS, { error: () => 'must be "deny", "approve" or "allow"' });

/** A configured pattern: a regular expression (JavaScript syntax, case-sensitive unless `ignoreCase`) and what a match does. */
const patternSchema = z.strictObject({
  regex: z
    .string()
    .min(1)
    .max(500)
    .refine((r) => { try { new RegExp(r, 'u'); return true; } catch { return false; } }, { error: 'must be a valid regular expression' }),
  ignoreCase: z.boolean().optional(),
  action: actionSchema.default('deny'),
  /** Words for people, in reasons ("a customer ID"); defaults to the pattern's name. */
  label: z.string().min(1).max(100).optional(),
});

/** `contentGuard` at the top level, per agent, or in a tool rule: one action for everything, or per category plus patterns. */
export const contentGuardSchema = z.union([
  actionSchema,
  z.strictObject({
    secrets: actionSchema.optional(),
    stackTraces: actionSchema.optional(),
    logDumps: actionSchema.optional(),
    patterns: z.record(z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, { error: 'pattern names are letters, digits and _ . -' }), patternSchema).optional(),
  }),
]);
export type ContentGuardConfig = z.input<typeof contentGuardSchema>;

/** The categories a finding belongs to. */
export type GuardCategory = 'secrets' | 'stackTraces' | 'logDumps' | `pattern:${string}`;

/** One thing found: its category, plain words for it, and the argument it was found in. */
export interface Finding {
  category: GuardCategory;
  label: string;
  field: string;
}

/** The resolved setting for one call: an action per category and the patterns, each with the config path that set it. */
interface Resolved {
  actions: Record<'secrets' | 'stackTraces' | 'logDumps', { action: GuardAction; rule: string }>;
  patterns: Map<string, { re: RegExp; action: GuardAction; label: string; rule: string }>;
}

/** One layer of settings and the config path it sits at. */
export interface GuardLayer {
  path: readonly PropertyKey[];
  config: ContentGuardConfig | undefined;
}

/** The guard's answer for one call. */
export interface GuardVerdict {
  action: GuardAction;
  findings: Finding[];
  /** Plain words: what was found where and what decided; never the text found. Empty when nothing was. */
  reason: string;
  /** The config path whose action decided (or `default: contentGuard.secrets`…). */
  rule: string;
}

const DEFAULTS = { secrets: 'deny', stackTraces: 'approve', logDumps: 'approve' } as const;
const CATEGORIES = ['secrets', 'stackTraces', 'logDumps'] as const;
const RANK: Record<GuardAction, number> = { allow: 0, approve: 1, deny: 2 };

function resolve(layers: readonly GuardLayer[]): Resolved {
  const r: Resolved = {
    actions: {
      secrets: { action: DEFAULTS.secrets, rule: 'default: contentGuard.secrets is deny' },
      stackTraces: { action: DEFAULTS.stackTraces, rule: 'default: contentGuard.stackTraces is approve' },
      logDumps: { action: DEFAULTS.logDumps, rule: 'default: contentGuard.logDumps is approve' },
    },
    patterns: new Map(),
  };
  for (const { path, config } of layers) {
    if (config === undefined) continue;
    const at = formatPath(path);
    if (typeof config === 'string') {
      for (const c of CATEGORIES) r.actions[c] = { action: config, rule: at };
      for (const p of r.patterns.values()) Object.assign(p, { action: config, rule: at });
      continue;
    }
    for (const c of CATEGORIES) if (config[c]) r.actions[c] = { action: config[c], rule: formatPath([...path, c]) };
    for (const [name, p] of Object.entries(config.patterns ?? {})) {
      r.patterns.set(name, {
        re: new RegExp(p.regex, p.ignoreCase ? 'iu' : 'u'),
        action: p.action ?? 'deny',
        label: p.label ?? `a match of the pattern "${name}"`,
        rule: formatPath([...path, 'patterns', name]),
      });
    }
  }
  return r;
}

/** Every string in `value` with its path (`text`, `attendees[0]`, `properties.note`). */
function strings(value: unknown, path: PropertyKey[] = [], out: Array<[string, string]> = []): Array<[string, string]> {
  if (typeof value === 'string') out.push([formatPath(path), value]);
  else if (Array.isArray(value)) value.forEach((v, i) => strings(v, [...path, i], out));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) strings(v, [...path, k], out);
  return out;
}

// Stack traces: JavaScript / Java / .NET frames (`at f (file.js:1:2)`, `at a.B.c(B.java:12)`),
// Python tracebacks, Go panics, Ruby/PHP frames. Two frames, or one unmistakable header.
const FRAME_LINES = [
  /^\s*at\s+(?:async\s+)?(?:[\w$.<>[\]\s]+\s+\()?(?:file:\/\/|node:|\/|[A-Za-z]:\\|[\w.-]+\/)?[^\s()]*:\d+(?::\d+)?\)?\s*$/m, // JS
  /^\s*at\s+[\w$]+(?:\.[\w$<>]+)+\((?:[\w$-]+\.(?:java|kt|scala|cs)(?::\d+)?|Native Method|Unknown Source)\)\s*$/m, // JVM, .NET
  /^\s*File "[^"]+", line \d+(?:, in \S+)?\s*$/m, // Python
  /^\s*\S+\.(?:go|rb|php):\d+(?:\s|:in\s|$)/m, // Go, Ruby, PHP
];
const TRACE_HEADERS = [
  /^Traceback \(most recent call last\):\s*$/m,
  /^goroutine \d+ \[[a-z ]+\]:\s*$/m,
  /^Exception in thread "[^"]*" [\w.$]+/m,
];

function frameCount(text: string): number {
  let n = 0;
  for (const line of text.split('\n')) if (FRAME_LINES.some((re) => re.test(line))) n += 1;
  return n;
}

function isStackTrace(text: string): boolean {
  return TRACE_HEADERS.some((re) => re.test(text)) || frameCount(text) >= 2;
}

// Log dumps: three or more lines that start like log lines (a timestamp, a level in
// brackets or followed by a colon, a JSON log object with a level).
const LOG_LINE = [
  /^\s*\[?\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?\]?\s+\S/,
  /^\s*\[?\d{2}:\d{2}:\d{2}(?:[.,]\d+)?\]?\s+\[?(?:TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL|CRITICAL)\b/i,
  /^\s*(?:\[(?:TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL|CRITICAL)\]|(?:TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL|CRITICAL)(?::|\s+\d|\s+\[))/,
  /^\s*\{.*"(?:level|severity|lvl)"\s*:/,
  /^\s*(?:[A-Z][a-z]{2}\s+\d{1,2}\s+\d{2}:\d{2}:\d{2})\s+\S+\s+\S+(?:\[\d+\])?:/, // syslog
];

function logLineCount(text: string): number {
  let n = 0;
  for (const line of text.split('\n')) if (LOG_LINE.some((re) => re.test(line))) n += 1;
  return n;
}

/** What one text holds, as findings at `field`. */
export function scanText(text: string, field: string, patterns: Iterable<[string, { re: RegExp; label: string }]> = []): Finding[] {
  const out: Finding[] = [];
  for (const s of secretShapesIn(text)) out.push({ category: 'secrets', label: s.label, field });
  if (isStackTrace(text)) out.push({ category: 'stackTraces', label: 'a stack trace', field });
  const logs = logLineCount(text);
  if (logs >= 3) out.push({ category: 'logDumps', label: `a log dump (${logs} log lines)`, field });
  for (const [name, p] of patterns) if (p.re.test(text)) out.push({ category: `pattern:${name}`, label: p.label, field });
  return out;
}

const listed = (items: string[]) => (items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`);

/**
 * Scans a write's arguments under the layers of settings (outermost first: the config's
 * `contentGuard`, the agent's, the tool rule's) and returns the strictest action any
 * finding calls for, with a reason naming what was found, where, and the rule that decided.
 */
export function guardContent(args: Record<string, unknown>, layers: readonly GuardLayer[]): GuardVerdict {
  const resolved = resolve(layers);
  const findings: Finding[] = [];
  for (const [field, text] of strings(args)) findings.push(...scanText(text, field, resolved.patterns));
  if (findings.length === 0) return { action: 'allow', findings, reason: '', rule: '' };
  let action: GuardAction = 'allow';
  let rule = '';
  for (const f of findings) {
    const set = f.category.startsWith('pattern:') ? resolved.patterns.get(f.category.slice(8))! : resolved.actions[f.category as (typeof CATEGORIES)[number]];
    if (rule === '' || RANK[set.action] > RANK[action]) { action = set.action; rule = set.rule; }
  }
  const byField = new Map<string, string[]>();
  for (const f of findings) {
    const labels = byField.get(f.field) ?? [];
    if (!labels.includes(f.label)) labels.push(f.label);
    byField.set(f.field, labels);
  }
  const what = [...byField].map(([field, labels]) => `${listed(labels)} in ${field}`).join('; ');
  const verb = action === 'deny' ? 'refused' : action === 'approve' ? 'needs a human\'s approval' : 'allowed';
  return { action, findings, reason: `the outbound content guard found ${what}: ${verb} by ${rule}`, rule };
}
