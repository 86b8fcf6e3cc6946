// The outbound content guard end to end over stdio, and the seed's incident replayed: an
// agent told to be read-only, then one allowed to write, each trying to post a log dump with
// a token in it to a public channel. Neither reaches Slack; the trail says why.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSlackEmulator } from '../../src/sandbox/slack/emulator.js';
import type { Emulator } from '../../src/sandbox/http.js';
import { connectStdio, mandate, sc, tempHome, type StdioSession } from '../helpers/cli.js';

let slack: Emulator;
const sessions: StdioSession[] = [];
beforeAll(async () => { slack = await startSlackEmulator(); });
afterAll(async () => { await slack?.close(); });
afterEach(async () => { while (sessions.length) await sessions.pop()!.close(); });

const posts = () => slack.requests.filter((r) => r.path === '/api/chat.postMessage').length;
// Assembled at run time, so no scanner flags this file itself.
const TOKEN = ['xox', 'b-', '2048-1024-', 'Zq8Rt3LmV9xKp'].join('');
const LOG_DUMP = [
  '2026-11-29T03:12:01.002Z INFO  worker started',
  `2026-11-29T03:12:01.120Z DEBUG slack client init token=${TOKEN}`,
  '2026-11-29T03:12:02.871Z ERROR channel_not_found #incidents',
].join('\n');

async function open(config: Record<string, unknown>, agent: string) {
  const h = tempHome({ providers: { slack: { baseUrl: `${slack.url}/api` } }, ...config });
  const s = await connectStdio(h.env, ['--agent', agent]);
  sessions.push(s);
  return { ...h, client: s.client };
}
const post = (client: StdioSession['client'], text: string) =>
  client.callTool({ name: 'slack_post_message', arguments: { channel: '#general', text } });

describe('the seed incident, replayed', () => {
  it('a read-only agent is refused as read_only; a write-allowed one by the content guard, naming what it found and never the token', async () => {
    const config = { agents: { reader: { readOnly: true }, poster: { tools: { slack_post_message: 'allow' } } } };
    const before = posts();
    const reader = await open(config, 'reader');
    expect(sc(await post(reader.client, LOG_DUMP)).error.code).toBe('read_only');

    const { client, env } = await open(config, 'poster');
    const r = await post(client, LOG_DUMP);
    const error = sc(r).error;
    expect(error.code).toBe('content_guard');
    expect(error.message).toBe('Refused: the outbound content guard found a Slack token and a log dump (3 log lines) in text: refused by default: contentGuard.secrets is deny.');
    expect(JSON.stringify(r)).not.toContain(TOKEN);
    expect(posts()).toBe(before);

    const trail = mandate(['audit', 'show', error.call_id, '--json'], env);
    expect(trail.stdout).not.toContain(TOKEN);
    const records = trail.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(records.map((x) => x.event)).toEqual(['received', 'denied']);
    expect(records[1]).toMatchObject({ error_code: 'content_guard', decision: 'deny', agent: 'poster' });
    expect(records[1].reason).toContain('a Slack token and a log dump (3 log lines) in text');
    // The plain message still goes out.
    expect(sc(await post(client, 'All clear: the worker is back.')).text).toBe('All clear: the worker is back.');
    expect(posts()).toBe(before + 1);
  });
});

describe('per agent and tool', () => {
  it('a log dump needs approval by default; a tool rule can allow it; a configured pattern denies', async () => {
    const config = {
      approvals: { waitSeconds: 0 },
      contentGuard: { patterns: { customer: { regex: 'CUST-\\d{6}', label: 'a customer ID' } } },
      agents: {
        poster: { tools: { slack_post_message: 'allow' } },
        ops: { tools: { slack_post_message: { capability: 'allow', contentGuard: { logDumps: 'allow' } } } },
      },
    };
    const { client } = await open(config, 'poster');
    const pending = sc(await post(client, '[INFO] a\n[WARN] b\n[ERROR] c')).error;
    expect(pending.code).toBe('approval_pending');
    const customer = sc(await post(client, 'refund CUST-123456 today')).error;
    expect(customer).toMatchObject({ code: 'content_guard' });
    expect(customer.message).toContain('a customer ID in text: refused by contentGuard.patterns.customer');

    const ops = await open(config, 'ops');
    expect(sc(await post(ops.client, '[INFO] a\n[WARN] b\n[ERROR] c')).text).toContain('[INFO] a');
    // mandate_whoami still answers for a rule with a contentGuard (its constraints are limits on arguments only).
    const me = sc(await ops.client.callTool({ name: 'mandate_whoami', arguments: {} }));
    expect(me.tools.find((x: { tool: string }) => x.tool === 'slack_post_message')).toMatchObject({ capability: 'allow', constraints: {} });
  });
});
