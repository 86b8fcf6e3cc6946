// Behaviours of the audit trail's pure modules that mutation testing found no test holding
// (issue #17): redaction corners, the checkpoint at seq 0, and canonical JSON's depth guard.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CanonicalJsonError, canonicalJson } from '../../src/audit/canonical.js';
import { argsDigest } from '../../src/audit/digest.js';
import { GENESIS_HASH, normalizeAuditInput, sealRecord } from '../../src/audit/record.js';
import type { AuditRecord } from '../../src/audit/record.js';
import { REDACTED, maskValue, redactArgs, redactSecrets, rulesForTool, scrubTokens } from '../../src/audit/redact.js';
import { verifyChain, verifyLinks } from '../../src/audit/verify.js';
import { sampleInput } from '../store/helpers.js';

// Token-shaped fakes are assembled at run time, so no tracked file looks like it holds a secret.
const xox = (kind: string, rest: string) => `xo${'x'}${kind}-${rest}`;

describe('redaction: token shapes', () => {
  it('redacts short Slack tokens by their own shape (too short for the generic scrubber)', () => {
    for (const t of [xox('b', '123456'), xox('p', '1-2-abc'), `xa${'pp'}-1-A0-99`, xox('a', '2-abcdef')]) {
      expect(scrubTokens(`use ${t} now`), t).toBe(`use ${REDACTED} now`);
    }
    // Not a Slack token: too short after the prefix, or another prefix.
    expect(scrubTokens('xoxb-12345')).toBe('xoxb-12345');
    expect(scrubTokens('xoxB-123456')).toBe('xoxB-123456');
  });

  it('redacts short JWTs, HubSpot, Google access and refresh tokens', () => {
    expect(scrubTokens('a eyJabcd.eyJabcd.sig b')).toBe(`a ${REDACTED} b`);
    expect(scrubTokens(`pat-${'na1'}-0123abcd-0123-4567`)).toBe(REDACTED);
    expect(scrubTokens('ya29.abcdefghij')).toBe(REDACTED);
    expect(scrubTokens('ya29.abcdefghi')).toBe('ya29.abcdefghi');
    expect(scrubTokens('1//abcdefghijklmnopqrst')).toBe(REDACTED);
    expect(scrubTokens('x1//abcdefghijklmnopqrst')).toBe('x1//abcdefghijklmnopqrst');
  });

  it('a Bearer credential needs a digit or a symbol; a word after Bearer is kept', () => {
    expect(scrubTokens('Authorization: Bearer abc123def456')).toBe(`Authorization: Bearer ${REDACTED}`);
    expect(scrubTokens('basic  QWxhZGRpbjpvcGVu')).toBe('basic  QWxhZGRpbjpvcGVu');
    expect(scrubTokens('Basic  QWxhZGRpbjpvcGVu=')).toBe(`Basic  ${REDACTED}`);
    expect(scrubTokens('the Bearer generalities')).toBe('the Bearer generalities');
  });

  it('a long random run is redacted, a long word or id is not', () => {
    const key = 'Zq8xW3vR7tY1uI5oP9aS2dF6gH0jK4lM';
    expect(scrubTokens(`k=${key}`)).toBe(`k=${REDACTED}`);
    expect(scrubTokens('a'.repeat(40))).toBe('a'.repeat(40));
    expect(scrubTokens('abcdefghijklmnopqrstuvwxyzABCDEF')).toBe('abcdefghijklmnopqrstuvwxyzABCDEF'); // no digit
    expect(scrubTokens('01234567890123456789012345678901ab')).toBe('01234567890123456789012345678901ab'); // no upper case
    expect(scrubTokens('Aa1Aa1Aa1Aa1Aa1Aa1Aa1Aa1Aa1Aa1Aa1Aa1')).toBe('Aa1Aa1Aa1Aa1Aa1Aa1Aa1Aa1Aa1Aa1Aa1Aa1'); // low entropy
  });
});

