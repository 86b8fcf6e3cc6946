// Tests that pin down what the policy modules say and refuse, exactly, where mutation testing
// found a change no other test noticed (issue #17): messages, patterns' anchors and bounds,
// the guards in constraint checks, the rate and the revocation hook.
import { describe, expect, it, vi } from 'vitest';
import { AgentsConfigError, formatPath, parseAgentsConfig, unmatchedToolKeys } from '../../src/policy/config.js';
import { checkConstraints, normalizeChannel } from '../../src/policy/constraints.js';
import { decide } from '../../src/policy/decide.js';
import { resolveEventTime } from '../../src/policy/hours.js';
import { parseRate } from '../../src/policy/rate.js';
import { revokeMandate } from '../../src/policy/revoke.js';
import { APPROVAL_NOTE, listedDescription, revocationFor } from '../../src/policy/visibility.js';
import type { Store } from '../../src/store/types.js';
import { NOW, tool } from './fixtures.js';

/** The problems `parseAgentsConfig` reports, or [] when it parses. */
function problems(input: unknown): readonly string[] {
  try {
    parseAgentsConfig(input);
    return [];
  } catch (err) {
    expect(err).toBeInstanceOf(AgentsConfigError);
    expect((err as Error).name).toBe('AgentsConfigError');
    expect((err as Error).message).toBe(`invalid config:\n  ${(err as AgentsConfigError).problems.join('\n  ')}`);
    return (err as AgentsConfigError).problems;
  }
}
const toolKey = (key: string) => problems({ a: { tools: { [key]: 'allow' } } });
const rule = (r: Record<string, unknown>) => problems({ a: { tools: { calendar_create_event: { capability: 'allow', ...r } } } });

