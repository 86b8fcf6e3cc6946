// Anomaly signals end to end over stdio: repeated refusals raise an `anomaly` record and a log
// warning, show on the console's banner endpoint, and with `anomalies.suspendAfter` suspend the
// agent (a revocation with its reason) so its next call is refused.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connectStdio, mandate, sc, tempHome, type StdioSession } from '../helpers/cli.js';
import { openStore } from '../../src/store/index.js';
import { consoleRoutes } from '../../src/approvals/console/index.js';
import { parseConfig } from '../../src/config/load.js';

const sessions: StdioSession[] = [];
afterEach(async () => { while (sessions.length) await sessions.pop()!.close(); });

describe('anomalies', () => {
  it('three refusals in a row: an anomaly, a warning, the banner, and the agent suspended', async () => {
    const config = { anomalies: { denialsMin: 3, suspendAfter: 1 }, agents: { reader: { readOnly: true } } };
    const { env, home } = tempHome(config);
    const s = await connectStdio(env, ['--agent', 'reader']);
    sessions.push(s);
    const post = () => s.client.callTool({ name: 'slack_post_message', arguments: { channel: '#general', text: 'hi' } });
    for (let i = 0; i < 3; i++) expect(sc(await post()).error.code).toBe('read_only');
    await new Promise((r) => setTimeout(r, 300)); // the anomaly is recorded beside the call, not in its way
    const next = sc(await post()).error;
    expect(next.code).toBe('delegation_revoked');

    const anomalies = mandate(['audit', 'tail', '--event', 'anomaly', '--json'], env).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(anomalies).toHaveLength(1);
    expect(anomalies[0]).toMatchObject({
      event: 'anomaly', agent: 'reader', tool: 'slack_post_message', outcome: 'denials', decision: 'flag',
      reason: 'agent reader was refused 3 times within 5 minutes (last: read_only on slack_post_message)', args: { signal: 'denials', refusals: 3 },
    });
    expect(anomalies[0].call_id).toMatch(/^evt_/);
    const revoked = mandate(['audit', 'tail', '--event', 'revoked', '--json'], env).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(revoked[0]).toMatchObject({ agent: 'reader', approver: 'mandate (anomalies)' });
    expect(revoked[0].reason).toContain('suspended automatically after 1 anomalies within 60 minutes (anomalies.suspendAfter 1)');
    expect(s.stderr()).toContain('anomaly: agent reader was refused 3 times');
    expect(mandate(['audit', 'verify'], env).code).toBe(0);
    expect(mandate(['audit', 'tail', '--event', 'anomaly'], env).stdout).toContain('anomaly             reader  denials: agent reader was refused 3 times');

    // The console's banner reads the same records.
    const store = openStore(home);
    const route = consoleRoutes({ store, config: () => parseConfig(config), actor: () => 'test' });
    const server = http.createServer(async (req, res) => { if (!(await route(req, res, new URL(req.url ?? '/', 'http://127.0.0.1')))) res.writeHead(404).end(); });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const r = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/activity/anomalies`);
      const body = (await r.json()) as { anomalies: Array<Record<string, unknown>> };
      expect(body.anomalies).toEqual([{ ts: anomalies[0].ts, agent: 'reader', signal: 'denials', reason: anomalies[0].reason, call_id: anomalies[0].call_id }]);
    } finally {
      await new Promise((r) => server.close(r));
      await store.close();
    }
  });
});
