import { describe, expect, it } from 'vitest';
import type { PolicyIo } from '../../src/cli/commands/policy.js';
import { runPolicy } from '../../src/cli/commands/policy.js';
import { CONTRACT_AGENTS, NOW, TOOLS } from './fixtures.js';

/** Runs `mandate policy …` against the contract config, capturing what it prints. */
async function explain(args: string[], over: Partial<PolicyIo> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runPolicy(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    agents: CONTRACT_AGENTS,
    tools: TOOLS,
    now: () => NOW,
    ...over,
  });
  return { code, stdout, stderr };
}

describe('mandate policy explain', () => {
  it('prints the decision and the rule that made it', async () => {
    const r = await explain(['explain', '--agent', 'assistant', '--tool', 'slack_post_message']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      'assistant → slack_post_message: approve (agents.assistant.tools.slack_post_message) — a human approves each call\n' +
        '  constraints: channels #support-updates (pass --args to check a call)\n' +
        '  rate limit: 10 per hour for this agent and tool (not counted here)\n',
    );
  });

  it('prints the reason of a constraint violation when given --args', async () => {
    const r = await explain(['explain', '--agent=assistant', '--tool=slack_post_message', '--args', '{"channel":"#general","text":"logs"}']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(
      'assistant → slack_post_message: deny (agents.assistant.tools.slack_post_message.channels) — constraint_violation: channel #general is not in the allowed channels: #support-updates',
    );
  });

  it('explains read-only refusals and defaults, and says when an agent is not configured', async () => {
    expect((await explain(['explain', '--agent', 'reader', '--tool', 'slack_post_message'])).stdout).toBe(
      'reader → slack_post_message: deny (agents.reader.readOnly) — read_only: agent reader is read-only and slack_post_message writes\n',
    );
    expect((await explain(['explain', '--agent', 'nobody', '--tool', 'calendar_delete_event'])).stdout).toBe(
      'nobody → calendar_delete_event: deny (default: destructive tools are denied) — capability_denied: destructive tools are denied unless the config allows them\n' +
        '  agent nobody is not in the config: the defaults apply\n',
    );
  });

  it('--json prints one machine-readable object', async () => {
    const r = await explain(['explain', '--agent', 'assistant', '--tool', 'slack_post_message', '--json']);
    expect(JSON.parse(r.stdout)).toEqual({
      agent: 'assistant',
      tool: 'slack_post_message',
      configured: true,
      effect: 'approve',
      reason: 'a human approves each call',
      rule: 'agents.assistant.tools.slack_post_message',
      rate: { key: 'assistant/slack_post_message', limit: 10, windowMs: 3_600_000 },
    });
  });

  it('shows revocations when the caller has a store', async () => {
    const r = await explain(['explain', '--agent', 'assistant', '--tool', 'crm_get_deal', '--json'], {
      revoked: async (agentId) => (agentId === 'assistant' ? { tools: ['crm_get_deal'] } : undefined),
    });
    expect(JSON.parse(r.stdout)).toMatchObject({ effect: 'deny', code: 'capability_denied', rule: 'revocation: tool' });
  });

  it('an unknown tool exits 2 and says which tools exist', async () => {
    const r = await explain(['explain', '--agent', 'assistant', '--tool', 'slack_post']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^mandate policy: unknown tool "slack_post"; known tools: .*slack_post_message/);
  });

  it('bad --args exits 2: not JSON, or not an object', async () => {
    const notJson = await explain(['explain', '--agent', 'assistant', '--tool', 'slack_post_message', '--args', '{channel: #x}']);
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toMatch(/^mandate policy: --args is not valid JSON/);
    const array = await explain(['explain', '--agent', 'assistant', '--tool', 'slack_post_message', '--args', '[1]']);
    expect(array.code).toBe(2);
    expect(array.stderr).toMatch(/--args must be a JSON object/);
    expect(notJson.stdout + array.stdout).toBe('');
  });

  it('usage errors exit 2; --help exits 0', async () => {
    expect((await explain([])).code).toBe(2);
    expect((await explain(['explian'])).stderr).toMatch(/unknown command "explian"/);
    expect((await explain(['explain', '--tool', 'slack_post_message'])).stderr).toMatch(/--agent is required/);
    expect((await explain(['explain', '--agent', 'a'])).stderr).toMatch(/--tool is required/);
    expect((await explain(['explain', '--agent', 'a', '--tool', 'x', '--colour'])).code).toBe(2);
    const help = await explain(['explain', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: mandate policy explain/);
  });
});
