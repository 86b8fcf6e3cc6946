// `mandate audit`: check, read and export the audit trail, and sign checkpoints of it.
// Safe while the server runs (the store is shared between processes). Exit codes: 0 ok,
// 1 a broken chain or a failure, 2 a usage error.
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { CheckpointError, loadAuditKey, loadOrCreateAuditKey, signCheckpoint, verifyCheckpointJws } from '../../audit/checkpoint.js';
import type { AuditCheckpoint } from '../../audit/checkpoint.js';
import { AUDIT_EVENTS, GENESIS_HASH, REFUSAL_EVENTS } from '../../audit/record.js';
import type { AuditRecord } from '../../audit/record.js';
import { verifyStore } from '../../audit/verify.js';
import { decodeReceipt, receiptRef } from '../../audit/receipt.js';
import type { VerifyResult } from '../../audit/verify.js';
import { openCliStore } from '../store.js';
import type { Store } from '../../store/types.js';
import { jsonLineSafe, terminalSafe as t } from '../../terminal.js';
import { UsageError, println } from '../io.js';

/** Where `runAudit` writes and which state directory it reads. */
export interface AuditCliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  home: string;
}

const USAGE = `usage: mandate audit verify [--checkpoint FILE]
       mandate audit tail [--json] [--agent ID] [--tool NAME] [--user ID] [--task ID] [--event NAME | --refused] [--since ISO] [-n N (default 20)]
       mandate audit export
       mandate audit show CALL_ID [--json]
       mandate audit checkpoint`;

/** Runs `mandate audit <subcommand>`; resolves to the exit code. */
export async function runAudit(args: string[], io: AuditCliIo): Promise<number> {
  const [sub, ...rest] = args;
  try {
    switch (sub) {
      case 'verify':
        return await verify(rest, io);
      case 'tail':
        return await tail(rest, io);
      case 'export':
        return await exportJsonl(rest, io);
      case 'show':
        return await show(rest, io);
      case 'checkpoint':
        return await checkpoint(rest, io);
      default:
        throw new UsageError(sub === undefined ? 'a subcommand is needed' : `unknown subcommand "${sub}"`);
    }
  } catch (err) {
    if (err instanceof UsageError || String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
      println(io.stderr, `mandate audit: ${(err as Error).message}\n${USAGE}`);
      return 2;
    }
    throw err;
  }
}

