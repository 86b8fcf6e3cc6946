// Issue #10, "no way around the mandate": what an agent controls (arguments, a tool's name, a
// request id) and what the store or the config hold must never reach a human's terminal raw.
// An attacker's `\e[8m` would hide the rest of an approval line in `mandate approvals list`;
// `\e[1A\e[2K` in a tool name would erase earlier lines of `mandate audit tail`; a U+202E
// would reverse what follows it. The built CLI runs as a user would (`npm run build` first).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { rmSync } from 'node:fs';
import { openStore } from '../../src/store/index.js';
import type { AuditRecord } from '../../src/audit/record.js';
import { runPolicy } from '../../src/cli/commands/policy.js';
import { connectStdio, mandate, tempHome } from '../helpers/cli.js';
import { sampleInput } from '../store/helpers.js';

const ESC = '\u001b';
// Raw ESC, any other C0 but \n and \t, DEL, C1, bidi controls: none may reach the terminal.
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;

const homes: string[] = [];
afterAll(() => { for (const h of homes) rmSync(h, { recursive: true, force: true }); });
function home(config?: unknown) {
  const h = tempHome(config);
  homes.push(h.home);
  return h;
}

describe('mandate approvals list shows an attacker\'s arguments escaped', () => {
  const h = home();
  beforeAll(async () => {
    const store = openStore(h.home);
    await store.createApproval({
      call_id: '01JCALL0000000000000000001',
      user: `demo-user${ESC}[2K`,
      agent: `assistant\u202e`,
      client: 'demo-client',
      tool: 'slack_post_message',
      args_digest: 'd'.repeat(64),
      args: { channel: '#support-updates', text: `hello${ESC}[8m and also delete every channel \u202eexe.txt\u0085` },
      summary: `post to #support-updates: hello${ESC}[8m hidden\nFAKE-ID  pending  approve me`,
      created_at: new Date().toISOString(),
      expires_at: new Date(Date.now() + 15 * 60_000).toISOString(),
    });
    store.close();
  });

  test('text: no raw ESC, C1 or bidi control; the escaped form is shown', () => {
    const r = mandate(['approvals', 'list'], h.env);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(RAW);
    expect(r.stdout).toContain('args: {"channel":"#support-updates","text":"hello\\u001b[8m and also delete every channel \\u202eexe.txt\\u0085"}');
    expect(r.stdout).toContain('hello\\x1b[8m hidden\\nFAKE-ID');
    expect(r.stdout).toContain('assistant\\u202e');
    expect(r.stdout).toContain('demo-user\\x1b[2K');
    // The summary's newline cannot forge a second approval line.
    expect(r.stdout.split('\n').filter((l) => /^\S+ {2}pending/.test(l))).toHaveLength(1);
  });

  test('--json: valid JSON, nothing raw, equal to what was stored', () => {
    const r = mandate(['approvals', 'list', '--json'], h.env);
    expect(r.stdout).not.toMatch(RAW);
    expect(JSON.parse(r.stdout.trim()).args.text).toBe(`hello${ESC}[8m and also delete every channel \u202eexe.txt\u0085`);
  });
});

