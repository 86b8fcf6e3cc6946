// The sealed requestState of an approval asked through an input-required result (MCP26-MRTR):
// integrity-protected, bound to the call, expiring, spent once; the key is the state
// directory's, mode 0600.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RequestStates, RequestStateRefused } from '../../src/approvals/request-state.js';

const binding = { user: 'demo-user', agent: 'demo-agent', client: 'demo-agent', tool: 'slack_post_message', args_digest: 'sha256:abc' };

function states(now = () => Date.now()) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mandate-state-'));
  const meta = new Map<string, string>();
  const store = { getMeta: async (k: string) => meta.get(k) ?? null, setMeta: async (k: string, v: string) => { meta.set(k, v); } };
  return { home, rs: new RequestStates(home, store as never, now) };
}

async function refusal(p: Promise<unknown>): Promise<string> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(RequestStateRefused);
  return (err as RequestStateRefused).reason;
}

describe('MCP26-MRTR: approval requestState', () => {
  it('opens once for its own call; the key file is 0600 in <home>/keys', async () => {
    const { home, rs } = states();
    const token = rs.seal(binding, 'apr_1', 60_000);
    expect(token).not.toContain('demo-user'); // sealed, not merely signed
    expect((await rs.open(token, binding)).approval_id).toBe('apr_1');
    expect(await refusal(rs.open(token, binding))).toBe('replayed');
    expect(fs.statSync(path.join(home, 'keys', 'request-state.key')).mode & 0o777).toBe(0o600);
  });

  it('refuses a tampered, an expired and another call\'s or user\'s state', async () => {
    let t = Date.now();
    const { rs } = states(() => t);
    const token = rs.seal(binding, 'apr_1', 1000);
    const flipped = token.slice(0, 10) + (token[10] === 'A' ? 'B' : 'A') + token.slice(11);
    expect(await refusal(rs.open(flipped, binding))).toBe('tampered');
    expect(await refusal(rs.open(`${token}-TAMPERED`, binding))).toBe('tampered');
    expect(await refusal(rs.open(token, { ...binding, user: 'mallory' }))).toBe('mismatch');
    expect(await refusal(rs.open(token, { ...binding, args_digest: 'sha256:other' }))).toBe('mismatch');
    t += 1001;
    expect(await refusal(rs.open(token, binding))).toBe('expired');
  });

  it('a state sealed under another state directory\'s key is tampered', async () => {
    const a = states().rs.seal(binding, 'apr_1', 60_000);
    expect(await refusal(states().rs.open(a, binding))).toBe('tampered');
  });
});
