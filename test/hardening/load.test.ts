// Load: 50 concurrent Streamable HTTP sessions, each making a run of calls (90 % reads over
// the three providers, 10 % writes that need approval), while a scripted human approves most
// writes and rejects some. Afterwards: no error the scenario did not intend, exactly the audit
// records the plan implies (per call, in order), each approved write executed exactly once
// upstream, and `mandate audit verify` passing over the whole chain.
//
// 50 × 200 = 10,000 calls, about 45 s on a 2-core machine. MANDATE_LOAD_CALLS=N sets the calls
// per session (a shorter run while working on something else).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { bearerFor, connectHttp, startHttpMandate, type HttpMandate } from '../helpers/http.js';
import { mandateAsync } from '../helpers/cli.js';
import type { SlackEmulator } from '../../src/sandbox/slack/emulator.js';
import { cliEnv, eventsOf, recordsByCall, sleep } from './support.js';

const SESSIONS = 50;
const CALLS_PER_SESSION = Number(process.env.MANDATE_LOAD_CALLS ?? 200);
const WRITE_EVERY = 10; // every 10th call of a session is a write that needs approval
const REJECT_EVERY = 4; // every 4th write of a session is rejected by the approver
const CHANNEL = 'C0SUPUPD05'; // #support-updates, by ID (no name lookup in the count of POSTs)

type Kind = 'read' | 'approved_write' | 'rejected_write';

/** The audit events each kind of call must leave, in order. */
const EXPECTED_EVENTS: Record<Kind, string[]> = {
  read: ['received', 'executed'],
  approved_write: ['received', 'approval_requested', 'approved', 'executed'],
  rejected_write: ['received', 'approval_requested', 'rejected'],
};

const READS: ReadonlyArray<{ name: string; arguments: Record<string, unknown> }> = [
  { name: 'slack_read_history', arguments: { channel: 'C0GENERAL1', limit: 5 } },
  { name: 'crm_list_deals', arguments: { limit: 5 } },
  { name: 'calendar_list_events', arguments: { limit: 5 } },
  { name: 'slack_list_channels', arguments: { limit: 10 } },
  { name: 'crm_search_contacts', arguments: { query: 'a', limit: 3 } },
  { name: 'mandate_whoami', arguments: {} },
];

interface PlannedCall {
  session: number;
  index: number;
  kind: Kind;
  name: string;
  arguments: Record<string, unknown>;
}

function plan(session: number): PlannedCall[] {
  const calls: PlannedCall[] = [];
  let writes = 0;
  for (let index = 0; index < CALLS_PER_SESSION; index++) {
    if (index % WRITE_EVERY === WRITE_EVERY - 1) {
      writes += 1;
      const rejected = writes % REJECT_EVERY === 0;
      const text = `load-${session}-${index}${rejected ? ' [reject]' : ''}`;
      calls.push({ session, index, kind: rejected ? 'rejected_write' : 'approved_write', name: 'slack_post_message', arguments: { channel: CHANNEL, text } });
    } else {
      const read = READS[(session + index) % READS.length]!;
      calls.push({ session, index, kind: 'read', ...read });
    }
  }
  return calls;
}

/** The scripted human: approves every pending write, except the ones marked [reject]. */
function startApprover(m: HttpMandate): { stop(): Promise<number> } {
  const store = m.runtime.services.store;
  let running = true;
  let decided = 0;
  const loop = (async () => {
    while (running) {
      for (const a of await store.listApprovals({ status: 'pending' })) {
        const text = String((a.args as { text?: unknown }).text ?? '');
        const reject = text.includes('[reject]');
        await store.decideApproval(a.approval_id, {
          decision: reject ? 'rejected' : 'approved', approver: 'load-approver', channel: 'cli', reason: reject ? 'scripted rejection' : null,
        });
        decided += 1;
      }
      await sleep(25);
    }
  })();
  return { stop: async () => { running = false; await loop; return decided; } };
}

