import { describe, expect, it } from 'vitest';
import { parseAgentsConfig } from '../../src/policy/config.js';
import { decide } from '../../src/policy/decide.js';
import { NOW, tool } from './fixtures.js';

/** Decides one call for agent `a` whose only rule is `rule` under key `key`. */
function call(key: string, rule: Record<string, unknown>, toolName: string, args: Record<string, unknown>) {
  const agents = parseAgentsConfig({ a: { tools: { [key]: { capability: 'allow', ...rule } } } });
  return decide({ agents, agentId: 'a', tool: tool(toolName), args, now: NOW });
}

describe('Slack channels', () => {
  const post = (channel: unknown, channels: string[] = ['#Support-Updates', 'general', 'C024BE91L']) =>
    call('slack_*', { channels }, 'slack_post_message', { channel, text: 'hi' });

  it('matches names with or without # and in any case', () => {
    for (const c of ['#support-updates', 'support-updates', '#SUPPORT-UPDATES', '#General', 'general', ' #general ']) {
      expect(post(c).effect, c).toBe('allow');
    }
  });

  it('matches channel IDs exactly', () => {
    expect(post('C024BE91L').effect).toBe('allow');
    expect(post('C024BE91X')).toMatchObject({ effect: 'deny', code: 'constraint_violation' });
  });

  it('an ID in the call matches only an ID in the list (no name lookup)', () => {
    // C0GENERAL1 may well be #general, but the policy cannot know: refused.
    expect(post('C0GENERAL1', ['#general']).code).toBe('constraint_violation');
    // And a name does not match an ID entry.
    expect(post('#c024be91l', ['C024BE91L']).code).toBe('constraint_violation');
  });

  it('refuses other channels, naming the value and the allowed set', () => {
    const d = post('#random');
    expect(d).toEqual({
      effect: 'deny',
      code: 'constraint_violation',
      reason: 'channel #random is not in the allowed channels: #Support-Updates, general, C024BE91L',
      rule: 'agents.a.tools.slack_*.channels',
    });
  });

  it('refuses a channel value it cannot read', () => {
    expect(post(42).reason).toBe('channel 42 is not in the allowed channels: #Support-Updates, general, C024BE91L');
    expect(post('x'.repeat(500)).reason).toBe(`channel ${'x'.repeat(61)}... is not in the allowed channels: #Support-Updates, general, C024BE91L`);
  });

  it('applies to every tool whose arguments carry a channel, and only to those', () => {
    const rule = { channels: ['#ok'] };
    expect(call('slack_*', rule, 'slack_add_reaction', { channel: '#no', timestamp: '1.2', name: 'eyes' }).code).toBe('constraint_violation');
    expect(call('slack_*', rule, 'slack_get_user', { user: 'U123' }).effect).toBe('allow');
  });
});

describe('calendar attendeeDomains', () => {
  const create = (attendees: unknown) =>
    call('calendar_create_event', { attendeeDomains: ['example.com', 'Partner.org'] }, 'calendar_create_event', { summary: 's', attendees });

  it('allows addresses on the listed domains, case-insensitively, as strings or {email}', () => {
    expect(create(['ann@example.com', { email: 'Bob@PARTNER.ORG' }, { email: 'c@example.com', optional: true }]).effect).toBe('allow');
    expect(create([]).effect).toBe('allow');
  });

  it('refuses any outside address, naming each and the allowed set', () => {
    const d = create(['ann@example.com', 'eve@evil.com', { email: 'mallory@example.com.evil.com' }]);
    expect(d).toMatchObject({ effect: 'deny', code: 'constraint_violation', rule: 'agents.a.tools.calendar_create_event.attendeeDomains' });
    expect(d.reason).toBe('attendees eve@evil.com, mallory@example.com.evil.com are outside the allowed domains: example.com, Partner.org');
  });

  it('domains match exactly: a subdomain is not the domain', () => {
    expect(create(['x@mail.example.com']).reason).toBe('attendee x@mail.example.com is outside the allowed domains: example.com, Partner.org');
  });

  it('refuses an attendee without an address', () => {
    expect(create([{ displayName: 'Ann' }]).code).toBe('constraint_violation');
    expect(create(['not-an-address']).code).toBe('constraint_violation');
  });

  it('does not apply to calls without attendees', () => {
    expect(create(undefined).effect).toBe('allow');
  });
});