describe('config: keys, IDs and values', () => {
  it('tool keys: names up to 128 characters, or a prefix of up to 127 and a *', () => {
    expect(toolKey('x'.repeat(128))).toEqual([]);
    expect(toolKey('x'.repeat(129))).toHaveLength(1);
    expect(toolKey(`${'x'.repeat(127)}*`)).toEqual([]);
    expect(toolKey(`${'x'.repeat(128)}*`)).toHaveLength(1);
    expect(toolKey('ab*')).toEqual([]);
    expect(toolKey('*')).toEqual([]);
    expect(toolKey('a b')).toEqual(['agents.a.tools.a b: invalid key: tool keys are tool names, optionally ending in "*" (e.g. "crm_*")']);
    expect(toolKey('a*b*')).toHaveLength(1);
    expect(toolKey('mandate_whoami')).toEqual(['agents.a.tools.mandate_whoami: invalid key: mandate_* tools are always allowed and cannot be configured']);
    expect(toolKey('mandatex')).toEqual([]);
  });

  it('agent IDs: a letter or digit first, then up to 127 of letters, digits and _ . : @ -', () => {
    expect(problems({ ['a'.repeat(128)]: {} })).toEqual([]);
    expect(problems({ ['a'.repeat(129)]: {} })).toHaveLength(1);
    expect(problems({ 'ab:c@d.e-f_g': {} })).toEqual([]);
    expect(problems({ _a: {} })).toEqual(['agents._a: invalid key: agent IDs are letters, digits and _ . : @ - (at most 128)']);
    expect(problems({ 'a b': {} })).toHaveLength(1);
  });

  it('unknown keys are named, for a rule and for an agent; a non-object agents section is plain', () => {
    expect(rule({ capabilty: 'x' })).toEqual([
      'agents.a.tools.calendar_create_event.capabilty: unknown key; a tool rule takes capability, channels, attendeeDomains, hours, dealStages, accounts, rate, contentGuard, requirePurpose',
    ]);
    expect(problems({ a: { tool: {} } })).toEqual(['agents.a.tool: unknown key; an agent takes readOnly, tools, parent, contentGuard, requirePurpose']);
    expect(problems([])).toEqual(['agents: must be an object mapping agent IDs to their settings']);
    expect(problems({ a: { readOnly: 'yes' } })).toEqual(['agents.a.readOnly: must be true or false']);
    expect(problems({ a: { tools: { crm_get_deal: 'maybe' } } })).toEqual([
      'agents.a.tools.crm_get_deal: must be "allow", "approve", "deny" or an object with a "capability"',
    ]);
    expect(problems({ a: { tools: { crm_get_deal: { capability: 'maybe' } } } })).toEqual([
      'agents.a.tools.crm_get_deal.capability: must be "allow", "approve" or "deny"',
    ]);
  });

  it('hours: unknown zone and backwards windows are named', () => {
    expect(rule({ hours: '08:00-19:00 Mars/Olympus' })).toEqual(['agents.a.tools.calendar_create_event.hours: unknown time zone "Mars/Olympus"']);
    expect(rule({ hours: '19:00-08:00 UTC' })).toEqual(['agents.a.tools.calendar_create_event.hours: the window must end after it starts, on the same day']);
    expect(rule({ hours: '08:00-19:00 UTC' })).toEqual([]);
    expect(rule({ hours: '24:00-24:00 UTC' })).toHaveLength(1);
    expect(rule({ hours: '08:00-29:00 UTC' })).toHaveLength(1);
    expect(rule({ hours: ' 08:00-19:00 UTC' })).toHaveLength(1);
    expect(rule({ hours: '08:00-19:00 UTC extra' })).toHaveLength(1);
    expect(rule({ hours: '20:00-23:59 UTC' })).toEqual([]);
    expect(rule({ hours: '23:00-24:00 UTC' })).toEqual([]);
  });

  it('channels and deal stages may not be empty strings; domains must be domains', () => {
    expect(problems({ a: { tools: { slack_post_message: { capability: 'allow', channels: [''] } } } })).toEqual([
      'agents.a.tools.slack_post_message.channels[0]: a channel cannot be empty',
    ]);
    expect(problems({ a: { tools: { slack_post_message: { capability: 'allow', channels: ['#a'] } } } })).toEqual([]);
    expect(problems({ a: { tools: { crm_update_deal_stage: { capability: 'allow', dealStages: [''] } } } })).toEqual([
      'agents.a.tools.crm_update_deal_stage.dealStages[0]: a deal stage cannot be empty',
    ]);
    const domain = (d: string) => rule({ attendeeDomains: [d] });
    for (const ok of ['example.com', 'a.b-c.example.com', 'x', 'a1.b2', `${'a'.repeat(63)}.com`]) expect(domain(ok), ok).toEqual([]);
    for (const bad of ['-a.com', 'a-.com', 'a..com', '.com', 'a.com.', `${'a'.repeat(64)}.com`, 'a_b.com', 'a.-b', 'a.b-', `a.${'b'.repeat(64)}`]) {
      expect(domain(bad), bad).toEqual([`agents.a.tools.calendar_create_event.attendeeDomains[0]: must be a domain such as "example.com"`]);
    }
  });

  it('rates: 1 to 999999999 per unit, nothing else', () => {
    const rate = (r: string) => rule({ rate: r });
    expect(rate('1/second')).toEqual([]);
    expect(rate('999999999/day')).toEqual([]);
    for (const bad of ['0/hour', '01/hour', '1000000000/day', 'x1/hour', '1x/hour', '10/week', '10/hour ']) expect(rate(bad), bad).toHaveLength(1);
    expect(parseRate('10/hour')).toEqual({ limit: 10, windowMs: 3_600_000 });
    expect(parseRate('3/minute')).toEqual({ limit: 3, windowMs: 60_000 });
    expect(parseRate('10/week')).toBeUndefined();
    expect(parseRate('a10/hour')).toBeUndefined();
  });

  it('paths: (root) for none, brackets for indexes', () => {
    expect(formatPath([])).toBe('(root)');
    expect(formatPath(['agents', 'a', 0, 'b'])).toBe('agents.a[0].b');
    expect(formatPath([0])).toBe('[0]');
  });

  it('unmatched tool keys: a pattern must prefix a tool, a name must be one', () => {
    const agents = parseAgentsConfig({ a: { tools: { 'slack_*': 'allow', 'zzz*': 'allow', crm_get_deal: 'allow', crm_get: 'deny', '*': 'allow' } } });
    expect(unmatchedToolKeys(agents, ['slack_post_message', 'crm_get_deal'])).toEqual([
      'agents.a.tools.zzz*: matches no tool',
      'agents.a.tools.crm_get: matches no tool',
    ]);
    // The * is cut off, not another character: "crm_get_deal*" prefixes crm_get_deal itself.
    expect(unmatchedToolKeys(parseAgentsConfig({ a: { tools: { 'crm_get_deal*': 'allow' } } }), ['crm_get_deal'])).toEqual([]);
  });
});

