// Structured JSON logs on stderr (never stdout: stdout belongs to MCP in stdio mode).
// Every value passes through the same redaction as the audit trail.
import { pino } from 'pino';

export type Logger = pino.Logger;

const SECRET_KEY = /(token|secret|password|authorization|api[-_]?key|cookie|credential)/i;
const JWT_SHAPE = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
const PROVIDER_TOKEN_SHAPE = /\b(xox[abposr]-[A-Za-z0-9-]{6,}|pat-[a-z0-9]{2,4}-[0-9a-f-]{8,}|ya29\.[A-Za-z0-9_-]{10,})/g;

/** Replaces token-shaped substrings in a string. */
export function scrubString(s: string): string {
  return s.replace(JWT_SHAPE, '[redacted:jwt]').replace(PROVIDER_TOKEN_SHAPE, '[redacted:token]');
}

/** Deep copy with secret-named keys and token-shaped values redacted. */
export function scrub(value: unknown, depth = 0): unknown {
  if (depth > 20) return '[truncated]';
  if (typeof value === 'string') return scrubString(value);
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  if (value && typeof value === 'object') {
    if (value instanceof Error) return { name: value.name, message: scrubString(value.message) };
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = SECRET_KEY.test(k) && !/_(count|type|hint)$/.test(k) && typeof v !== 'object' ? '[redacted]' : scrub(v, depth + 1);
    }
    return out;
  }
  return value;
}

/** The process logger: JSON lines on stderr, level from MANDATE_LOG_LEVEL (default info). */
export function createLogger(bindings: Record<string, unknown> = {}, destination: NodeJS.WritableStream = process.stderr): Logger {
  return pino(
    {
      level: process.env.MANDATE_LOG_LEVEL ?? 'info',
      base: { ...bindings },
      formatters: { log: (obj) => scrub(obj) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((a) => (typeof a === 'string' ? scrubString(a) : a));
          return method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
    },
    pino.destination({ dest: (destination as { fd?: number }).fd ?? 2, sync: true }),
  );
}

/** A logger that drops everything (tests and helpers that must stay quiet). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
