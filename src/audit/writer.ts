// The audit trail's one writer. Decides that a record is durable before `record()` resolves
// (so no result goes out without its record), and is the last line of defence against
// leaks: whatever a caller passes, secrets in `args` and token-shaped text in `reason` are
// redacted here, and `token` keeps only `jti`, `aud`, `scope`, `exp`.
import type { Logger } from '../log.js';
import type { AppendAuditOptions, AuditStore } from '../store/types.js';
import type { AuditInput, AuditRecord } from './record.js';
import { redactSecrets, scrubTokens } from './redact.js';

/** Options of an `AuditLog`. */
export interface AuditLogOptions {
  logger?: Logger;
}

/** Appends audit records to the store's hash chain. */
export class AuditLog {
  private readonly store: AuditStore;
  private readonly logger: Logger | undefined;
  private readonly observers: Array<(records: AuditRecord[]) => void> = [];

  constructor(store: AuditStore, options: AuditLogOptions = {}) {
    this.store = store;
    this.logger = options.logger;
  }

  /**
   * Appends one record and resolves once it is on disk, with its `seq`, `ts` and hashes
   * (`{ durable: false }`: once it is committed; a later durable record flushes it to disk).
   * Rejects when the store fails: the caller must then not return the call's result.
   */
  async record(input: AuditInput, options?: AppendAuditOptions): Promise<AuditRecord> {
    const [record] = await this.recordMany([input], options);
    return record!;
  }

  /** Tells `observer` of every batch of records once written (the anomaly watch, telemetry); an observer's error never reaches the writer. */
  observe(observer: (records: AuditRecord[]) => void): void {
    this.observers.push(observer);
  }

  /** Appends several records of one moment, consecutively, in one transaction. */
  async recordMany(inputs: AuditInput[], options?: AppendAuditOptions): Promise<AuditRecord[]> {
    const safe = inputs.map(sanitize);
    try {
      const records = await this.store.appendAudit(safe, options);
      for (const r of records) {
        this.logger?.debug(
          { call_id: r.call_id, session_id: r.session_id, agent: r.agent, tool: r.tool, event: r.event, seq: r.seq },
          'audit record written',
        );
      }
      for (const observer of this.observers) {
        try { observer(records); } catch (err) { this.logger?.error({ err }, 'an audit observer failed'); }
      }
      return records;
    } catch (err) {
      for (const i of safe) {
        this.logger?.error(
          { call_id: i.call_id, session_id: i.session_id ?? null, agent: i.agent ?? null, tool: i.tool, event: i.event, err },
          'audit record could not be written',
        );
      }
      throw err;
    }
  }
}

function sanitize(input: AuditInput): AuditInput {
  const t = input.token;
  return {
    ...input,
    args: input.args === undefined || input.args === null ? null : redactSecrets(input.args),
    reason: typeof input.reason === 'string' ? scrubTokens(input.reason) : (input.reason ?? null),
    ...(typeof input.purpose === 'string' ? { purpose: scrubTokens(input.purpose) } : {}),
    token: t ? { jti: t.jti ?? null, aud: t.aud ?? null, scope: t.scope ?? null, exp: t.exp ?? null } : null,
  };
}