describe('redaction: rules', () => {
  it('`*` over object keys acts on every key', () => {
    const out = redactArgs('crm_create_contact', { properties: { email: 'dana@example.com', phone: '555-0100' } }, {
      crm_create_contact: { 'properties.*': 'drop' },
    });
    expect(out).toEqual({ properties: {} });
    expect(redactArgs('t', { p: { a: 'alpha', b: 'bravo' } }, { t: { 'p.*': 'mask' } })).toEqual({ p: { a: 'al…', b: 'br…' } });
  });

  it('an exact tool rule beats a crm_* rule on the same field, whatever the key order', () => {
    const args = { email: 'dana@example.com' };
    const a = redactArgs('crm_create_contact', args, { 'crm_*': { email: 'drop' }, crm_create_contact: { email: 'mask' } });
    const b = redactArgs('crm_create_contact', args, { crm_create_contact: { email: 'mask' }, 'crm_*': { email: 'drop' } });
    expect(a).toEqual({ email: 'd***@example.com' });
    expect(b).toEqual(a);
    // And the longer prefix beats the shorter one.
    expect([...rulesForTool('crm_create_contact', { 'crm_create*': { email: 'hash' }, 'crm_*': { email: 'drop' } })]).toEqual([['email', 'hash']]);
    expect([...rulesForTool('crm_create_contact', { 'crm_*': { email: 'drop' }, 'crm_create*': { email: 'hash' } })]).toEqual([['email', 'hash']]);
    expect([...rulesForTool('slack_post_message', { 'crm_*': { email: 'drop' }, crm_create_contact: { x: 'hash' } })]).toEqual([]);
  });

  it('array indexes and `*` over arrays', () => {
    expect(redactArgs('t', { a: ['x1', 'y2', 'z3'] }, { t: { 'a.1': 'drop' } })).toEqual({ a: ['x1', 'z3'] });
    expect(redactArgs('t', { a: ['x1', 'y2'] }, { t: { 'a.*': 'hash' } })).toEqual({ a: [expect.stringMatching(/^sha256:/), expect.stringMatching(/^sha256:/)] });
    expect(redactArgs('t', { a: [{ e: 'alpha' }, { e: 'bravo' }] }, { t: { 'a.0.e': 'mask' } })).toEqual({ a: [{ e: 'al…' }, { e: 'bravo' }] });
    expect(redactArgs('t', { a: [{ e: 'alpha' }, { e: 'bravo' }] }, { t: { 'a.e': 'drop' } })).toEqual({ a: [{}, {}] });
  });

  it('masking never reveals a whole value, nor the whole local part of an address', () => {
    fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 12 }), (s) => {
      const m = maskValue(s) as string;
      expect(m).not.toBe(s);
      expect(m.includes(s) && s.length > 0 && !s.includes('@')).toBe(false);
    }));
    expect(maskValue('d@example.com')).toBe('***@example.com');
    expect(maskValue('dana@example.com')).toBe('d***@example.com');
    expect(maskValue('a')).toBe('…');
    expect(maskValue('ab')).toBe('a…');
    expect(maskValue('abcdefgh')).toBe('abc…');
    expect(maskValue(7)).toBe('…');
    expect(maskValue(123456)).toBe('123…');
    expect(maskValue(null)).toBeNull();
    expect(maskValue(true)).toBe('[masked]');
    expect(maskValue({ a: 1 })).toBe('[masked]');
  });
});