describe('calendar hours (Europe/Berlin: winter UTC+1, summer UTC+2 from 2025-03-30)', () => {
  const HOURS = '08:00-19:00 Europe/Berlin';
  const create = (args: Record<string, unknown>, toolName = 'calendar_create_event') =>
    call('calendar_*', { hours: HOURS }, toolName, { summary: 'meeting', ...args });

  it('the same UTC time is outside the window in winter and inside it in summer', () => {
    // 06:30Z is 07:30 in Berlin on 29 March (CET) and 08:30 on 31 March (CEST).
    const winter = create({ start: '2025-03-29T06:30:00Z', end: '2025-03-29T07:30:00Z' });
    expect(winter).toMatchObject({ effect: 'deny', code: 'constraint_violation', rule: 'agents.a.tools.calendar_*.hours' });
    expect(winter.reason).toBe('start 2025-03-29T06:30:00Z is outside the allowed hours; allowed hours: 08:00-19:00 Europe/Berlin');
    expect(create({ start: '2025-03-31T06:30:00Z', end: '2025-03-31T07:30:00Z' }).effect).toBe('allow');
  });

  it('on the day the clocks change, the window follows the new offset', () => {
    // 30 March 2025: 08:00-19:00 CEST is 06:00Z-17:00Z.
    expect(create({ start: '2025-03-30T06:00:00Z', end: '2025-03-30T17:00:00Z' }).effect).toBe('allow');
    expect(create({ start: '2025-03-30T05:59:00Z', end: '2025-03-30T07:00:00Z' }).code).toBe('constraint_violation');
    expect(create({ start: '2025-03-30T16:00:00Z', end: '2025-03-30T17:01:00Z' }).code).toBe('constraint_violation');
  });

  it('the end may touch the window end, not pass it, nor spill into the next day', () => {
    expect(create({ start: '2025-01-15T17:00:00+01:00', end: '2025-01-15T19:00:00+01:00' }).effect).toBe('allow');
    const late = create({ start: '2025-01-15T18:00:00+01:00', end: '2025-01-15T19:30:00+01:00' });
    expect(late.reason).toBe('end 2025-01-15T19:30:00+01:00 is outside the allowed hours on the day the event starts; allowed hours: 08:00-19:00 Europe/Berlin');
    expect(create({ start: '2025-01-15T18:00:00+01:00', end: '2025-01-16T09:00:00+01:00' }).code).toBe('constraint_violation');
  });

  it('reads times without an offset in the event time zone, else the window zone', () => {
    expect(create({ start: '2025-06-02T08:30:00', end: '2025-06-02T09:00:00' }).effect).toBe('allow');
    expect(create({ start: '2025-06-02T07:30:00', end: '2025-06-02T08:30:00' }).code).toBe('constraint_violation');
    // 08:30 in New York is 14:30 in Berlin; 14:00 in New York is 20:00 in Berlin.
    expect(create({ start: '2025-06-02T08:30:00', end: '2025-06-02T09:00:00', timeZone: 'America/New_York' }).effect).toBe('allow');
    expect(create({ start: '2025-06-02T14:00:00', end: '2025-06-02T14:30:00', timeZone: 'America/New_York' }).code).toBe('constraint_violation');
  });

  it("reads Google's {dateTime, timeZone} objects", () => {
    const at = (t: string) => ({ dateTime: t, timeZone: 'Asia/Tokyo' });
    // 16:00 in Tokyo is 09:00 in Berlin (summer); 07:00 in Tokyo is 00:00.
    expect(create({ start: at('2025-06-02T16:00:00'), end: at('2025-06-02T17:00:00') }).effect).toBe('allow');
    expect(create({ start: at('2025-06-02T07:00:00'), end: at('2025-06-02T08:00:00') }).code).toBe('constraint_violation');
  });

  it('refuses all-day events and times it cannot read', () => {
    expect(create({ start: '2025-06-02', end: '2025-06-03' }).reason).toBe('an all-day event is outside the allowed hours; allowed hours: 08:00-19:00 Europe/Berlin');
    expect(create({ start: { date: '2025-06-02' }, end: { date: '2025-06-03' } }).code).toBe('constraint_violation');
    expect(create({ start: 'tomorrow at nine', end: '2025-06-02T10:00:00Z' }).reason).toMatch(/^start tomorrow at nine is not a date-time/);
  });

  it('binds only event creation, not searches over a time range', () => {
    expect(create({ start: '2025-06-02T01:00:00Z', end: '2025-06-02T23:00:00Z' }, 'calendar_find_free_time').effect).toBe('allow');
    expect(create({ start: '2025-06-02T01:00:00Z', end: '2025-06-02T02:00:00Z' }, 'calendar_create_event').code).toBe('constraint_violation');
  });

  it('works in a zone west of UTC across its own DST change (America/New_York, 9 March 2025)', () => {
    const ny = (start: string, end: string) =>
      call('calendar_create_event', { hours: '09:00-17:00 America/New_York' }, 'calendar_create_event', { start, end });
    // 13:30Z is 08:30 EST on 8 March and 09:30 EDT on 10 March.
    expect(ny('2025-03-08T13:30:00Z', '2025-03-08T15:00:00Z').code).toBe('constraint_violation');
    expect(ny('2025-03-10T13:30:00Z', '2025-03-10T15:00:00Z').effect).toBe('allow');
  });

  it('a window that starts near the clock change itself still starts at the right instant', () => {
    // 9 March 2025 in New York: 02:00 EST jumps to 03:00 EDT (07:00Z), so 03:00 local is 07:00Z.
    const early = (start: string) =>
      call('calendar_create_event', { hours: '03:00-12:00 America/New_York' }, 'calendar_create_event', { start, end: '2025-03-09T09:00:00Z' });
    expect(early('2025-03-09T07:00:00Z').effect).toBe('allow');
    expect(early('2025-03-09T06:59:00Z').code).toBe('constraint_violation');
  });
});

