// Tests that pin down the audit trail's pure modules where mutation testing found a change no
// other test noticed (issue #17): exact messages, JSON copies, rule paths, config patterns,
// and how verification names what it found.
import { afterAll, describe, expect, it } from 'vitest';
import { CanonicalJsonError, canonicalJson, sha256Hex } from '../../src/audit/canonical.js';
import { GENESIS_HASH, normalizeAuditInput, sealRecord } from '../../src/audit/record.js';
import type { AuditRecord } from '../../src/audit/record.js';
import { REDACTED, auditRedactConfigSchema, hashValue, maskValue, redactArgs, redactSecrets, rulesForTool, scrubTokens } from '../../src/audit/redact.js';
import { verifyChain, verifyStore } from '../../src/audit/verify.js';
import { openStore } from '../../src/store/index.js';
import { cleanupHomes, fill, sampleInput, tempHome } from '../store/helpers.js';

afterAll(cleanupHomes);

describe('canonical JSON: errors and values without a form', () => {
  it('its error is a CanonicalJsonError by name, with a plain message', () => {
    const err = (() => { try { canonicalJson(undefined); } catch (e) { return e as Error; } })()!;
    expect(err).toBeInstanceOf(CanonicalJsonError);
    expect(err.name).toBe('CanonicalJsonError');
    expect(err.message).toBe('the value has no JSON form (undefined or a function)');
    expect(() => canonicalJson(() => 1)).toThrow('the value has no JSON form (undefined or a function)');
    expect(() => canonicalJson(Infinity)).toThrow('Infinity has no JSON form');
    expect(() => canonicalJson({ a: [1, 2n] })).toThrow('BigInt has no canonical JSON form');
  });

  it('functions and symbols are left out of objects and are null in arrays', () => {
    expect(canonicalJson({ f: () => 1, s: Symbol('x'), u: undefined, n: null })).toBe('{"n":null}');
    expect(canonicalJson([() => 1, Symbol('x'), undefined])).toBe('[null,null,null]');
    expect(canonicalJson('a"b')).toBe('"a\\"b"');
    expect(canonicalJson({ b: 'x', a: [true, { d: 1, c: 2 }] })).toBe('{"a":[true,{"c":2,"d":1}],"b":"x"}');
  });
});

describe('redaction: JSON copies and secrets', () => {
  it('undefined and functions are left out of objects, not kept as undefined', () => {
    const out = redactSecrets({ u: undefined, f: () => 1, s: Symbol('s'), k: 1 }) as Record<string, unknown>;
    expect(Object.keys(out)).toEqual(['k']);
    expect(redactSecrets(null)).toBeNull();
    expect(redactSecrets({ a: null, b: [null] })).toEqual({ a: null, b: [null] });
    expect(redactSecrets(`xo${'x'}b-123456789`)).toBe(REDACTED); // assembled at run time: no tracked file looks like a secret
    expect(redactSecrets(42)).toBe(42);
  });

  it('a long run needs upper case, lower case and digits to count as random', () => {
    expect(scrubTokens('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789')).toBe('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'); // no lower case
    expect(scrubTokens('abcdefghijklmnopqrstuvwxyz0123456789')).toBe('abcdefghijklmnopqrstuvwxyz0123456789'); // no upper case
    expect(scrubTokens('aBcDeFgHiJkLmNoPqRsTuVwXyZaBcDeFgH')).toBe('aBcDeFgHiJkLmNoPqRsTuVwXyZaBcDeFgH'); // no digit
    expect(scrubTokens('aB3dE5gH7jK9mN1pQ2sT4vW6yZ8bC0fG')).toBe(REDACTED);
  });

  it('hash: a string hashes its own text, anything else its canonical JSON', () => {
    expect(hashValue('x')).toBe(`sha256:${sha256Hex('x')}`);
    expect(hashValue({ b: 1, a: 2 })).toBe(`sha256:${sha256Hex('{"a":2,"b":1}')}`);
    expect(hashValue(5)).toBe(`sha256:${sha256Hex('5')}`);
    expect(hashValue(null)).toBe(`sha256:${sha256Hex('null')}`);
  });

  it('mask: an address is an address only when whole (no spaces, one @)', () => {
    expect(maskValue('dana smith@example.com')).toBe('dan…');
    expect(maskValue('xx dana@example.com')).toBe('xx …');
    expect(maskValue('dana@example.com yes')).toBe('dan…');
    expect(maskValue('dana@')).toBe('da…');
  });
});

