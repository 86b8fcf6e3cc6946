// Anomaly signals, computed from the audit trail as it is written: per agent,
//   spike         a minute with `spikeFactor` times the agent's rate over the 15 minutes before
//                 (and at least `spikeMin` calls), once the agent has 5 minutes of history;
//   denials       `denialsMin` denials or refused attempts within 5 minutes;
//   unusual_hours a call in an hour of the day (UTC) the agent has never called in, once it has
//                 made `learnCalls` calls;
//   first_write   the first successful use of a write tool, once the agent has made `learnCalls`
//                 successful calls (a new agent's first writes are its normal start, not news).
// Pure state: records in, anomalies out; the clock is each record's `ts`. What an anomaly
// leads to (a record, a log line, a banner, a suspension) is src/runtime/anomalies.ts.
import type { AuditRecord } from './record.js';
import { REFUSAL_EVENTS } from './record.js';

/** The signals. */
export type AnomalySignal = 'spike' | 'denials' | 'unusual_hours' | 'first_write';

/** One anomaly: whose, which signal, in plain words, and the facts behind it (no arguments, no secrets). */
export interface Anomaly {
  agent: string;
  user: string | null;
  tool: string;
  signal: AnomalySignal;
  reason: string;
  facts: Record<string, string | number>;
}

/** The thresholds (config `anomalies`). */
export interface AnomalySettings {
  spikeFactor: number;
  spikeMin: number;
  denialsMin: number;
  learnCalls: number;
}

export const DEFAULT_ANOMALY_SETTINGS: AnomalySettings = { spikeFactor: 5, spikeMin: 20, denialsMin: 5, learnCalls: 20 };

const MINUTE = 60_000;
const BASELINE_MINUTES = 15;
const DENIAL_WINDOW = 5 * MINUTE;
const REFUSED = new Set<string>(['denied', ...REFUSAL_EVENTS]);

interface AgentState {
  firstSeen: number;
  minutes: Map<number, number>;
  spikeAt: number;
  denials: number[];
  hours: number[];
  calls: number;
  hourAt: number;
  succeeded: number;
  writes: Set<string>;
}

/** Watches records and says when one makes an anomaly. */
export class AnomalyDetector {
  private readonly agents = new Map<string, AgentState>();
  constructor(private readonly settings: () => AnomalySettings = () => DEFAULT_ANOMALY_SETTINGS) {}

  /** The anomalies `record` raises (none for records of no agent, and for `anomaly` and `revoked` records themselves). */
  observe(record: AuditRecord): Anomaly[] {
    const agent = record.agent;
    if (!agent || record.event === 'anomaly' || record.event === 'revoked' || record.event === 'config_changed') return [];
    const at = Date.parse(record.ts);
    if (Number.isNaN(at)) return [];
    const s = this.settings();
    const st = this.state(agent, at);
    const out: Anomaly[] = [];
    const raise = (signal: AnomalySignal, reason: string, facts: Anomaly['facts']) =>
      out.push({ agent, user: record.user, tool: record.tool, signal, reason, facts });

    if (record.event === 'received') {
      const minute = Math.floor(at / MINUTE);
      const count = (st.minutes.get(minute) ?? 0) + 1;
      st.minutes.set(minute, count);
      for (const m of st.minutes.keys()) if (m < minute - BASELINE_MINUTES) st.minutes.delete(m);
      let before = 0;
      for (const [m, n] of st.minutes) if (m < minute) before += n;
      const baseline = before / BASELINE_MINUTES;
      if (at - st.firstSeen >= 5 * MINUTE && count >= s.spikeMin && count >= s.spikeFactor * Math.max(baseline, 1) && st.spikeAt !== minute) {
        st.spikeAt = minute;
        raise('spike', `agent ${agent} made ${count} calls in one minute against ${baseline.toFixed(1)} a minute over the 15 minutes before`, { calls: count, per_minute_before: Number(baseline.toFixed(2)) });
      }
      const hour = new Date(at).getUTCHours();
      const epochHour = Math.floor(at / (60 * MINUTE));
      if (st.calls >= s.learnCalls && st.hours[hour] === 0 && st.hourAt !== epochHour) {
        st.hourAt = epochHour;
        raise('unusual_hours', `agent ${agent} called ${record.tool} at ${String(hour).padStart(2, '0')}:00 UTC, outside its usual hours (${usualHours(st.hours)} UTC)`, { hour_utc: hour });
      }
      st.hours[hour]! += 1;
      st.calls += 1;
    } else if (REFUSED.has(record.event)) {
      st.denials = st.denials.filter((t) => t > at - DENIAL_WINDOW);
      st.denials.push(at);
      if (st.denials.length >= s.denialsMin) {
        const n = st.denials.length;
        st.denials = [];
        raise('denials', `agent ${agent} was refused ${n} times within 5 minutes (last: ${record.error_code ?? record.event} on ${record.tool || 'the authorization server'})`, { refusals: n });
      }
    } else if (record.event === 'executed') {
      const write = record.access === 'write' || record.access === 'destructive';
      if (write && !st.writes.has(record.tool)) {
        st.writes.add(record.tool);
        if (st.succeeded >= s.learnCalls) raise('first_write', `agent ${agent} used the write tool ${record.tool} for the first time`, { calls_before: st.succeeded });
      }
      st.succeeded += 1;
    }
    return out;
  }

  private state(agent: string, at: number): AgentState {
    let st = this.agents.get(agent);
    if (!st) {
      st = { firstSeen: at, minutes: new Map(), spikeAt: -1, denials: [], hours: Array(24).fill(0), calls: 0, hourAt: -1, succeeded: 0, writes: new Set() };
      this.agents.set(agent, st);
    }
    return st;
  }
}

/** The hours an agent has called in, as ranges: `08-11, 14-17`. */
function usualHours(hours: number[]): string {
  const ranges: string[] = [];
  for (let h = 0; h < 24; h++) {
    if (!hours[h]) continue;
    let end = h;
    while (end + 1 < 24 && hours[end + 1]) end++;
    ranges.push(end === h ? String(h).padStart(2, '0') : `${String(h).padStart(2, '0')}-${String(end).padStart(2, '0')}`);
    h = end;
  }
  return ranges.join(', ') || 'none';
}
