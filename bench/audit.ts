// The audit trail's figures: durable appends through AuditLog.record (one at a time, and
// many calls at once sharing commits), then a chain of 100,000 records verified in process
// (verifyStore, the path `mandate audit verify` takes) and by the CLI itself.
import { spawn } from 'node:child_process';
import { newCallId } from '../src/pipeline/call-id.js';
import { AuditLog } from '../src/audit/writer.js';
import { verifyChain, verifyStore } from '../src/audit/verify.js';
import type { AuditInput } from '../src/audit/record.js';
import { openStore } from '../src/store/index.js';

export interface AuditFigures {
  serialPerSecond: number;
  concurrentPerSecond: number;
  recordsPerTransaction: number;
  fillPerSecond: number;
  verifyPerSecond: number;
  verifyChainPerSecond: number;
  cliMs: number;
  cliPerSecond: number;
}

/** A record shaped like the pipeline's `executed` record of a slack_read_history call. */
function sampleInput(i: number): AuditInput {
  return {
    call_id: newCallId(),
    event: i % 2 === 0 ? 'received' : 'executed',
    tool: 'slack_read_history',
    access: 'read',
    user: 'demo-user',
    client: 'demo-agent',
    agent: 'demo-agent',
    actor_chain: ['demo-agent'],
    session_id: 'stdio-7f0c7c1e-6d55-4a4e-9a51-0d7f2a3b9c11',
    mcp_request_id: String(i),
    decision: 'allow',
    policy_version: 'sha256:5d41402abc4b2a76b9719d911017c592',
    reason: null,
    approval_id: null,
    approver: null,
    token: i % 2 === 0 ? null : { jti: '0d2b3c4e-1f2a-4b5c-8d9e-0f1a2b3c4d5e', aud: 'https://slack.com/api', scope: 'channels:history channels:read', exp: 1_900_000_000 },
    args_digest: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    args: { channel: 'C0GENERAL1', limit: 20 },
    outcome: i % 2 === 0 ? null : 'ok',
    error_code: null,
    duration_ms: i % 2 === 0 ? null : 2,
  };
}

function runCli(cli: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

export async function runAuditBench(opts: { home: string; cli: string; serial: number; concurrent: number; records: number }): Promise<AuditFigures> {
  const store = openStore(opts.home);
  const audit = new AuditLog(store);
  let n = 0;
  try {
    for (let i = 0; i < 100; i++) await audit.record(sampleInput(n++)); // warm-up

    let t0 = performance.now();
    for (let i = 0; i < opts.serial; i++) await audit.record(sampleInput(n++));
    const serialPerSecond = opts.serial / ((performance.now() - t0) / 1000);

    // 50 callers at once, as 50 sessions would: appends of one tick share one commit.
    const workers = 50;
    const tx0 = store.stats().auditTransactions;
    t0 = performance.now();
    await Promise.all(Array.from({ length: workers }, async () => {
      for (let i = 0; i < opts.concurrent / workers; i++) await audit.record(sampleInput(n++));
    }));
    const concurrentPerSecond = opts.concurrent / ((performance.now() - t0) / 1000);
    const recordsPerTransaction = opts.concurrent / (store.stats().auditTransactions - tx0);

    // The rest of the 100,000 in batches (not a figure of the live path: a quick way to a long chain).
    const toFill = opts.records - n;
    t0 = performance.now();
    for (let left = toFill; left > 0; ) {
      const batch = Array.from({ length: Math.min(1000, left) }, () => sampleInput(n++));
      await store.appendAudit(batch);
      left -= batch.length;
    }
    const fillPerSecond = toFill / ((performance.now() - t0) / 1000);
    const count = await store.auditCount();
    if (count !== opts.records) throw new Error(`expected ${opts.records} audit records, found ${count}`);

    t0 = performance.now();
    const verified = await verifyStore(store);
    const verifyMs = performance.now() - t0;
    if (!verified.ok || verified.count !== opts.records) throw new Error(`verifyStore: ${JSON.stringify(verified)}`);

    t0 = performance.now();
    const chained = await verifyChain(store.scanAudit());
    const chainMs = performance.now() - t0;
    if (!chained.ok || chained.count !== opts.records) throw new Error(`verifyChain: ${JSON.stringify(chained)}`);
    await store.close();

    t0 = performance.now();
    const cli = await runCli(opts.cli, ['audit', 'verify'], { ...process.env, MANDATE_HOME: opts.home });
    const cliMs = performance.now() - t0;
    if (cli.code !== 0 || !cli.stdout.replace(/[,_ ]/g, '').includes(String(opts.records))) {
      throw new Error(`mandate audit verify: exit ${cli.code}: ${cli.stdout}${cli.stderr}`);
    }
    return {
      serialPerSecond,
      concurrentPerSecond,
      recordsPerTransaction,
      fillPerSecond,
      verifyPerSecond: opts.records / (verifyMs / 1000),
      verifyChainPerSecond: opts.records / (chainMs / 1000),
      cliMs,
      cliPerSecond: opts.records / (cliMs / 1000),
    };
  } finally {
    await store.close().catch(() => undefined);
  }
}