describe('constraints: exact reasons and guards', () => {
  const post = (channel: unknown, channels: string[]) => checkConstraints({ capability: 'allow', channels }, 'slack_post_message', { channel });

  it('channel IDs are anchored at both ends; an ID matches only the same ID', () => {
    expect(normalizeChannel('C024BE91L')).toEqual({ kind: 'id', value: 'C024BE91L' });
    expect(normalizeChannel('xC024BE91L')).toEqual({ kind: 'name', value: 'xc024be91l' });
    expect(normalizeChannel('C024BE91Lx')).toEqual({ kind: 'name', value: 'c024be91lx' });
    expect(post('C024BE91L', ['C024BE91X'])).toHaveLength(1);
    expect(post('general', ['#random'])).toEqual([{ constraint: 'channels', reason: 'channel general is not in the allowed channels: #random' }]);
    expect(post('general', [])).toEqual([{ constraint: 'channels', reason: 'channel general is not in the allowed channels: (none)' }]);
    expect(post(['general'], ['general'])).toEqual([{ constraint: 'channels', reason: 'channel ["general"] is not in the allowed channels: general' }]);
    expect(post('x'.repeat(64), ['a'])[0]!.reason).toBe(`channel ${'x'.repeat(64)} is not in the allowed channels: a`);
    expect(post('x'.repeat(65), ['a'])[0]!.reason).toBe(`channel ${'x'.repeat(61)}... is not in the allowed channels: a`);
    expect(post(undefined, ['a'])).toEqual([]);
  });

  it('attendees: strings or {email}; anything else, or an address without a local part, is outside', () => {
    const invite = (attendees: unknown) => checkConstraints({ capability: 'allow', attendeeDomains: ['Example.com'] }, 'calendar_create_event', { attendees });
    expect(invite(['a@example.com', { email: 'b@EXAMPLE.com ' }])).toEqual([]);
    expect(invite('a@example.com')).toEqual([]);
    expect(invite([{ email: 7 }])).toEqual([{ constraint: 'attendeeDomains', reason: 'attendee {"email":7} is outside the allowed domains: Example.com' }]);
    expect(invite([null])).toEqual([{ constraint: 'attendeeDomains', reason: 'attendee null is outside the allowed domains: Example.com' }]);
    expect(invite(['@example.com'])).toEqual([{ constraint: 'attendeeDomains', reason: 'attendee @example.com is outside the allowed domains: Example.com' }]);
    expect(invite(['example.com'])).toHaveLength(1);
    expect(invite(['a@evil.com', 'b@evil.com'])).toEqual([{ constraint: 'attendeeDomains', reason: 'attendees a@evil.com, b@evil.com are outside the allowed domains: Example.com' }]);
    expect(invite(['a@evil.com@example.com'])).toEqual([]);
  });

  it('deal stages: only listed strings; no stage, no check', () => {
    const move = (args: Record<string, unknown>) => checkConstraints({ capability: 'allow', dealStages: ['won'] }, 'crm_update_deal_stage', args);
    expect(move({ stage: 'won' })).toEqual([]);
    expect(move({ stage: 'lost' })).toEqual([{ constraint: 'dealStages', reason: 'deal stage lost is not in the allowed stages: won' }]);
    expect(move({ stage: ['won'] })).toHaveLength(1);
    expect(move({})).toEqual([]);
    expect(checkConstraints({ capability: 'allow' }, 'crm_update_deal_stage', { stage: 'lost' })).toEqual([]);
  });

  it('hours: boundaries are inclusive, and a start after the window end is refused', () => {
    const at = (start?: string, end?: string) => checkConstraints({ capability: 'allow', hours: '08:00-19:00 UTC' }, 'calendar_create_event', { start, end });
    expect(at('2025-06-02T08:00:00Z', '2025-06-02T19:00:00Z')).toEqual([]);
    expect(at('2025-06-02T19:00:00Z', '2025-06-02T19:00:00Z')).toEqual([]);
    expect(at('2025-06-02T19:00:01Z', '2025-06-02T19:00:02Z')[0]!.reason).toBe('start 2025-06-02T19:00:01Z is outside the allowed hours; allowed hours: 08:00-19:00 UTC');
    expect(at('2025-06-02T09:00:00Z', '2025-06-02T08:00:00Z')).toEqual([]); // the end check is the window's, not ordering
    expect(at('2025-06-02T09:00:00Z', '2025-06-02T07:59:59Z')).toHaveLength(1);
    expect(at('2025-06-02T08:00:00Z', undefined)).toEqual([]);
    expect(at(undefined, '2025-06-02T19:00:00Z')).toEqual([]);
    expect(at('bad', undefined)[0]!.reason).toBe('start bad is not a date-time; allowed hours: 08:00-19:00 UTC');
    expect(at('2025-06-02T09:00:00Z', 'bad')[0]!.reason).toBe('end bad is not a date-time; allowed hours: 08:00-19:00 UTC');
    // A tool the hours do not bind, or a rule without hours: nothing checked.
    expect(checkConstraints({ capability: 'allow', hours: '08:00-19:00 UTC' }, 'calendar_find_free_time', { start: 'bad' })).toEqual([]);
    expect(checkConstraints({ capability: 'allow' }, 'calendar_create_event', { start: 'bad' })).toEqual([]);
  });

  it('event times: dates, floating times and their parts', () => {
    expect(resolveEventTime('2025-06-02', 'UTC')).toBe('all-day');
    expect(resolveEventTime({ date: '2025-06-02', dateTime: undefined }, 'UTC')).toBe('all-day');
    expect(resolveEventTime({ dateTime: '2025-06-02' }, 'UTC')).toBe('all-day');
    expect(resolveEventTime({ date: 5 }, 'UTC')).toBeUndefined();
    expect(resolveEventTime({ timeZone: 'UTC' }, 'UTC')).toBeUndefined();
    expect(resolveEventTime(20250602, 'UTC')).toBeUndefined();
    expect(resolveEventTime('2025-11-23T10:20:30', 'UTC')).toBe(Date.UTC(2025, 10, 23, 10, 20, 30));
    expect(resolveEventTime('2025-11-23T10:20', 'UTC')).toBe(Date.UTC(2025, 10, 23, 10, 20, 0));
    expect(resolveEventTime('2025-11-23T10:20:30.5', 'UTC')).toBe(Date.UTC(2025, 10, 23, 10, 20, 30));
    expect(resolveEventTime('2025-11-23T10:20:30.', 'UTC')).toBeUndefined();
    expect(resolveEventTime('2025-11-23T10:20.5', 'UTC')).toBeUndefined();
    expect(resolveEventTime('2025-11-23T10:20:30.xZ', 'UTC')).toBeUndefined();
    expect(resolveEventTime('2025-11-23T10:20:30+0100', 'UTC')).toBe(Date.UTC(2025, 10, 23, 9, 20, 30));
  });
});

