import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { CanonicalJsonError, canonicalJson, sha256Hex } from '../../src/audit/canonical.js';
import { argsDigest } from '../../src/audit/digest.js';
import { GENESIS_HASH, hashRecord, normalizeAuditInput, sealRecord } from '../../src/audit/record.js';
import { sampleInput } from '../store/helpers.js';

describe('canonical JSON (RFC 8785)', () => {
  test('the RFC 8785 §3.2.2 example serialises byte for byte', () => {
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],' +
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}',
    );
    expect(canonicalJson(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  test('keys sort by UTF-16 code units, as in RFC 8785 §3.2.3 (an emoji before U+FB33)', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    expect(canonicalJson(input)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  test('numbers take the ECMAScript form', () => {
    expect(canonicalJson([-0, 1e21, 1e-7, 0.1 + 0.2, 100, -1.5e-10, 5e-324])).toBe('[0,1e+21,1e-7,0.30000000000000004,100,-1.5e-10,5e-324]');
  });

  test('unicode stays as is; control characters use the short or \\u00xx escapes', () => {
    expect(canonicalJson({ s: 'héllo ✓ 😀 \u0001\b\t\n\f\r"\\' })).toBe('{"s":"héllo ✓ 😀 \\u0001\\b\\t\\n\\f\\r\\"\\\\"}');
  });

  test('values with no JSON form throw; undefined properties are left out', () => {
    expect(() => canonicalJson({ n: NaN })).toThrow(CanonicalJsonError);
    expect(() => canonicalJson([Infinity])).toThrow(CanonicalJsonError);
    expect(() => canonicalJson({ b: 10n })).toThrow(CanonicalJsonError);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(CanonicalJsonError);
    expect(canonicalJson({ a: undefined, b: [undefined], c: new Date(0) })).toBe('{"b":[null],"c":"1970-01-01T00:00:00.000Z"}');
  });

  test('canonical JSON parses back to the value, and key order never changes it', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const text = canonicalJson(v);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(v)));
        const shuffled = JSON.parse(JSON.stringify(v), function (_k, val) {
          if (val && typeof val === 'object' && !Array.isArray(val)) return Object.fromEntries(Object.entries(val).reverse());
          return val;
        });
        expect(canonicalJson(shuffled)).toBe(text);
      }),
      { numRuns: 300 },
    );
  });

  test('sha256Hex matches a known vector', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('args digest and record hash', () => {
  test('argsDigest ignores key order and whitespace but not values', () => {
    const a = argsDigest({ channel: '#general', text: 'hi', opts: { b: 1, a: 2 } });
    expect(argsDigest({ opts: { a: 2, b: 1 }, text: 'hi', channel: '#general' })).toBe(a);
    expect(argsDigest({ channel: '#general', text: 'hi!', opts: { b: 1, a: 2 } })).not.toBe(a);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(argsDigest(undefined)).toBe(argsDigest({}));
  });

  test('the record hash is sha256 of the canonical record without hash, seq and prev_hash included', () => {
    const { record, text } = sealRecord(normalizeAuditInput(sampleInput(7)), 7, '2025-01-01T00:00:00.000Z', GENESIS_HASH);
    const { hash, ...rest } = record;
    expect(text).toBe(canonicalJson(rest));
    expect(hash).toBe(sha256Hex(canonicalJson(rest)));
    expect(hashRecord({ ...rest, seq: 8 })).not.toBe(hash);
    expect(hashRecord({ ...rest, prev_hash: '1'.repeat(64) })).not.toBe(hash);
  });

  test('absent input fields become null and actor_chain []', () => {
    const n = normalizeAuditInput({ call_id: 'c1', event: 'received', tool: 't' });
    expect(n.user).toBeNull();
    expect(n.token).toBeNull();
    expect(n.actor_chain).toEqual([]);
    expect(Object.keys(n)).toHaveLength(21);
  });
});
