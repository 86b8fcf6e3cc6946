// What an anomaly leads to: an `anomaly` audit record, a log warning, a banner on the
// console (which reads those records), and, with `anomalies.suspendAfter`, the agent's
// suspension: a revocation of its delegation with its reason, as `mandate revoke` makes one.
// The detector (src/audit/anomalies.ts) sees each record this process writes; at start it
// reads the recent trail, quietly, so an agent's usual rate, hours and tools survive a restart.
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/types.js';
import type { AuditLog } from '../audit/writer.js';
import type { AuditRecord } from '../audit/record.js';
import { AnomalyDetector, DEFAULT_ANOMALY_SETTINGS, type Anomaly } from '../audit/anomalies.js';
import { anomalyInput } from '../audit/events.js';
import { revokeMandate } from '../policy/revoke.js';

/** Records read at start to learn each agent's usual behaviour. */
const PRIME_RECORDS = 5000;

export interface AnomalyWatchOptions {
  store: Store;
  audit: AuditLog;
  logger: Logger;
  config: () => Config;
  /** Drops a suspended agent's cached tokens in this process. */
  invalidate: (agent: string) => Promise<void>;
}

/** Starts watching the records `audit` writes at once; the promise resolves once the recent trail has been read. */
export function watchAnomalies(opts: AnomalyWatchOptions): Promise<void> {
  const settings = () => ({ ...DEFAULT_ANOMALY_SETTINGS, ...opts.config().anomalies });
  const detector = new AnomalyDetector(settings);
  // Records written while the recent trail is read wait for it (start is not held up by it).
  let waiting: AuditRecord[] | null = [];
  opts.audit.observe((records) => { if (waiting) waiting.push(...records); else observe(records); });
  const primed = opts.store.readAudit({ order: 'desc', limit: PRIME_RECORDS }).catch(() => []).then((recent) => {
    const seen = new Set(recent.map((r) => r.seq));
    for (const r of recent.reverse()) detector.observe(r);
    const queued = waiting!.filter((r) => !seen.has(r.seq));
    waiting = null;
    observe(queued);
  });
  const raised = new Map<string, number[]>();
  const suspended = new Set<string>();

  const handle = async (a: Anomaly) => {
    opts.logger.warn({ event: 'anomaly', agent: a.agent, signal: a.signal, tool: a.tool }, `anomaly: ${a.reason}`);
    await opts.audit.record(anomalyInput(a));
    const { suspendAfter, windowMinutes } = { windowMinutes: 60, ...opts.config().anomalies };
    if (!suspendAfter || suspended.has(a.agent)) return;
    const now = Date.now();
    const times = (raised.get(a.agent) ?? []).filter((t) => t > now - windowMinutes * 60_000);
    times.push(now);
    raised.set(a.agent, times);
    if (times.length < suspendAfter) return;
    suspended.add(a.agent);
    const reason = `suspended automatically after ${times.length} anomalies within ${windowMinutes} minutes (anomalies.suspendAfter ${suspendAfter}); last: ${a.reason}`;
    await revokeMandate(opts.store, { agent: a.agent, by: 'mandate (anomalies)', reason }, async () => opts.invalidate(a.agent));
    opts.logger.warn({ event: 'agent_suspended', agent: a.agent }, reason);
  };

  function observe(records: AuditRecord[]): void {
    for (const r of records) {
      for (const a of detector.observe(r)) {
        handle(a).catch((err: unknown) => opts.logger.error({ err: { message: err instanceof Error ? err.message : String(err) } }, 'could not record an anomaly'));
      }
    }
  }
  return primed;
}
