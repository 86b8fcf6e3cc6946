// `mandate sandbox` runs the emulated APIs and the authorization server alone, for building
// agents against safe data; `sandbox token` mints a per-tool token from it, and only there.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { CLI, mandate, mandateAsync, tempHome } from '../helpers/cli.js';

describe('mandate sandbox', () => {
  it('prints the base URLs; sandbox token gives a per-tool token the emulated Slack accepts, for that tool only', async () => {
    const { env } = tempHome();
    const child = spawn(process.execPath, [CLI, 'sandbox'], { env });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    try {
      for (let i = 0; i < 100 && !/Authorization\s+http/.test(out); i++) await new Promise((r) => setTimeout(r, 100));
      const slack = /Slack Web API\s+(\S+)/.exec(out)![1]!;
      const r = await mandateAsync(['sandbox', 'token', '--agent', 'demo-agent', '--tool', 'slack_list_channels'], env);
      expect(r.code, r.stderr).toBe(0);
      const token = r.stdout.trim();
      expect(decodeJwt(token)).toMatchObject({ aud: 'https://slack.com/api', scope: 'channels:read', sub: 'demo-user', act: { sub: 'demo-agent' } });
      const list = await (await fetch(`${slack}/conversations.list`, { headers: { authorization: `Bearer ${token}` } })).json() as { ok: boolean };
      expect(list.ok).toBe(true);
      const post = await (await fetch(`${slack}/chat.postMessage`, {
        method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ channel: 'C0GENERAL1', text: 'x' }),
      })).json() as { error: string };
      expect(post.error).toBe('missing_scope');
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.on('close', r));
    }
  });

  it('refuses to mint tokens outside the sandbox', () => {
    const { env } = tempHome({ providers: { slack: { baseUrl: 'https://slack.com/api' } }, authorizationServer: { issuer: 'https://login.example.com' } });
    const r = mandate(['sandbox', 'token', '--agent', 'demo-agent', '--tool', 'slack_list_channels'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('sandbox is off');
    expect(r.stdout).toBe('');
  });
});