describe('redaction: rule paths', () => {
  it('a path through a value that is not an object leaves it alone', () => {
    expect(redactArgs('t', { a: 'text', b: null, c: 5 }, { t: { 'a.x': 'drop', 'b.x': 'drop', 'c.x': 'mask' } })).toEqual({ a: 'text', b: null, c: 5 });
  });

  it('a missing field is not created', () => {
    const out = redactArgs('t', { a: 1 }, { t: { b: 'mask', 'c.d': 'hash' } }) as Record<string, unknown>;
    expect(out).toEqual({ a: 1 });
    expect(Object.keys(out)).toEqual(['a']);
  });

  it('indexes are whole numbers: 11 is the twelfth element; "1a" and "a1" are keys', () => {
    const list = Array.from({ length: 12 }, (_, i) => `v${i}`);
    expect(redactArgs('t', { a: list }, { t: { 'a.11': 'drop' } })).toEqual({ a: list.slice(0, 11) });
    expect(redactArgs('t', { a: [{ '1a': 'x', a1: 'y' }, 'z'] }, { t: { 'a.1a': 'drop', 'a.a1': 'mask' } })).toEqual({ a: [{ a1: '…' }, 'z'] });
    expect(redactArgs('t', { a: ['x1', 'y2'] }, { t: { 'a.1': 'mask' } })).toEqual({ a: ['x1', 'y…'] });
    expect(redactArgs('t', { a: [['p', 'q']] }, { t: { 'a.0.1': 'drop' } })).toEqual({ a: [['p']] });
  });

  it('a pattern is a prefix without its *', () => {
    expect([...rulesForTool('cx', { 'crm_*': { a: 'drop' } })]).toEqual([]);
    expect([...rulesForTool('crm_x', { 'crm_*': { a: 'drop' } })]).toEqual([['a', 'drop']]);
    expect([...rulesForTool('crm_x', { '*': { a: 'hash' } })]).toEqual([['a', 'hash']]);
    expect([...rulesForTool('crm_x', undefined)]).toEqual([]);
  });

  it('the config: tool names or prefixes ending in *, non-empty field paths, known actions', () => {
    const ok = (v: unknown) => auditRedactConfigSchema.safeParse(v).success;
    expect(ok({ crm_create_contact: { email: 'hash' }, 'crm_*': { 'properties.phone': 'drop' }, '*': { x: 'mask' } })).toBe(true);
    expect(ok({ 'crm*x': { email: 'hash' } })).toBe(false);
    expect(ok({ 'a b': { email: 'hash' } })).toBe(false);
    expect(ok({ crm: { '': 'hash' } })).toBe(false);
    expect(ok({ crm: { email: 'blur' } })).toBe(false);
    const bad = auditRedactConfigSchema.safeParse({ 'a b': {} });
    const issue = bad.success ? undefined : (bad.error.issues[0] as { issues?: Array<{ message: string }> });
    expect(issue?.issues?.[0]?.message).toBe('must be a tool name, or a prefix ending in *');
  });
});

/** A valid chain of `n` records, built in memory. */
function chain(n: number): AuditRecord[] {
  const out: AuditRecord[] = [];
  let prev = GENESIS_HASH;
  for (let i = 1; i <= n; i++) {
    const { record } = sealRecord(normalizeAuditInput(sampleInput(i)), i, '2025-01-01T00:00:00.000Z', prev);
    out.push(record);
    prev = record.hash;
  }
  return out;
}

describe('audit verify: what it names', () => {
  it('a broken prev_hash names the record before it', async () => {
    const [r1, r2] = chain(2);
    const { record: forged } = sealRecord(normalizeAuditInput(sampleInput(2)), 2, '2025-01-01T00:00:00.000Z', 'f'.repeat(64));
    expect(await verifyChain([r1!, forged])).toEqual({
      ok: false, count: 1, seq: 2, call_id: r2!.call_id,
      reason: 'its prev_hash does not match the hash of seq 1 (inserted, deleted or reordered record)',
    });
  });

  it('one checkpoint, not in a list, is held', async () => {
    const records = chain(3);
    expect(await verifyChain(records, { seq: 2, hash: 'e'.repeat(64) })).toMatchObject({ ok: false, seq: 2 });
    expect(await verifyChain(records, { seq: 2, hash: records[1]!.hash })).toMatchObject({ ok: true, count: 3, head: { seq: 3, hash: records[2]!.hash } });
    expect(await verifyChain(records, null)).toMatchObject({ ok: true, count: 3 });
  });

  it('a record that is not a record is malformed, named by its place', async () => {
    const [r1] = chain(1);
    expect(await verifyChain([r1!, null as unknown as AuditRecord])).toMatchObject({ ok: false, count: 1, seq: 2, call_id: null, reason: expect.stringMatching(/^malformed record: /) });
  });

  it("a record beyond the store's checkpoint is named by its seq and call_id", async () => {
    const store = openStore(tempHome());
    try {
      await fill(store, 4);
      const records = await store.readAudit({ order: 'asc' });
      await store.putAuditCheckpoint({ seq: 2, hash: records[1]!.hash });
      expect(await verifyStore(store)).toEqual({
        ok: false, count: 2, seq: 3, call_id: records[2]!.call_id,
        reason: "record beyond the store's checkpoint (seq 2): not appended by Mandate (inserted record)",
      });
    } finally {
      await store.close();
    }
  });
});
