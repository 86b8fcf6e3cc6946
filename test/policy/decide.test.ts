import { describe, expect, it } from 'vitest';
import { parseAgentsConfig } from '../../src/policy/config.js';
import type { DecideInput } from '../../src/policy/decide.js';
import { decide } from '../../src/policy/decide.js';
import { CONTRACT_AGENTS, NOW, tool } from './fixtures.js';

const run = (over: Partial<DecideInput> & { tool: DecideInput['tool'] }) =>
  decide({ agents: CONTRACT_AGENTS, agentId: 'assistant', now: NOW, ...over });

describe('decide: the order of the checks', () => {
  it('1. a revoked delegation beats everything, even an allowed read', () => {
    const d = run({ tool: tool('crm_get_deal'), revoked: 'delegation' });
    expect(d).toEqual({ effect: 'deny', code: 'delegation_revoked', reason: 'the user revoked the delegation to agent assistant', rule: 'revocation: delegation' });
    expect(run({ agentId: 'reader', tool: tool('slack_post_message'), revoked: 'delegation' }).code).toBe('delegation_revoked');
  });

  it('2. a revoked tool capability denies that tool as capability_denied', () => {
    const d = run({ tool: tool('crm_get_deal'), revoked: 'tool' });
    expect(d.effect).toBe('deny');
    expect(d.code).toBe('capability_denied');
    expect(d.rule).toBe('revocation: tool');
    expect(run({ tool: tool('crm_get_deal'), revoked: null }).effect).toBe('allow');
  });

  it('3. a readOnly agent is refused every write tool, even one its rules allow', () => {
    const agents = parseAgentsConfig({ reader: { readOnly: true, tools: { slack_post_message: 'allow', 'crm_*': 'allow' } } });
    const d = decide({ agents, agentId: 'reader', tool: tool('slack_post_message'), now: NOW });
    expect(d).toEqual({ effect: 'deny', code: 'read_only', reason: 'agent reader is read-only and slack_post_message writes', rule: 'agents.reader.readOnly' });
    expect(decide({ agents, agentId: 'reader', tool: tool('crm_create_note'), now: NOW }).code).toBe('read_only');
    // Reads are still governed by the rules.
    expect(decide({ agents, agentId: 'reader', tool: tool('crm_get_deal'), now: NOW }).rule).toBe('agents.reader.tools.crm_*');
    expect(decide({ agents, agentId: 'reader', tool: tool('slack_read_history'), now: NOW }).effect).toBe('allow');
  });

  it('4. a deny rule refuses as capability_denied and names the rule', () => {
    const d = run({ tool: tool('calendar_delete_event') });
    expect(d).toMatchObject({ effect: 'deny', code: 'capability_denied', rule: 'agents.assistant.tools.calendar_delete_event' });
  });

  it('5. constraints come after the capability: a denied tool is denied whatever the arguments', () => {
    const agents = parseAgentsConfig({ a: { tools: { slack_post_message: { capability: 'deny', channels: ['#ok'] } } } });
    const d = decide({ agents, agentId: 'a', tool: tool('slack_post_message'), args: { channel: '#ok' }, now: NOW });
    expect(d.code).toBe('capability_denied');
  });

  it('6. constraints are checked only when arguments are given', () => {
    const offList = { channel: '#random', text: 'logs' };
    expect(run({ tool: tool('slack_post_message') }).effect).toBe('approve');
    const d = run({ tool: tool('slack_post_message'), args: offList });
    expect(d).toMatchObject({ effect: 'deny', code: 'constraint_violation', rule: 'agents.assistant.tools.slack_post_message.channels' });
    expect(d.reason).toBe('channel #random is not in the allowed channels: #support-updates');
    expect(run({ tool: tool('slack_post_message'), args: { channel: '#support-updates', text: 'hi' } }).effect).toBe('approve');
  });

  it('7. a constraint violation wins over the rate limit', () => {
    const d = run({ tool: tool('slack_post_message'), args: { channel: '#random' }, rateCount: 99 });
    expect(d.code).toBe('constraint_violation');
  });
});