describe('decide: exact reasons and rules', () => {
  const agents = parseAgentsConfig({
    a: { tools: { crm_get_deal: 'deny', crm_list_deals: { capability: 'allow' }, slack_list_channels: { capability: 'allow', rate: '2/hour' } } },
  });
  const d = (name: string, extra: Partial<Parameters<typeof decide>[0]> = {}) => decide({ agents, agentId: 'a', tool: tool(name), now: NOW, ...extra });

  it('says which revocation, which rule, and what the mandate tools are', () => {
    expect(d('crm_get_deal', { revoked: 'tool' }).reason).toBe("the user revoked agent a's crm_get_deal capability");
    expect(d('crm_get_deal').reason).toBe('the config denies agent a the tool crm_get_deal');
    expect(d('mandate_whoami')).toEqual({ effect: 'allow', reason: "Mandate's own tools are always available", rule: 'default: mandate tools are always allowed' });
    expect(d('crm_list_deals')).toEqual({ effect: 'allow', reason: 'runs without approval', rule: 'agents.a.tools.crm_list_deals' });
  });

  it('a rate is reported with its key and window, and refuses at the limit only when counted', () => {
    expect(d('slack_list_channels')).toEqual({
      effect: 'allow', reason: 'runs without approval', rule: 'agents.a.tools.slack_list_channels',
      rate: { key: 'a/slack_list_channels', limit: 2, windowMs: 3_600_000 },
    });
    expect(d('slack_list_channels', { rateCount: 1 }).effect).toBe('allow');
    expect(d('slack_list_channels', { rateCount: 2 })).toMatchObject({ effect: 'deny', code: 'rate_limited', rate: { limit: 2 } });
    expect(d('crm_list_deals', { rateCount: 99 })).toEqual({ effect: 'allow', reason: 'runs without approval', rule: 'agents.a.tools.crm_list_deals' });
  });
});