describe('redaction: odd arguments', () => {
  it('null arguments stay null; a null under a secret name says nothing secret', () => {
    expect(redactArgs('t', null)).toBeNull();
    expect(redactArgs('t', undefined)).toBeNull();
    expect(redactSecrets({ token: null, password: false, secret: 0 })).toEqual({ token: null, password: false, secret: REDACTED });
    expect(redactArgs('t', { a: null }, { t: { a: 'mask' } })).toEqual({ a: null });
  });

  it('cyclic arguments are redacted without a crash; a shared (acyclic) value is kept twice', () => {
    const cyclic: Record<string, unknown> = { name: 'loop', token: xox('b', '123456789') };
    cyclic.self = cyclic;
    const list: unknown[] = ['a'];
    list.push(list);
    expect(redactArgs('t', { cyclic, list })).toEqual({ cyclic: { name: 'loop', token: REDACTED, self: '[circular]' }, list: ['a', '[circular]'] });
    const shared = { v: 1 };
    expect(redactSecrets({ a: shared, b: [shared, shared] })).toEqual({ a: { v: 1 }, b: [{ v: 1 }, { v: 1 }] });
    // The digest refuses a cycle with its own error, not a stack overflow.
    expect(() => argsDigest(cyclic)).toThrow(CanonicalJsonError);
  });

  it('JSON copies: non-finite numbers, BigInt, functions, undefined and toJSON', () => {
    expect(redactSecrets({ n: Number.NaN, i: Infinity, b: 10n, f: () => 1, u: undefined, d: new Date(0), arr: [undefined, () => 1] }))
      .toEqual({ n: null, i: null, b: '10', d: '1970-01-01T00:00:00.000Z', arr: [null, null] });
  });
});

describe('canonical JSON: the depth guard', () => {
  const nest = (depth: number, wrap: (v: unknown) => unknown) => {
    let v: unknown = 1;
    for (let i = 0; i < depth; i++) v = wrap(v);
    return v;
  };

  it('refuses arrays and objects nested deeper than 500 levels, and accepts 500', () => {
    expect(() => canonicalJson(nest(501, (v) => [v]))).toThrow(CanonicalJsonError);
    expect(() => canonicalJson(nest(501, (v) => ({ k: v })))).toThrow(CanonicalJsonError);
    expect(() => canonicalJson(nest(300, (v) => [{ k: v }]))).toThrow(/nested deeper than 500 levels/);
    expect(canonicalJson(nest(500, (v) => [v]))).toBe('['.repeat(500) + '1' + ']'.repeat(500));
    expect(canonicalJson(nest(500, (v) => ({ k: v })))).toBe('{"k":'.repeat(500) + '1' + '}'.repeat(500));
  });

  it('a cyclic array is refused as too deep', () => {
    const a: unknown[] = [];
    a.push(a);
    expect(() => canonicalJson(a)).toThrow(CanonicalJsonError);
    expect(() => canonicalJson({ a: [1, a] })).toThrow(CanonicalJsonError);
  });

  it('writes values exactly', () => {
    expect(canonicalJson([true, false, null, undefined, () => 1, 'x', -0, 1e21])).toBe('[true,false,null,null,null,"x",0,1e+21]');
    expect(canonicalJson({ b: 1, a: undefined, c: [], d: {} })).toBe('{"b":1,"c":[],"d":{}}');
    expect(() => canonicalJson(undefined)).toThrow(CanonicalJsonError);
    expect(() => canonicalJson(Number.NaN)).toThrow('NaN has no JSON form');
    expect(() => canonicalJson(1n)).toThrow('BigInt has no canonical JSON form');
    expect(argsDigest(undefined)).toBe(argsDigest({}));
    expect(argsDigest(null)).toBe(argsDigest({}));
  });
});

/** A valid chain of `n` records, built in memory. */
function chain(n: number): AuditRecord[] {
  const out: AuditRecord[] = [];
  let prev = GENESIS_HASH;
  for (let i = 1; i <= n; i++) {
    const { record } = sealRecord(normalizeAuditInput(sampleInput(i)), i, `2025-01-01T00:00:0${i % 10}.000Z`, prev);
    out.push(record);
    prev = record.hash;
  }
  return out;
}

