// Canonical JSON (RFC 8785, JSON Canonicalization Scheme) and SHA-256: the one byte form
// that argument digests and the audit hash chain are computed over, so the same value
// always hashes the same, whoever serialised it and in whatever key order.
//
// What JCS asks and how this does it:
// - object keys sorted by UTF-16 code units: `Array.prototype.sort()` with no comparator
//   compares exactly that;
// - numbers in ECMAScript `Number.prototype.toString` form (`1e+21`, `1e-7`, `-0` → `0`):
//   `JSON.stringify` of a finite number is that form;
// - strings escaped as ECMAScript `JSON.stringify` does (`\n`, `\u001f`, no escaping of
//   non-ASCII): which is what JCS specifies.
// Deviations, documented: non-finite numbers and BigInt throw (JSON has no form for them);
// a lone surrogate in a string is escaped as `\udXXX` (well-formed `JSON.stringify`)
// instead of being refused, so an odd argument never makes a call fail; `undefined`
// properties are left out and `undefined` in arrays becomes `null`, as `JSON.stringify`
// does; objects with `toJSON` (e.g. Date) are serialised through it. Nesting deeper than
// 500 levels (which includes any cycle) throws.
import { hash } from 'node:crypto';

/** A JSON value, as it is hashed and stored. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Thrown when a value has no canonical JSON form (non-finite number, BigInt, cycle…). */
export class CanonicalJsonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CanonicalJsonError';
  }
}

const MAX_DEPTH = 500;

/** The RFC 8785 canonical JSON text of `value`. */
export function canonicalJson(value: unknown): string {
  // Stryker disable next-line ConditionalExpression,StringLiteral: a fast path; write() gives a string the same text
  if (typeof value === 'string') return JSON.stringify(value);
  const out = write(value, 0);
  if (out === undefined) throw new CanonicalJsonError('the value has no JSON form (undefined or a function)');
  return out;
}

function write(value: unknown, depth: number): string | undefined {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError(`${value} has no JSON form`);
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      throw new CanonicalJsonError('BigInt has no canonical JSON form');
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    default:
      break;
  }
  if (value === null) return 'null';
  const obj = value as object;
  if (typeof (obj as { toJSON?: unknown }).toJSON === 'function') {
    return write((obj as { toJSON: () => unknown }).toJSON(), depth);
  }
  if (depth >= MAX_DEPTH) throw new CanonicalJsonError(`the value is nested deeper than ${MAX_DEPTH} levels (or cyclic)`);
  let out: string;
  if (Array.isArray(obj)) {
    out = '[';
    for (let i = 0; i < obj.length; i++) {
      if (i > 0) out += ',';
      out += write(obj[i], depth + 1) ?? 'null';
    }
    out += ']';
  } else {
    const record = obj as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    out = '{';
    let first = true;
    for (const key of keys) {
      const v = write(record[key], depth + 1);
      if (v === undefined) continue;
      if (!first) out += ',';
      first = false;
      out += JSON.stringify(key) + ':' + v;
    }
    out += '}';
  }
  return out;
}

/** Lower-case hex SHA-256 of a string's UTF-8 bytes. */
export function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
}