async function withStore<T>(io: AuditCliIo, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openCliStore(io);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

function brokenLine(r: Extract<VerifyResult, { ok: false }>): string {
  if (r.receipt) return `receipt of approval ${t(r.receipt.approval_id ?? 'unknown')} (seq ${r.seq}, call_id ${t(r.call_id ?? 'unknown')}): ${t(r.reason)}`;
  return `audit chain broken at seq ${r.seq} (call_id ${t(r.call_id ?? 'unknown')}): ${t(r.reason)}`;
}

async function verify(args: string[], io: AuditCliIo): Promise<number> {
  const { values } = parseArgs({ args, options: { checkpoint: { type: 'string' } }, strict: true, allowPositionals: false });
  let signed: AuditCheckpoint | null = null;
  // Receipts are checked against the audit key; with none, a trail holding a receipt fails.
  const key = await loadAuditKey(io.home);
  if (values.checkpoint !== undefined) {
    if (!key) {
      println(io.stderr, `no audit key in ${t(io.home)}/keys: cannot check a signed checkpoint here`);
      return 1;
    }
    let jws: string;
    try {
      jws = await readFile(values.checkpoint, 'utf8');
    } catch (err) {
      println(io.stderr, `cannot read checkpoint file ${t(values.checkpoint)}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
      return 1;
    }
    try {
      signed = await verifyCheckpointJws(jws, key.publicKey);
    } catch (err) {
      if (!(err instanceof CheckpointError)) throw err;
      println(io.stderr, `checkpoint ${t(values.checkpoint)} refused: ${t(err.message)}`);
      return 1;
    }
  }
  const result = await withStore(io, (store) => verifyStore(store, signed, { receiptKey: key?.publicKey ?? null }));
  if (!result.ok) {
    println(io.stderr, brokenLine(result));
    return 1;
  }
  println(io.stdout, `verified ${result.count} records`);
  if (signed) println(io.stdout, `checkpoint of seq ${signed.seq} taken ${t(signed.ts)} matches`);
  return 0;
}

const isRefusal = (event: string) => (REFUSAL_EVENTS as readonly string[]).includes(event);

function positiveInt(text: string, flag: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new UsageError(`${flag} must be a positive integer`);
  return Number(text);
}

/** One human line: time, event, agent → tool, then what happened: a call's decision, outcome and call_id, or the event's own facts; every field escaped onto it. */
export function formatAuditLine(r: AuditRecord): string {
  const head = `${t(r.ts)}  ${t(r.event).padEnd(18)}`;
  if (isRefusal(r.event)) {
    // No tool call: who asked (client, user, actor), for what, and the OAuth error it got.
    const asked = r.args && typeof r.args === 'object' && !Array.isArray(r.args) ? (r.args as Record<string, unknown>) : {};
    const what = [asked.grant_type, asked.resource, asked.scope].filter((v) => typeof v === 'string' && v).join(' ');
    return `${head}  client ${t(r.client ?? '-')} (user ${t(r.user ?? '-')}, actor ${t(r.agent ?? '-')})  ${t(what || '-')}  refused (${t(r.error_code ?? '-')})  ${t(r.call_id)}`;
  }
  const target = `${t(r.agent ?? '-')} → ${t(r.tool || '(every tool)')}`;
  const forUser = r.user ? ` for ${t(r.user)}` : '';
  switch (r.event) {
    case 'approval_decided':
      return `${head}  ${target}${forUser}  ${t(r.decision ?? '-')} by ${t(r.approver ?? 'unknown')} (${t(r.reason ?? '-')})  ${t(r.approval_id ?? '-')}  ${t(r.call_id)}`;
    case 'approval_expired':
      return `${head}  ${target}${forUser}  ${t(r.reason ?? 'expired')}  ${t(r.approval_id ?? '-')}  ${t(r.call_id)}`;
    case 'revoked':
      return `${head}  ${target}${r.user ? forUser : ' for every user'}  by ${t(r.approver ?? 'unknown')}  ${t(r.reason ?? '-')}  ${t(r.call_id)}`;
    case 'anomaly':
      return `${head}  ${t(r.agent ?? '-')}  ${t(r.outcome ?? '-')}: ${t(r.reason ?? '-')}  ${t(r.call_id)}`;
    case 'config_changed':
      return `${head}  policy ${t(r.policy_version ?? '-')}  ${t(r.reason ?? '-')}  ${t(r.call_id)}`;
    default: {
      const outcome = t(r.outcome ?? '-') + (r.error_code ? ` (${t(r.error_code)})` : '');
      const account = r.account ? ` [${t(r.account)}]` : '';
      const intent = (r.task_id ? `  task ${t(r.task_id)}` : '') + (r.purpose ? `  "${t(r.purpose)}"` : '');
      return `${head}  ${target}${account}  ${t(r.decision ?? '-')}  ${outcome}  ${t(r.call_id)}${intent}`;
    }
  }
}

/** A record as one JSON line that is also safe on a terminal (see `jsonLineSafe`). */
const jsonLine = (r: AuditRecord) => jsonLineSafe(JSON.stringify(r));

async function tail(args: string[], io: AuditCliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      json: { type: 'boolean' },
      agent: { type: 'string' },
      tool: { type: 'string' },
      user: { type: 'string' },
      event: { type: 'string' },
      refused: { type: 'boolean' },
      since: { type: 'string' },
      lines: { type: 'string', short: 'n' },
      task: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  const limit = values.lines === undefined ? 20 : positiveInt(values.lines, '-n');
  if (values.since !== undefined && Number.isNaN(new Date(values.since).getTime())) {
    throw new UsageError('--since must be an ISO 8601 time, e.g. 2025-01-31T09:00:00Z');
  }
  if (values.event !== undefined && values.refused) throw new UsageError('give --event or --refused, not both');
  if (values.event !== undefined && !(AUDIT_EVENTS as readonly string[]).includes(values.event)) {
    throw new UsageError(`--event must be one of ${AUDIT_EVENTS.join(', ')}`);
  }
  const event = values.refused ? REFUSAL_EVENTS : values.event;
  const records = values.task === undefined
    ? await withStore(io, (store) =>
      store.readAudit({ agent: values.agent, tool: values.tool, user: values.user, event, since: values.since, order: 'desc', limit }))
    : await withStore(io, (store) => taskRecords(store, values.task!, { agent: values.agent, tool: values.tool, user: values.user, event, since: values.since }, limit));
  records.reverse();
  if (records.length === 0 && !values.json) println(io.stderr, 'no audit records match');
  for (const r of records) println(io.stdout, values.json ? jsonLine(r) : formatAuditLine(r));
  return 0;
}

/**
 * `--task ID`: the records of the calls of one task, newest first, at most `limit`: the
 * records that name the task and every other record of those calls (a call's records all
 * carry its task; this also finds the approval records of its approvals, by `approval_id`).
 */
async function taskRecords(store: Store, task: string, q: { agent?: string; tool?: string; user?: string; event?: string | readonly string[]; since?: string }, limit: number): Promise<AuditRecord[]> {
  const events = q.event === undefined ? undefined : new Set(typeof q.event === 'string' ? [q.event] : q.event);
  const out: AuditRecord[] = [];
  for await (const r of store.scanAudit()) {
    if (r.task_id !== task) continue;
    if ((q.agent && r.agent !== q.agent) || (q.tool && r.tool !== q.tool) || (q.user && r.user !== q.user)) continue;
    if ((events && !events.has(r.event)) || (q.since && r.ts < q.since)) continue;
    out.push(r);
  }
  return out.slice(-limit).reverse();
}

async function exportJsonl(args: string[], io: AuditCliIo): Promise<number> {
  parseArgs({ args, options: {}, strict: true, allowPositionals: false });
  await withStore(io, async (store) => {
    let chunk = '';
    const flush = async () => {
      if (chunk === '') return;
      const ok = io.stdout.write(chunk);
      chunk = '';
      if (!ok) await once(io.stdout, 'drain');
    };
    for await (const r of store.scanAudit()) {
      chunk += jsonLine(r) + '\n';
      if (chunk.length >= 64 * 1024) await flush();
    }
    await flush();
  });
  return 0;
}

async function show(args: string[], io: AuditCliIo): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { json: { type: 'boolean' } }, strict: true, allowPositionals: true });
  if (positionals.length !== 1) throw new UsageError('show needs exactly one CALL_ID');
  const callId = positionals[0]!;
  const records = await withStore(io, (store) => store.readAudit({ callId, order: 'asc' }));
  if (records.length === 0) {
    println(io.stderr, `no audit records for call_id ${t(callId)}`);
    return 1;
  }
  if (values.json) for (const r of records) println(io.stdout, jsonLine(r));
  else {
    println(io.stdout, records.map((r) => `${formatAuditLine(r)}\n${jsonLineSafe(JSON.stringify(r, null, 2))}`).join('\n\n'));
    for (const text of await withStore(io, (store) => receiptsOf(store, records))) println(io.stdout, `\n${text}`);
  }
  return 0;
}

/**
 * The receipts a call's records carry or reference, decoded (header and payload; `audit
 * verify` checks the signature). A reference is resolved through the approval it names.
 */
async function receiptsOf(store: Store, records: AuditRecord[]): Promise<string[]> {
  const shown = new Set<string>();
  const out: string[] = [];
  for (const r of records) {
    if (!r.receipt) continue;
    let jws: string | null = r.receipt.startsWith('sha256:') ? null : r.receipt;
    if (jws === null && r.approval_id) {
      const stored = (await store.getApproval(r.approval_id))?.receipt ?? null;
      if (stored !== null && receiptRef(stored) === r.receipt) jws = stored;
    }
    const ref = jws === null ? r.receipt : receiptRef(jws);
    if (shown.has(ref)) continue;
    shown.add(ref);
    if (jws === null) {
      out.push(`receipt ${r.receipt} of approval ${r.approval_id ?? 'unknown'}: not found in the store`);
      continue;
    }
    try {
      const { header, payload } = decodeReceipt(jws);
      out.push(`receipt of approval ${r.approval_id ?? 'unknown'} (${ref}):\nheader: ${JSON.stringify(header, null, 2)}\npayload: ${JSON.stringify(payload, null, 2)}`);
    } catch (err) {
      out.push(`receipt of approval ${r.approval_id ?? 'unknown'}: ${(err as Error).message}`);
    }
  }
  return out;
}

async function checkpoint(args: string[], io: AuditCliIo): Promise<number> {
  parseArgs({ args, options: {}, strict: true, allowPositionals: false });
  // Sign only a chain that verifies: a checkpoint must never bless a tampered trail.
  const result = await withStore(io, (store) => verifyStore(store));
  if (!result.ok) {
    println(io.stderr, brokenLine(result));
    return 1;
  }
  const head = result.head ?? { seq: 0, hash: GENESIS_HASH };
  const key = await loadOrCreateAuditKey(io.home);
  const jws = await signCheckpoint({ seq: head.seq, hash: head.hash, ts: new Date().toISOString() }, key);
  println(io.stdout, jws);
  println(io.stderr, `signed checkpoint of seq ${head.seq}; keep it elsewhere and check later with: mandate audit verify --checkpoint FILE`);
  return 0;
}