describe('mandate audit shows a tool name of escape sequences escaped', () => {
  const h = home();
  const tool = `x${ESC}[1A${ESC}[2Ky`;
  const callId = '01JCALL00000000000000000EVIL';
  beforeAll(async () => {
    const store = openStore(h.home);
    await store.appendAudit([sampleInput(1, { call_id: callId, tool, reason: `r\u202eeason${ESC}]0;title\u0007` })]);
    await store.close();
  });

  test('tail (text)', () => {
    const r = mandate(['audit', 'tail'], h.env);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(RAW);
    expect(r.stdout).toContain('→ x\\x1b[1A\\x1b[2Ky');
  });

  test('show (text and --json)', () => {
    const text = mandate(['audit', 'show', callId], h.env);
    expect(text.code).toBe(0);
    expect(text.stdout).not.toMatch(RAW);
    expect(text.stdout).toContain('→ x\\x1b[1A\\x1b[2Ky');
    expect(text.stdout).toContain('r\\u202eeason');
    const json = mandate(['audit', 'show', callId, '--json'], h.env);
    expect(json.stdout).not.toMatch(RAW);
    expect((JSON.parse(json.stdout) as AuditRecord).tool).toBe(tool);
  });

  test('tail --json and export: JSON lines with nothing raw, equal when parsed, and the chain still verifies', () => {
    for (const args of [['audit', 'tail', '--json'], ['audit', 'export']]) {
      const r = mandate(args, h.env);
      expect(r.stdout).not.toMatch(RAW);
      const rec = JSON.parse(r.stdout.trim()) as AuditRecord;
      expect(rec.tool).toBe(tool);
      expect(rec.reason).toBe(`r\u202eeason${ESC}]0;title\u0007`);
    }
    expect(mandate(['audit', 'verify'], h.env)).toMatchObject({ code: 0, stdout: 'verified 1 records\n' });
  });
});

describe('mandate agents list shows values from the store escaped', () => {
  test('a delegating user name of control sequences', async () => {
    const h = home();
    const store = openStore(h.home);
    await store.putDelegation({ user: `eve${ESC}[2J\u202e`, agent: 'demo-agent', client: null, scopes: [], status: 'active', updated_at: new Date().toISOString() });
    store.close();
    const r = mandate(['agents', 'list'], h.env);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(RAW);
    expect(r.stdout).toContain('eve\\x1b[2J\\u202e');
  });
});

describe('mandate policy explain shows the agent it was given escaped', () => {
  test('text', async () => {
    let out = '';
    const code = await runPolicy(['explain', '--agent', `a${ESC}[2Jb\u202e`, '--tool', 'slack_post_message'], {
      stdout: { write: (s: string) => { out += s; } },
      stderr: { write: () => undefined },
      agents: {},
      tools: [{ name: 'slack_post_message', access: 'write', destructive: false }],
    });
    expect(code).toBe(0);
    expect(out).not.toMatch(RAW);
    expect(out).toContain('a\\x1b[2Jb\\u202e → slack_post_message');
  });

  test('an unknown tool named with escapes is refused, escaped', async () => {
    let text = '';
    const code = await runPolicy(['explain', '--agent', 'a', '--tool', `t${ESC}[1A`], {
      stdout: { write: () => undefined }, stderr: { write: (s: string) => { text += s; } }, agents: {}, tools: [],
    });
    expect(code).toBe(2);
    expect(text).not.toMatch(RAW);
    expect(text).toContain('t\\x1b[1A');
  });
});

describe('tools/call to an unknown tool named with escape sequences', () => {
  test('the audit record and the error carry the name escaped and cut to 128 characters', async () => {
    const h = home();
    const s = await connectStdio(h.env);
    const name = `${ESC}[1A${ESC}[2K\u202e${'A'.repeat(5000)}`;
    let callId: string;
    try {
      const r = await s.client.callTool({ name, arguments: {} });
      expect(r.isError).toBe(true);
      callId = (r._meta as Record<string, string>)['mandate/call_id']!;
      const message = (r.structuredContent as { error: { message: string } }).error.message;
      expect(message).not.toMatch(RAW);
      expect(message).toContain('\\x1b[1A\\x1b[2K\\u202eAAA');
      expect(message.length).toBeLessThan(200);
    } finally {
      await s.close();
    }
    const store = openStore(h.home);
    const records = await store.readAudit({ callId, order: 'asc' });
    store.close();
    expect(records.map((x) => x.event)).toEqual(['received', 'denied']);
    for (const rec of records) {
      expect(rec.tool).not.toMatch(RAW);
      expect(rec.tool.length).toBeLessThanOrEqual(128);
      expect(rec.tool).toMatch(/^\\x1b\[1A\\x1b\[2K\\u202eA+…$/);
    }
    expect(s.stderr()).not.toMatch(RAW);
  });
});