describe('audit verify: checkpoints', () => {
  it('a checkpoint naming seq 0 must carry the genesis hash', async () => {
    const records = chain(3);
    expect(await verifyChain(records, { seq: 0, hash: GENESIS_HASH })).toMatchObject({ ok: true, count: 3 });
    const forged = await verifyChain(records, { seq: 0, hash: 'f'.repeat(64) });
    expect(forged).toEqual({ ok: false, count: 3, seq: 0, call_id: null, reason: 'the checkpoint names seq 0 with a non-genesis hash' });
    expect(await verifyChain([], { seq: 0, hash: 'f'.repeat(64) })).toMatchObject({ ok: false, seq: 0 });
    expect(await verifyChain([], { seq: 0, hash: GENESIS_HASH })).toEqual({ ok: true, count: 0, head: null });
  });

  it('every checkpoint of a list is held, not only the first', async () => {
    const records = chain(4);
    const good = { seq: 2, hash: records[1]!.hash };
    expect(await verifyChain(records, [good, { seq: 4, hash: records[3]!.hash }])).toMatchObject({ ok: true, count: 4 });
    expect(await verifyChain(records, [good, { seq: 3, hash: 'e'.repeat(64) }])).toMatchObject({ ok: false, seq: 3, reason: 'it differs from the checkpoint (chain rewritten)' });
    expect(await verifyChain(records, [good, { seq: 9, hash: 'e'.repeat(64) }])).toMatchObject({
      ok: false, seq: 5, reason: 'truncated tail: the chain ends at seq 4 but the checkpoint names seq 9',
    });
  });

  it('names the gap exactly: one missing record, or a range', async () => {
    const r = chain(5);
    expect(await verifyChain([r[0]!, r[2]!])).toMatchObject({ ok: false, count: 1, seq: 3, reason: 'seq 2 is missing before it (deleted or reordered records)' });
    expect(await verifyChain([r[0]!, r[3]!])).toMatchObject({ ok: false, seq: 4, reason: 'seq 2..3 are missing before it (deleted or reordered records)' });
    expect(await verifyChain([r[0]!, r[1]!, r[0]!])).toMatchObject({ ok: false, seq: 1, reason: 'seq 1 comes after seq 2 (inserted or reordered record)' });
  });

  it('a link whose seq is not an integer, or stored elsewhere than it says, is named where it was found', async () => {
    const text = 'x';
    const { sha256Hex } = await import('../../src/audit/canonical.js');
    expect(await verifyLinks([{ at: 1, seq: '1', call_id: 'c1', prev_hash: GENESIS_HASH, hash: sha256Hex(text), text }])).toEqual({
      ok: false, count: 0, seq: 1, call_id: 'c1', reason: 'malformed record: seq is not an integer',
    });
    expect(await verifyLinks([{ seq: 1.5, call_id: 7, prev_hash: GENESIS_HASH, hash: sha256Hex(text), text }])).toEqual({
      ok: false, count: 0, seq: 1, call_id: null, reason: 'malformed record: seq is not an integer',
    });
    expect(await verifyLinks([{ at: 2, seq: 1, call_id: 'c1', prev_hash: GENESIS_HASH, hash: sha256Hex(text), text }])).toMatchObject({
      ok: false, seq: 2, reason: 'the record stored at seq 2 is seq 1 (inserted, deleted or reordered records)',
    });
    expect(await verifyLinks([{ at: 3, seq: 1, call_id: 'c1', prev_hash: GENESIS_HASH, hash: 'nope', text }])).toMatchObject({
      ok: false, seq: 3, reason: 'its contents do not match its hash (edited record)',
    });
  });

  it('a record missing a field is malformed, named by its place', async () => {
    const [r1, r2] = chain(2);
    const { hash: _h, ...noHash } = r2!;
    const broken = { ...noHash, tool: undefined } as unknown as AuditRecord;
    expect(await verifyChain([r1!, broken])).toMatchObject({ ok: false, count: 1, seq: 2, reason: expect.stringMatching(/^malformed record: audit record has no tool field/) });
  });
});