describe('CRM dealStages', () => {
  const move = (stage: unknown) =>
    call('crm_update_deal_stage', { dealStages: ['qualifiedtobuy', 'presentationscheduled'] }, 'crm_update_deal_stage', { deal_id: '1', stage });

  it('allows the listed stages', () => {
    expect(move('presentationscheduled').effect).toBe('allow');
  });

  it('refuses others, naming the stage and the allowed set', () => {
    expect(move('closedwon')).toEqual({
      effect: 'deny',
      code: 'constraint_violation',
      reason: 'deal stage closedwon is not in the allowed stages: qualifiedtobuy, presentationscheduled',
      rule: 'agents.a.tools.crm_update_deal_stage.dealStages',
    });
  });

  it('compares stage IDs exactly', () => {
    expect(move('QualifiedToBuy').code).toBe('constraint_violation');
  });
});

describe('several constraints', () => {
  it('reports every violation, and the rule path of the first', () => {
    const d = call(
      'calendar_create_event',
      { attendeeDomains: ['example.com'], hours: '08:00-19:00 UTC' },
      'calendar_create_event',
      { attendees: ['eve@evil.com'], start: '2025-06-02T22:00:00Z', end: '2025-06-02T23:00:00Z' },
    );
    expect(d.rule).toBe('agents.a.tools.calendar_create_event.attendeeDomains');
    expect(d.reason).toBe(
      'attendee eve@evil.com is outside the allowed domains: example.com; start 2025-06-02T22:00:00Z is outside the allowed hours; allowed hours: 08:00-19:00 UTC',
    );
  });

  it('constraints hold for approve rules too', () => {
    const agents = parseAgentsConfig({ a: { tools: { slack_post_message: { capability: 'approve', channels: ['#ok'] } } } });
    const d = decide({ agents, agentId: 'a', tool: tool('slack_post_message'), args: { channel: '#no' }, now: NOW });
    expect(d.code).toBe('constraint_violation');
  });
});
