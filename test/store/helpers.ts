// Test helpers for the store and the audit trail: throwaway state directories, realistic
// audit inputs, and a raw SQLite handle for tampering the way an attacker with file access would.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { AuditInput } from '../../src/audit/record.js';
import type { Store } from '../../src/store/types.js';

const made: string[] = [];

/** A fresh temporary state directory, removed by `cleanupHomes()`. */
export function tempHome(prefix = 'mandate-store-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Removes every directory `tempHome` made. */
export function cleanupHomes(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A realistic audit input for call number `i`. */
export function sampleInput(i: number, overrides: Partial<AuditInput> = {}): AuditInput {
  return {
    call_id: `01JCALL${String(i).padStart(19, '0')}`,
    event: i % 2 === 0 ? 'received' : 'executed',
    tool: i % 3 === 0 ? 'crm_get_contact' : 'slack_post_message',
    access: i % 3 === 0 ? 'read' : 'write',
    user: 'demo-user',
    client: 'demo-client',
    agent: i % 4 === 0 ? 'reader' : 'assistant',
    actor_chain: ['assistant', 'demo-user'],
    session_id: 'session-1',
    mcp_request_id: i,
    decision: 'allow',
    policy_version: 'a'.repeat(64),
    reason: null,
    approval_id: null,
    approver: null,
    token: { jti: `jti-${i}`, aud: 'https://slack.com/api', scope: 'chat:write', exp: 1_900_000_000 },
    args_digest: 'b'.repeat(64),
    args: { channel: '#support-updates', text: `update number ${i}` },
    outcome: i % 2 === 0 ? null : 'ok',
    error_code: null,
    duration_ms: i % 2 === 0 ? null : 42,
    ...overrides,
  };
}

/** Appends `n` sample records (concurrently, so they group-commit). */
export async function fill(store: Store, n: number, from = 1): Promise<void> {
  await Promise.all(Array.from({ length: n }, (_, k) => store.appendAudit([sampleInput(from + k)])));
}

/** A second, raw connection to the store's file, as someone editing it by hand would open it. */
export function rawDb(path: string): Database.Database {
  const db = new Database(path);
  db.pragma('busy_timeout = 5000');
  return db;
}
