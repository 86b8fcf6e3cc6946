// Structured JSON logs on stderr (never stdout: stdout belongs to MCP in stdio mode).
// Every value passes through the audit trail's own redaction (src/audit/redact.ts): values
// under secret-named keys and token-shaped text, in the message, the fields and the bindings
// of child loggers alike, so a log line cannot keep what an audit record would not.
import { pino } from 'pino';
import { redactSecrets, scrubTokens } from './audit/redact.js';

export type Logger = pino.Logger;

/** Replaces token-shaped substrings in a string (as the audit trail does). */
export function scrubString(s: string): string {
  return scrubTokens(s);
}

/** How deep a logged value is kept; below that, `[truncated]` (a log line stays a line). */
const MAX_DEPTH = 20;

/** A copy whose Errors are plain data (their name, message and code are not enumerable properties). */
function plainErrors(value: unknown, seen: Set<object>, depth: number): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_DEPTH) return '[truncated]';
  if (seen.has(value)) return '[circular]';
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { name: value.name, message: value.message, ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}) };
  }
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((v) => plainErrors(v, seen, depth + 1));
    if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = plainErrors(v, seen, depth + 1);
    return out;
  } finally {
    seen.delete(value);
  }
}

/** A JSON copy with secret-named keys and token-shaped values redacted, exactly as audit `args` are. */
export function scrub(value: unknown): unknown {
  return redactSecrets(plainErrors(value, new Set(), 0));
}

function scrubObject(obj: Record<string, unknown>): Record<string, unknown> {
  const out = scrub(obj);
  return out !== null && typeof out === 'object' && !Array.isArray(out) ? (out as Record<string, unknown>) : {};
}

/**
 * The process logger: JSON lines, level from MANDATE_LOG_LEVEL (default info). Writes to
 * `destination`: stderr by default; a stream with a file descriptor is written synchronously
 * through it, any other writable stream (a test's capture) receives the lines directly.
 */
export function createLogger(bindings: Record<string, unknown> = {}, destination: NodeJS.WritableStream = process.stderr): Logger {
  const fd = (destination as { fd?: unknown }).fd;
  const logger = pino(
    {
      level: process.env.MANDATE_LOG_LEVEL ?? 'info',
      base: { ...bindings },
      formatters: {
        bindings: (b) => scrubObject(b),
        log: (obj) => scrubObject(obj),
      },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((a) => (typeof a === 'string' ? scrubString(a) : a));
          return method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
    },
    typeof fd === 'number' ? pino.destination({ dest: fd, sync: true }) : (destination as pino.DestinationStream),
  );
  // pino formats a child's bindings without `formatters.bindings`: scrub them on the way in.
  // Children inherit this method through their prototype, so grandchildren are scrubbed too.
  type ChildFn = (this: unknown, childBindings: Record<string, unknown>, options?: unknown) => Logger;
  const child = logger.child as unknown as ChildFn;
  const scrubbedChild: ChildFn = function (this: unknown, childBindings, options) {
    return child.call(this, scrubObject(childBindings), options);
  };
  logger.child = scrubbedChild as unknown as Logger['child'];
  return logger;
}

/** A logger that drops everything (tests and helpers that must stay quiet). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
