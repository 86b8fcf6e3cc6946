// The Activity view's data: the audit trail folded into one row per tool call (newest first),
// and calls per hour per agent over the last 24 hours. A call is counted once, by its
// `received` record; its row shows the decision and outcome of its latest record.
import type { AuditRecord } from '../../audit/record.js';
import { scrubTokens } from '../../audit/redact.js';
import type { Store } from '../../store/types.js';
import type { AnyTool } from '../../../tools/define.js';
import type { ActivityQuery, Outcome } from './schemas.js';

/** One tool call as the Activity view lists it. */
export interface ActivityRow {
  call_id: string;
  /** When the call arrived (its first record). */
  ts: string;
  agent: string | null;
  user: string | null;
  tool: string;
  /** One line: the tool's own summary of the (redacted) arguments, or `tool key=value …`. */
  summary: string;
  /** The purpose and task the client sent with the call, when it did. */
  purpose?: string;
  task_id?: string;
  decision: string | null;
  outcome: Outcome;
  error_code: string | null;
}

export interface HourlyActivity {
  /** Start of each of the 24 hours, oldest first (ISO, UTC). */
  hours: string[];
  agents: { agent: string; counts: number[] }[];
  /** True when the day held more calls than were read. */
  truncated: boolean;
}

const HOUR = 3_600_000;
/** Records read per call wanted: a call leaves 2 to 4. */
const RECORDS_PER_CALL = 5;
/** At most this many records are read for one answer. */
const MAX_READ = 20_000;
const MAX_SUMMARY = 160;

function outcomeOf(last: AuditRecord): Outcome {
  if (last.event === 'denied') return 'denied';
  if (last.outcome === 'ok') return 'ok';
  if (last.outcome === 'pending') return 'pending';
  if (last.outcome === 'error' || last.event === 'failed' || last.event === 'rejected') return 'error';
  return 'running';
}

function shortValue(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v) ?? '';
  return s.length > 40 ? `${s.slice(0, 39)}…` : s;
}

/** A one-line account of a call from its stored (redacted) arguments. */
export function summarize(tool: AnyTool | undefined, toolName: string, args: unknown): string {
  let line: string | undefined;
  if (tool && args && typeof args === 'object' && !Array.isArray(args)) {
    const parsed = tool.input.safeParse(args);
    if (parsed.success) {
      try {
        line = tool.summarize(parsed.data);
      } catch {
        line = undefined;
      }
    }
  }
  if (line === undefined) {
    const pairs = args && typeof args === 'object' && !Array.isArray(args)
      ? Object.entries(args as Record<string, unknown>).slice(0, 3).map(([k, v]) => `${k}=${shortValue(v)}`)
      : [];
    line = [toolName, ...pairs].join(' ');
  }
  const one = scrubTokens(line).replace(/\s+/g, ' ').trim();
  return one.length > MAX_SUMMARY ? `${one.slice(0, MAX_SUMMARY - 1)}…` : one;
}

/** Folds records (any order) into one row per call, newest call first. */
export function foldCalls(records: readonly AuditRecord[], tools: ReadonlyMap<string, AnyTool>): ActivityRow[] {
  const byCall = new Map<string, AuditRecord[]>();
  for (const r of records) {
    const list = byCall.get(r.call_id);
    if (list) list.push(r);
    else byCall.set(r.call_id, [r]);
  }
  const rows: ActivityRow[] = [];
  for (const [callId, list] of byCall) {
    list.sort((a, b) => a.seq - b.seq);
    const first = list[0]!;
    const last = list[list.length - 1]!;
    const decision = [...list].reverse().find((r) => r.decision !== null)?.decision ?? null;
    const args = list.find((r) => r.args !== null)?.args ?? null;
    rows.push({
      call_id: callId,
      ts: first.ts,
      agent: first.agent,
      user: first.user,
      tool: first.tool,
      summary: summarize(tools.get(first.tool), first.tool, args),
      ...(first.purpose ? { purpose: first.purpose } : {}),
      ...(first.task_id ? { task_id: first.task_id } : {}),
      decision,
      outcome: outcomeOf(last),
      error_code: last.error_code,
    });
  }
  return rows.sort((a, b) => (a.ts < b.ts ? 1 : a.ts > b.ts ? -1 : a.call_id < b.call_id ? 1 : -1));
}

/** The latest calls matching `q`, newest first. */
export async function recentActivity(store: Store, tools: ReadonlyMap<string, AnyTool>, q: ActivityQuery): Promise<ActivityRow[]> {
  // An outcome filter drops rows after folding, so read deeper to still fill the page.
  const want = Math.min(MAX_READ, q.limit * RECORDS_PER_CALL * (q.outcome ? 4 : 1));
  const records = await store.readAudit({ agent: q.agent, tool: q.tool, order: 'desc', limit: want });
  // The oldest call read may be cut short (its earlier records not read): drop it unless all records were read.
  let rows = foldCalls(records, tools);
  if (records.length === want && rows.length > 1) rows = rows.slice(0, -1);
  if (q.outcome) rows = rows.filter((r) => r.outcome === q.outcome);
  return rows.slice(0, q.limit);
}

/** Calls per hour per agent over the 24 hours up to `now` (the current hour last). */
export async function hourlyActivity(store: Store, now: Date): Promise<HourlyActivity> {
  const end = Math.floor(now.getTime() / HOUR) * HOUR + HOUR;
  const start = end - 24 * HOUR;
  const records = await store.readAudit({ since: new Date(start).toISOString(), order: 'asc', limit: MAX_READ });
  const counts = new Map<string, number[]>();
  for (const r of records) {
    if (r.event !== 'received') continue;
    const slot = Math.floor((Date.parse(r.ts) - start) / HOUR);
    if (slot < 0 || slot > 23) continue;
    const agent = r.agent ?? '(unknown)';
    let row = counts.get(agent);
    if (!row) counts.set(agent, (row = new Array<number>(24).fill(0)));
    row[slot]!++;
  }
  return {
    hours: Array.from({ length: 24 }, (_, i) => new Date(start + i * HOUR).toISOString()),
    agents: [...counts].sort(([a], [b]) => (a < b ? -1 : 1)).map(([agent, c]) => ({ agent, counts: c })),
    truncated: records.length === MAX_READ,
  };
}