describe('visibility and revocation', () => {
  it('a revoked tool given as one name is that name only', () => {
    expect(revocationFor('crm_get_deal', 'crm_get_deal')).toBe('tool');
    expect(revocationFor('crm_get_deal', 'crm_list_deals')).toBeNull();
    expect(revocationFor({ delegation: false }, 'crm_get_deal')).toBeNull();
    expect(revocationFor({ tools: ['x'] }, 'crm_get_deal')).toBeNull();
    expect(revocationFor(undefined, 'crm_get_deal')).toBeNull();
  });

  it('the approval note is appended, word for word, only to approve tools', () => {
    expect(APPROVAL_NOTE).toBe('Each call needs a human approval: the call waits for it, or returns approval_pending with an approval_id; repeat the identical call once approved.');
    expect(listedDescription('D.', 'approve')).toBe(`D.\n\n${APPROVAL_NOTE}`);
    expect(listedDescription('D.', 'allow')).toBe('D.');
  });

  it('revokeMandate passes who, why and for whom to the store, cancels that scope, then runs the hook', async () => {
    const revocation = { agent: 'a', tool: 't', user: 'u', by: 'dana (cli)', reason: 'why', created_at: 'now' };
    const store = { revoke: vi.fn(async () => revocation), cancelApprovals: vi.fn(async () => 3) } as unknown as Store;
    const hook = vi.fn(async () => undefined);
    expect(await revokeMandate(store, { agent: 'a', tool: 't', user: 'u', by: 'dana (cli)', reason: 'why' }, hook)).toEqual({ revocation, cancelledApprovals: 3 });
    expect(store.revoke).toHaveBeenCalledWith({ agent: 'a', tool: 't', user: 'u', by: 'dana (cli)', reason: 'why' });
    expect(store.cancelApprovals).toHaveBeenCalledWith({ agent: 'a', tool: 't' });
    expect(hook).toHaveBeenCalledWith(revocation);
    await revokeMandate(store, { agent: 'a', by: 'x' });
    expect(store.revoke).toHaveBeenLastCalledWith({ agent: 'a', tool: null, user: null, by: 'x', reason: null });
    expect(store.cancelApprovals).toHaveBeenLastCalledWith({ agent: 'a', tool: null });
  });
});