describe('decide: rate limits', () => {
  const post = (rateCount: number | undefined) =>
    run({ tool: tool('slack_post_message'), args: { channel: '#support-updates', text: 'x' }, ...(rateCount === undefined ? {} : { rateCount }) });

  it('allows the 10th call of "10/hour" and refuses the 11th', () => {
    // rateCount is how many calls were already counted in the window.
    expect(post(9).effect).toBe('approve');
    const eleventh = post(10);
    expect(eleventh).toMatchObject({ effect: 'deny', code: 'rate_limited', rule: 'agents.assistant.tools.slack_post_message.rate' });
    expect(eleventh.reason).toBe('rate limit reached: agent assistant may call slack_post_message 10 times per hour');
    expect(post(11).code).toBe('rate_limited');
  });

  it('tells the caller what to count, per agent and tool, even when no count is given', () => {
    expect(post(undefined)).toMatchObject({ effect: 'approve', rate: { key: 'assistant/slack_post_message', limit: 10, windowMs: 3_600_000 } });
    expect(post(10).rate).toEqual({ key: 'assistant/slack_post_message', limit: 10, windowMs: 3_600_000 });
  });

  it('a pattern rate is counted per tool, not shared across the pattern', () => {
    const agents = parseAgentsConfig({ a: { tools: { 'crm_*': { capability: 'allow', rate: '3/minute' } } } });
    const one = decide({ agents, agentId: 'a', tool: tool('crm_get_deal'), now: NOW });
    const two = decide({ agents, agentId: 'a', tool: tool('crm_list_deals'), now: NOW });
    expect(one.rate).toEqual({ key: 'a/crm_get_deal', limit: 3, windowMs: 60_000 });
    expect(two.rate?.key).toBe('a/crm_list_deals');
  });

  it('no rate in the rule: counts are ignored', () => {
    expect(run({ tool: tool('crm_get_deal'), rateCount: 1_000_000 })).toEqual({
      effect: 'allow',
      reason: 'runs without approval',
      rule: 'agents.assistant.tools.crm_*',
    });
  });
});

describe('decide: which rule governs', () => {
  const agents = parseAgentsConfig({
    a: {
      tools: {
        '*': 'deny',
        'crm_*': 'approve',
        'crm_get_*': 'allow',
        crm_get_deal: 'deny',
      },
    },
  });
  const ruleFor = (name: string) => decide({ agents, agentId: 'a', tool: tool(name), now: NOW });

  it('the exact name beats every pattern', () => {
    expect(ruleFor('crm_get_deal')).toMatchObject({ effect: 'deny', rule: 'agents.a.tools.crm_get_deal' });
  });

  it('the longest pattern beats shorter ones, whatever the key order', () => {
    expect(ruleFor('crm_get_contact')).toMatchObject({ effect: 'allow', rule: 'agents.a.tools.crm_get_*' });
    expect(ruleFor('crm_list_deals')).toMatchObject({ effect: 'approve', rule: 'agents.a.tools.crm_*' });
    expect(ruleFor('slack_read_history')).toMatchObject({ effect: 'deny', rule: 'agents.a.tools.*' });
    const reversed = parseAgentsConfig({ a: { tools: { crm_get_deal: 'deny', 'crm_get_*': 'allow', 'crm_*': 'approve', '*': 'deny' } } });
    expect(decide({ agents: reversed, agentId: 'a', tool: tool('crm_get_contact'), now: NOW }).rule).toBe('agents.a.tools.crm_get_*');
  });

  it('a pattern is a prefix, not a substring', () => {
    const b = parseAgentsConfig({ b: { tools: { 'get_*': 'deny' } } });
    expect(decide({ agents: b, agentId: 'b', tool: tool('crm_get_deal'), now: NOW }).rule).toBe('default: read tools are allowed');
  });

  it('an explicit rule may allow a destructive tool', () => {
    const b = parseAgentsConfig({ b: { tools: { calendar_delete_event: 'allow' } } });
    expect(decide({ agents: b, agentId: 'b', tool: tool('calendar_delete_event'), now: NOW }).effect).toBe('allow');
  });
});

describe('decide: defaults', () => {
  const def = (agentId: string, name: string) => decide({ agents: CONTRACT_AGENTS, agentId, tool: tool(name), now: NOW });

  it('reads allow, writes approve, destructive deny, for an agent the config does not name', () => {
    expect(def('stranger', 'slack_read_history')).toEqual({ effect: 'allow', reason: 'runs without approval', rule: 'default: read tools are allowed' });
    expect(def('stranger', 'slack_post_message')).toEqual({ effect: 'approve', reason: 'a human approves each call', rule: 'default: write tools need approval' });
    expect(def('stranger', 'calendar_delete_event')).toMatchObject({ effect: 'deny', code: 'capability_denied', rule: 'default: destructive tools are denied' });
  });

  it('apply to the tools a named agent has no rule for', () => {
    expect(def('assistant', 'calendar_respond_to_event')).toMatchObject({ effect: 'approve', rule: 'default: write tools need approval' });
    expect(def('assistant', 'slack_get_user')).toMatchObject({ effect: 'allow', rule: 'default: read tools are allowed' });
  });

  it('mandate_* tools are always allowed, even under a catch-all deny or readOnly', () => {
    const agents = parseAgentsConfig({ a: { readOnly: true, tools: { '*': 'deny' } } });
    for (const name of ['mandate_whoami', 'mandate_approval_status']) {
      expect(decide({ agents, agentId: 'a', tool: tool(name), now: NOW })).toMatchObject({ effect: 'allow', rule: 'default: mandate tools are always allowed' });
    }
  });

  it('an agent ID that is an Object prototype key is just an unknown agent', () => {
    expect(def('constructor', 'slack_post_message').rule).toBe('default: write tools need approval');
    expect(def('__proto__', 'calendar_delete_event').effect).toBe('deny');
  });
});
