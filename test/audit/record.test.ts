// normalizeAuditInput checks plain inputs by hand and leaves everything else to the zod
// schema. The hand check must never accept what the schema refuses, and must give the same
// normalized record: random inputs, valid and broken, decide that.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { AUDIT_EVENTS, auditInputSchema, canonicalRecordText, hashRecord, isPlainValidAuditInput, normalizeAuditInput } from '../../src/audit/record.js';
import { canonicalJson } from '../../src/audit/canonical.js';

const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(fc.option(arb, { nil: null }), { nil: undefined });
const oddValue = fc.oneof(fc.constant(Number.NaN), fc.constant(Infinity), fc.constant(undefined), fc.integer(), fc.string(), fc.boolean(), fc.constant([]), fc.constant({}), fc.date());
const fieldOr = <T>(good: fc.Arbitrary<T>) => fc.oneof({ weight: 6, arbitrary: good }, { weight: 1, arbitrary: oddValue });

const token = fc.oneof(
  fc.record({ jti: maybe(fc.string()).map((v) => v ?? null), aud: fc.oneof(fc.string(), fc.array(fc.string()), fc.constant(null)), scope: fc.oneof(fc.string(), fc.constant(null)), exp: fc.oneof(fc.integer(), fc.constant(null), fc.constant(Infinity)) }),
  fc.record({ jti: fc.string(), aud: fc.string() }), // keys missing
  fc.record({ jti: fc.string(), aud: fc.string(), scope: fc.string(), exp: fc.integer(), extra: fc.string() }), // a key too many
);

const input = fc.record(
  {
    call_id: fieldOr(fc.string()),
    event: fieldOr(fc.constantFrom(...AUDIT_EVENTS)),
    tool: fieldOr(fc.string()),
    access: fieldOr(maybe(fc.constantFrom('read', 'write', 'destructive'))),
    user: fieldOr(maybe(fc.string())),
    agent: fieldOr(maybe(fc.string())),
    actor_chain: fieldOr(maybe(fc.array(fc.string()))),
    mcp_request_id: fieldOr(maybe(fc.oneof(fc.string(), fc.integer(), fc.double()))),
    token: fieldOr(maybe(token)),
    args: fieldOr(maybe(fc.jsonValue())),
    duration_ms: fieldOr(maybe(fc.double())),
    outcome: fieldOr(maybe(fc.string())),
    receipt: fieldOr(maybe(fc.string())),
    account: fieldOr(maybe(fc.string())),
    purpose: fieldOr(maybe(fc.string())),
    task_id: fieldOr(maybe(fc.string())),
  },
  { requiredKeys: ['call_id', 'event', 'tool'] },
).chain((base) => fc.oneof({ weight: 8, arbitrary: fc.constant(base) }, { weight: 1, arbitrary: fc.constant({ ...base, unknown_key: 1 }) }));

describe('audit input normalization', () => {
  it('the hand check accepts only what the schema accepts, and normalizes to the same record', () => {
    let accepted = 0;
    fc.assert(
      fc.property(input, (x) => {
        const fast = isPlainValidAuditInput(x);
        const schema = auditInputSchema.safeParse(x);
        if (fast) {
          accepted++;
          expect(schema.success).toBe(true);
          expect(normalizeAuditInput(x as never)).toEqual(normalizeAuditInput(schema.data as never));
        }
      }),
      { numRuns: 3000 },
    );
    expect(accepted).toBeGreaterThan(100); // the fast path is taken, not just skipped
  });

  it('refuses what the schema refuses, naming the field', () => {
    expect(() => normalizeAuditInput({ call_id: '', event: 'received', tool: 't' })).toThrow(/call_id/);
    expect(() => normalizeAuditInput({ call_id: 'c', event: 'nope' as never, tool: 't' })).toThrow(/event/);
    expect(() => normalizeAuditInput({ call_id: 'c', event: 'received', tool: 't', args: { n: Number.NaN } as never })).toThrow(/args/);
    expect(() => normalizeAuditInput({ call_id: 'c', event: 'received', tool: 't', surprise: 1 } as never)).toThrow(/surprise/);
  });

  it('fills absent fields with null and an absent actor chain with []; an absent receipt, account, purpose or task_id stays absent', () => {
    const r = normalizeAuditInput({ call_id: 'c', event: 'received', tool: 't' });
    expect(r).toMatchObject({ call_id: 'c', user: null, token: null, args: null, actor_chain: [], duration_ms: null });
    const optional = ['receipt', 'account', 'purpose', 'task_id'];
    expect(Object.keys(r).sort()).toEqual(Object.keys(auditInputSchema.shape).filter((k) => !optional.includes(k)).sort());
    expect('purpose' in normalizeAuditInput({ call_id: 'c', event: 'executed', tool: 't', purpose: null })).toBe(false);
    expect('task_id' in normalizeAuditInput({ call_id: 'c', event: 'executed', tool: 't', task_id: null })).toBe(false);
    expect(normalizeAuditInput({ call_id: 'c', event: 'executed', tool: 't', purpose: 'tell the team', task_id: 'T-1' })).toMatchObject({ purpose: 'tell the team', task_id: 'T-1' });
    expect('receipt' in normalizeAuditInput({ call_id: 'c', event: 'executed', tool: 't', receipt: null })).toBe(false);
    expect('account' in normalizeAuditInput({ call_id: 'c', event: 'executed', tool: 't', account: null })).toBe(false);
    expect(normalizeAuditInput({ call_id: 'c', event: 'executed', tool: 't', account: 'work: T0WORK' }).account).toBe('work: T0WORK');
    expect(normalizeAuditInput({ call_id: 'c', event: 'executed', tool: 't', receipt: 'sha256:ab' }).receipt).toBe('sha256:ab');
  });

  it('a record hashes as the canonical JSON of its fields: receipt included when set, left out when absent', () => {
    const base = normalizeAuditInput({ call_id: 'c', event: 'executed', tool: 't' });
    const plain = { ...base, seq: 1, ts: '2025-03-01T10:00:00.000Z', prev_hash: '0'.repeat(64) };
    expect(canonicalRecordText(plain)).toBe(canonicalJson(plain));
    expect(canonicalRecordText(plain)).not.toContain('receipt');
    const withReceipt = { ...plain, receipt: 'sha256:' + 'e'.repeat(64) };
    expect(canonicalRecordText(withReceipt)).toBe(canonicalJson(withReceipt));
    expect(canonicalRecordText(plain)).not.toContain('account');
    const withAccount = { ...withReceipt, account: 'work: T0WORK (Work)' };
    expect(canonicalRecordText(withAccount)).toBe(canonicalJson(withAccount));
    expect(hashRecord(withAccount)).not.toBe(hashRecord(withReceipt));
    // purpose and task_id: hashed when set; a record written before them keeps its hash.
    expect(canonicalRecordText(plain)).not.toMatch(/purpose|task_id/);
    const withIntent = { ...withAccount, purpose: 'post the weekly update', task_id: 'task-42' };
    expect(canonicalRecordText(withIntent)).toBe(canonicalJson(withIntent));
    expect(hashRecord(withIntent)).not.toBe(hashRecord(withAccount));
    expect(hashRecord({ ...withAccount, purpose: null, task_id: undefined } as never)).toBe(hashRecord(withAccount));
  });
});