describe(`load: ${SESSIONS} HTTP sessions × ${CALLS_PER_SESSION} calls with scripted approvals`, () => {
  let m: HttpMandate;
  beforeAll(async () => {
    // Default policy: reads allow, writes approve. The wait is long enough for the approver.
    m = await startHttpMandate({ approvals: { waitSeconds: 30 } });
  });
  afterAll(async () => { await m?.close(); });

  it('every call ends as planned, the audit trail holds exactly the planned records, writes run once, verify passes', async () => {
    const token = await bearerFor(m);
    const plans = Array.from({ length: SESSIONS }, (_, s) => plan(s));
    const clients: Client[] = await Promise.all(plans.map(() => connectHttp(m.url, token)));
    const approver = startApprover(m);
    const unintended: string[] = [];
    const kindOfCall = new Map<string, Kind>();
    const started = Date.now();
    try {
      await Promise.all(plans.map(async (calls, s) => {
        const client = clients[s]!;
        for (const c of calls) {
          const label = `session ${c.session} call ${c.index} ${c.name}`;
          let r;
          try {
            r = await client.callTool({ name: c.name, arguments: c.arguments });
          } catch (err) {
            unintended.push(`${label}: protocol error ${(err as Error).message}`);
            continue;
          }
          const callId = (r._meta as Record<string, unknown> | undefined)?.['mandate/call_id'];
          if (typeof callId !== 'string') { unintended.push(`${label}: no call_id`); continue; }
          kindOfCall.set(callId, c.kind);
          const code = (r.structuredContent as { error?: { code?: string } } | undefined)?.error?.code;
          const want = c.kind === 'rejected_write' ? 'approval_rejected' : undefined;
          if ((r.isError === true) !== (want !== undefined) || code !== want) {
            unintended.push(`${label}: expected ${want ?? 'success'}, got ${JSON.stringify(r.structuredContent).slice(0, 300)}`);
          }
        }
      }));
    } finally {
      await approver.stop();
      await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    }
    const seconds = (Date.now() - started) / 1000;
    const all = plans.flat();
    const count = (k: Kind) => all.filter((c) => c.kind === k).length;
    console.info(`load: ${all.length} calls over ${SESSIONS} sessions in ${seconds.toFixed(1)} s (${Math.round(all.length / seconds)} calls/s); ` +
      `${count('approved_write')} approved and ${count('rejected_write')} rejected writes`);

    expect(unintended).toEqual([]);
    expect(kindOfCall.size).toBe(all.length);

    // The audit trail: exactly the records the plan implies, call by call; besides them only
    // records of no call that this load may raise (anomaly signals: a spike, a first write).
    const expectedRecords = all.reduce((n, c) => n + EXPECTED_EVENTS[c.kind].length, 0);
    const store = m.runtime.services.store;
    const anomalies = (await store.readAudit({ event: 'anomaly' })).length;
    expect(await store.auditCount()).toBe(expectedRecords + anomalies);
    const byCall = await recordsByCall(store);
    expect(byCall.size).toBe(all.length);
    const wrong: string[] = [];
    for (const [callId, kind] of kindOfCall) {
      const events = eventsOf(byCall.get(callId));
      if (JSON.stringify(events) !== JSON.stringify(EXPECTED_EVENTS[kind])) wrong.push(`${callId} (${kind}): ${events.join(',')}`);
    }
    expect(wrong).toEqual([]);

    // Every approval was decided and spent: none left pending, none approved but unused.
    expect(await store.listApprovals({ status: 'pending' })).toEqual([]);
    expect(await store.listApprovals({ status: 'approved' })).toEqual([]);
    expect((await store.listApprovals({ status: 'used' })).length).toBe(count('approved_write'));
    expect((await store.listApprovals({ status: 'rejected' })).length).toBe(count('rejected_write'));

    // Upstream: each approved write posted exactly once, no rejected one posted at all.
    const slack = m.runtime.sandbox!.emulators.slack as SlackEmulator;
    const posts = slack.requests.filter((r) => r.path === '/api/chat.postMessage');
    expect(posts.length).toBe(count('approved_write'));
    const posted = (slack.state.messages[CHANNEL] ?? []).map((msg) => msg.text).filter((t) => t.startsWith('load-'));
    expect(posted.length).toBe(count('approved_write'));
    expect(new Set(posted).size).toBe(posted.length);
    expect(posted.some((t) => t.includes('[reject]'))).toBe(false);

    // The chain verifies end to end, through the CLI a user would run.
    const verify = await mandateAsync(['audit', 'verify'], cliEnv(m.home));
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout + verify.stderr).toContain(String(expectedRecords + anomalies));
  }, 300_000);
});
