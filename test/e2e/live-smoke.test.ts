// A smoke test against the real providers, run only when real credentials are in the
// environment (skipped otherwise): MANDATE_LIVE_SLACK_TOKEN (xoxb-/xoxp-, with channels:read),
// MANDATE_LIVE_HUBSPOT_TOKEN (a private app token, with crm.objects.contacts.read). Each is
// checked by its provider and one read tool runs through the egress gate. Nothing is written.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/log.js';
import { startRuntime, type Runtime } from '../../src/runtime/index.js';
import { runToolCall } from '../../src/pipeline/index.js';
import { GrantStore, SPEC_OF, endpointsOf, identify } from '../../src/vault/index.js';

const LIVE = { slack: process.env.MANDATE_LIVE_SLACK_TOKEN, crm: process.env.MANDATE_LIVE_HUBSPOT_TOKEN } as const;
const runtimes: Runtime[] = [];
afterAll(async () => { for (const r of runtimes) await r.close(); });

async function liveCall(p: 'slack' | 'crm', token: string, tool: string, args: Record<string, unknown>) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mandate-live-'));
  process.env.MANDATE_SECRETS = 'file';
  const rt = await startRuntime({
    home, logger: silentLogger(), mcpResource: 'urn:mandate:live',
    config: parseConfig({ providers: { [p]: { accounts: { live: {} } } }, agents: { 'demo-agent': { tools: { '*': 'allow' } } } }),
  });
  runtimes.push(rt);
  const facts = await identify(SPEC_OF[p], endpointsOf(SPEC_OF[p], undefined), token);
  await new GrantStore(rt.identity.secrets).put({ v: 1, provider: p, account: 'live', method: 'pasted', accessToken: token, scopes: facts.scopes, identity: facts.identity, connectedAt: new Date().toISOString() });
  const who = await rt.identity.stdioIdentity('demo-agent', 'live');
  return runToolCall(rt.services, who, { name: tool, arguments: args, mcpRequestId: 1, signal: new AbortController().signal });
}

describe('live providers (MANDATE_LIVE_* set)', () => {
  it.skipIf(!LIVE.slack)('Slack: slack_list_channels through the egress gate', async () => {
    const r = await liveCall('slack', LIVE.slack!, 'slack_list_channels', { limit: 5 });
    expect(r.isError, JSON.stringify(r.structuredContent)).toBeFalsy();
    expect(JSON.stringify(r)).not.toContain(LIVE.slack!);
  });
  it.skipIf(!LIVE.crm)('HubSpot: crm_search_contacts through the egress gate', async () => {
    const r = await liveCall('crm', LIVE.crm!, 'crm_search_contacts', { query: 'a', limit: 3 });
    expect(r.isError, JSON.stringify(r.structuredContent)).toBeFalsy();
    expect(JSON.stringify(r)).not.toContain(LIVE.crm!);
  });
});
