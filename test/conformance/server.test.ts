// The official MCP conformance suite against `mandate serve --transport http`'s transport,
// for each revision Mandate serves: 2026-07-28 (stateless) and 2025-11-25 (sessions). The
// bearer token comes from the test's own OAuth flow (the demo delegation's refresh token
// redeemed by the agent's client credentials) and a loopback proxy adds it. Scenarios that
// call the suite's own fixture tools (and a few checks that need fixture prompts, resources
// or diagnostic tools) are listed in expected-failures.yaml, each with its reason; the suite
// fails the run on any other failure and on a listed entry that now passes.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerProxy, problems, runConformance, totals } from '../helpers/conformance.js';
import { bearerFor, startHttpMandate, type HttpMandate } from '../helpers/http.js';

const baseline = path.join(path.dirname(fileURLToPath(import.meta.url)), 'expected-failures.yaml');

let m: HttpMandate;
let proxy: { url: string; close(): Promise<void> };
beforeAll(async () => {
  m = await startHttpMandate();
  const token = await bearerFor(m);
  proxy = await bearerProxy(new URL(m.url).origin, () => token);
});
afterAll(async () => { await proxy?.close(); await m?.close(); });

describe.each([
  ['2026-07-28', 'MCP26-DISCOVER MCP26-META MCP26-HEADERS'],
  ['2025-11-25', 'MCP-HTTP-SESSION MCP-HTTP-ORIGIN MCP-SSE-RESUME'],
])('conformance server --requirements %s', (revision, ids) => {
  it(`${ids}: every required scenario passes, but those needing the suite's fixtures (listed with reasons)`, async () => {
    const run = await runConformance(['server', '--url', `${proxy.url}/mcp`, '--requirements', revision, '--expected-failures', baseline, '--timeout', '15000'], 180_000);
    const summary = run.stdout.split('\n').filter((l) => /Total:|Baseline|Unexpected|Stale|✗/.test(l)).join('\n');
    console.log(`conformance server ${revision}: ${JSON.stringify(totals(run))}\n${summary}`);
    expect(run.results.length).toBeGreaterThan(10);
    expect(run.stdout, `${summary}\n${problems(run).join('\n')}`).toContain('Baseline check passed');
    expect(run.code).toBe(0);
  }, 200_000);
});
