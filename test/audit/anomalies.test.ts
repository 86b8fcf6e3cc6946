// Each anomaly signal from synthetic records, with the clock in their `ts`.
import { describe, expect, it } from 'vitest';
import { AnomalyDetector } from '../../src/audit/anomalies.js';
import type { AuditRecord } from '../../src/audit/record.js';

const T0 = Date.parse('2026-11-02T09:00:00Z');
let seq = 0;
function rec(event: AuditRecord['event'], at: number, fields: Partial<AuditRecord> = {}): AuditRecord {
  seq += 1;
  return {
    call_id: `c${seq}`, seq, ts: new Date(at).toISOString(), event, tool: 'slack_read_history', access: 'read', user: 'u', client: 'a', agent: 'a',
    actor_chain: ['a'], session_id: null, mcp_request_id: null, decision: null, policy_version: null, reason: null, approval_id: null, approver: null,
    token: null, args_digest: null, args: null, outcome: null, error_code: null, duration_ms: null, prev_hash: '', hash: '', ...fields,
  };
}
const signals = (d: AnomalyDetector, records: AuditRecord[]) => records.flatMap((r) => d.observe(r)).map((a) => a.signal);

describe('anomaly signals', () => {
  it('a spike against the agent\'s own recent rate, once it has history', () => {
    const d = new AnomalyDetector();
    // 2 calls a minute for 10 minutes: its normal rate.
    const normal = Array.from({ length: 20 }, (_, i) => rec('received', T0 + i * 30_000));
    expect(signals(d, normal)).toEqual([]);
    const burst = Array.from({ length: 25 }, (_, i) => rec('received', T0 + 11 * 60_000 + i * 1000));
    const found = burst.flatMap((r) => d.observe(r));
    expect(found.map((a) => a.signal)).toEqual(['spike']);
    expect(found[0]!.reason).toMatch(/^agent a made 20 calls in one minute against 1\.3 a minute/);
  });

  it('a new agent\'s first busy minute is no spike', () => {
    const d = new AnomalyDetector();
    expect(signals(d, Array.from({ length: 40 }, (_, i) => rec('received', T0 + i * 500)))).toEqual([]);
  });

  it('repeated denials and refused tokens within 5 minutes', () => {
    const d = new AnomalyDetector();
    const denials = [
      rec('denied', T0, { error_code: 'read_only' }), rec('exchange_refused', T0 + 1000, { tool: '' }),
      rec('denied', T0 + 2000), rec('denied', T0 + 3000), rec('denied', T0 + 4000, { error_code: 'content_guard', tool: 'slack_post_message' }),
    ];
    const found = denials.flatMap((r) => d.observe(r));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ signal: 'denials', reason: 'agent a was refused 5 times within 5 minutes (last: content_guard on slack_post_message)' });
    // Spread over more than 5 minutes: no anomaly.
    const slow = new AnomalyDetector();
    expect(signals(slow, Array.from({ length: 6 }, (_, i) => rec('denied', T0 + i * 90_000)))).toEqual([]);
  });

  it('a call outside the agent\'s usual hours, once they are known', () => {
    const d = new AnomalyDetector(() => ({ spikeFactor: 5, spikeMin: 20, denialsMin: 5, learnCalls: 10 }));
    const days = Array.from({ length: 10 }, (_, i) => rec('received', T0 + i * 86_400_000 + (i % 3) * 3_600_000)); // 09-11 UTC
    expect(signals(d, days)).toEqual([]);
    const night = d.observe(rec('received', T0 + 11 * 86_400_000 - 6 * 3_600_000)); // 03:00 UTC
    expect(night.map((a) => a.reason)).toEqual(['agent a called slack_read_history at 03:00 UTC, outside its usual hours (09-11 UTC)']);
  });

  it('the first use of a write tool by an agent with a history', () => {
    const d = new AnomalyDetector(() => ({ spikeFactor: 5, spikeMin: 20, denialsMin: 5, learnCalls: 3 }));
    const reads = Array.from({ length: 3 }, (_, i) => rec('executed', T0 + i * 1000));
    expect(signals(d, reads)).toEqual([]);
    const write = () => rec('executed', T0 + 9000, { tool: 'slack_post_message', access: 'write' });
    expect(signals(d, [write()])).toEqual(['first_write']);
    expect(signals(d, [write()])).toEqual([]);
  });

  it('records of no agent, and anomaly records themselves, raise nothing', () => {
    const d = new AnomalyDetector(() => ({ spikeFactor: 5, spikeMin: 20, denialsMin: 2, learnCalls: 3 }));
    expect(signals(d, [rec('denied', T0, { agent: null }), rec('anomaly', T0), rec('anomaly', T0)])).toEqual([]);
  });
});
