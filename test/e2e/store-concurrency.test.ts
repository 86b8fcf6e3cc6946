// The server and the CLI share one SQLite store (issue 3, concurrency): while the built
// server runs tool calls in a loop (each appending audit records), a human approves pending
// calls with `mandate approvals approve` and reads the trail with `mandate audit tail`, all at
// once. Nobody sees SQLITE_BUSY or "database is locked", every approve succeeds and takes
// effect (the identical retry runs), and the trail still verifies.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectStdio, mandate, mandateAsync, sc, tempHome, type StdioSession } from '../helpers/cli.js';

const LOCKED = /SQLITE_BUSY|database is locked/i;

describe('server and CLI on one store at the same time', () => {
  const { env } = tempHome({
    approvals: { waitSeconds: 0 },
    agents: { 'demo-agent': { tools: { '*': 'allow', slack_post_message: 'approve' } } },
  });
  let s: StdioSession;
  beforeAll(async () => { s = await connectStdio(env); });
  afterAll(async () => { await s?.close(); });

  it('never prints SQLITE_BUSY / database is locked, and every approve succeeds', async () => {
    // Calls that need approval, answered approval_pending at once (waitSeconds 0).
    const posts = Array.from({ length: 6 }, (_, i) => ({ channel: '#support-updates', text: `concurrency check ${i}` }));
    const approvalIds: string[] = [];
    for (const args of posts) {
      const err = sc(await s.client.callTool({ name: 'slack_post_message', arguments: args })).error;
      expect(err.code).toBe('approval_pending');
      approvalIds.push(err.approval_id);
    }

    // Two loops of calls in the server, each call appending its audit records, until the CLI is done.
    let running = true;
    let calls = 0;
    const failures: string[] = [];
    const loop = async (name: string, args: Record<string, unknown>) => {
      while (running) {
        const r = await s.client.callTool({ name, arguments: args });
        calls += 1;
        if (r.isError) failures.push(JSON.stringify(sc(r).error));
      }
    };
    const loops = [loop('slack_list_channels', { limit: 5 }), loop('crm_search_contacts', { query: 'a', limit: 3 })];
    while (calls < 20) await new Promise((r) => setTimeout(r, 20)); // ≥ 58 records before the first tail reads 50
    const callsBefore = calls;

    // The human side, all at once: every approve, and readers of the trail and the queue.
    const cli = await Promise.all([
      ...approvalIds.map((id) => mandateAsync(['approvals', 'approve', id], env).then((r) => ({ args: ['approve', id], ...r }))),
      ...Array.from({ length: 4 }, () => mandateAsync(['audit', 'tail', '--json', '-n', '50'], env).then((r) => ({ args: ['tail'], ...r }))),
      mandateAsync(['approvals', 'list', '--json'], env).then((r) => ({ args: ['list'], ...r })),
    ]);
    const callsDuring = calls - callsBefore;
    running = false;
    await Promise.all(loops);

    expect(callsDuring).toBeGreaterThan(0); // the server was writing while the CLI ran
    expect(failures).toEqual([]);
    for (const r of cli) {
      const what = `mandate ${r.args.join(' ')}: ${r.stderr}`;
      expect(`${r.stdout}\n${r.stderr}`, what).not.toMatch(LOCKED);
      expect(r.code, what).toBe(0);
      if (r.args[0] === 'approve') expect(r.stdout, what).toMatch(new RegExp(`^approved ${r.args[1]}: post to`));
      if (r.args[0] === 'tail') {
        const lines = r.stdout.trim().split('\n');
        expect(lines.length).toBe(50);
        for (const l of lines) expect(JSON.parse(l)).toHaveProperty('seq');
      }
    }
    expect(s.stderr()).not.toMatch(LOCKED);

    // Every approval took effect: the identical retry runs.
    for (const args of posts) {
      const r = await s.client.callTool({ name: 'slack_post_message', arguments: args });
      expect(r.isError, JSON.stringify(sc(r))).toBeFalsy();
    }
    const verified = mandate(['audit', 'verify'], env);
    expect(verified.code, verified.stderr).toBe(0);
    expect(`${verified.stdout}${verified.stderr}${s.stderr()}`).not.toMatch(LOCKED);
  });
});
