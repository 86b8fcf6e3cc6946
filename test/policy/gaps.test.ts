// Behaviours mutation testing found no test holding (issue #17). Each test here fails on the
// mutant named in its title; the policy's other suites hold the rest.
import { describe, expect, it } from 'vitest';
import { parseAgentsConfig } from '../../src/policy/config.js';
import { decide } from '../../src/policy/decide.js';
import { parseHours, resolveEventTime, windowOnDayOf } from '../../src/policy/hours.js';
import { matchRule } from '../../src/policy/match.js';
import { NOW, tool } from './fixtures.js';

const create = (hours: string, args: Record<string, unknown>) => {
  const agents = parseAgentsConfig({ a: { tools: { calendar_create_event: { capability: 'allow', hours } } } });
  return decide({ agents, agentId: 'a', tool: tool('calendar_create_event'), args: { summary: 'm', ...args }, now: NOW });
};
const UTC_DAY = '08:00-19:00 UTC';

describe('hours: an event with only one of start and end', () => {
  it('only a start outside the window is refused (not skipped for want of an end)', () => {
    expect(create(UTC_DAY, { start: '2025-06-02T22:00:00Z' })).toMatchObject({ effect: 'deny', code: 'constraint_violation' });
    expect(create(UTC_DAY, { start: '2025-06-02T09:00:00Z' }).effect).toBe('allow');
  });

  it('only an end outside the window is refused, checked on its own day', () => {
    const late = create(UTC_DAY, { end: '2025-06-02T20:00:00Z' });
    expect(late).toMatchObject({ effect: 'deny', code: 'constraint_violation' });
    expect(late.reason).toBe('end 2025-06-02T20:00:00Z is outside the allowed hours on the day the event starts; allowed hours: 08:00-19:00 UTC');
    expect(create(UTC_DAY, { end: '2025-06-02T07:59:00Z' }).code).toBe('constraint_violation');
    expect(create(UTC_DAY, { end: '2025-06-02T10:00:00Z' }).effect).toBe('allow');
  });

  it('neither start nor end: the constraint does not apply', () => {
    expect(create(UTC_DAY, {}).effect).toBe('allow');
  });
});

describe('hours: unreadable and all-day times', () => {
  it('an unreadable end is refused even when the start is fine', () => {
    const d = create(UTC_DAY, { start: '2025-06-02T09:00:00Z', end: 'after lunch' });
    expect(d).toMatchObject({ effect: 'deny', code: 'constraint_violation' });
    expect(d.reason).toBe('end after lunch is not a date-time; allowed hours: 08:00-19:00 UTC');
    expect(create(UTC_DAY, { start: '2025-06-02T09:00:00Z', end: { dateTime: 42 } }).code).toBe('constraint_violation');
  });

  it('a timed start with an all-day end is refused, and an all-day start with a timed end', () => {
    expect(create(UTC_DAY, { start: '2025-06-02T09:00:00Z', end: '2025-06-03' }).reason)
      .toBe('an all-day event is outside the allowed hours; allowed hours: 08:00-19:00 UTC');
    expect(create(UTC_DAY, { start: '2025-06-02T09:00:00Z', end: { date: '2025-06-03' } }).code).toBe('constraint_violation');
    expect(create(UTC_DAY, { start: { date: '2025-06-02' }, end: '2025-06-02T10:00:00Z' }).code).toBe('constraint_violation');
  });

  it('a {date} object that is not a date is unreadable, not all-day', () => {
    expect(resolveEventTime({ date: 'June 2nd' }, 'UTC')).toBeUndefined();
    expect(resolveEventTime({ date: '2025-06-02' }, 'UTC')).toBe('all-day');
    // A dateTime beside a date wins: it is read as a time.
    expect(resolveEventTime({ date: '2025-06-02', dateTime: '2025-06-02T10:00:00Z' }, 'UTC')).toBe(Date.parse('2025-06-02T10:00:00Z'));
  });

  it('reads seconds, fractions and offsets without a colon', () => {
    expect(resolveEventTime('2025-06-02T10:00:30', 'UTC')).toBe(Date.parse('2025-06-02T10:00:30Z'));
    expect(resolveEventTime('2025-06-02T10:00:30.250+0200', 'UTC')).toBe(Date.parse('2025-06-02T08:00:30.250Z'));
    expect(resolveEventTime('2025-06-02t10:00z', 'UTC')).toBe(Date.parse('2025-06-02T10:00:00Z'));
    expect(resolveEventTime('2025-13-45T10:00:00Z', 'UTC')).toBeUndefined();
    expect(resolveEventTime(' 2025-06-02T10:00:00Z', 'UTC')).toBeUndefined();
    expect(resolveEventTime('2025-06-02T10:00:00Z ', 'UTC')).toBeUndefined();
    expect(resolveEventTime('x2025-06-02', 'UTC')).toBeUndefined();
    expect(resolveEventTime('2025-06-02x', 'UTC')).toBeUndefined();
    expect(resolveEventTime(null, 'UTC')).toBeUndefined();
  });
});

describe('hours: windows that do not start on the hour', () => {
  it('"08:30-17:15" keeps its minutes at both ends', () => {
    const w = parseHours('08:30-17:15 UTC')!;
    expect(w).toEqual({ startMinute: 510, endMinute: 1035, timeZone: 'UTC', text: '08:30-17:15 UTC' });
    expect(windowOnDayOf(w, Date.parse('2025-06-02T12:00:00Z'))).toEqual({
      start: Date.parse('2025-06-02T08:30:00Z'), end: Date.parse('2025-06-02T17:15:00Z'),
    });
    expect(create('08:30-17:15 UTC', { start: '2025-06-02T08:15:00Z', end: '2025-06-02T09:00:00Z' }).code).toBe('constraint_violation');
    expect(create('08:30-17:15 UTC', { start: '2025-06-02T08:30:00Z', end: '2025-06-02T17:15:00Z' }).effect).toBe('allow');
    expect(create('08:30-17:15 UTC', { start: '2025-06-02T16:00:00Z', end: '2025-06-02T17:16:00Z' }).code).toBe('constraint_violation');
  });

  it('the end may be 24:00 but not 24:30, and must come after the start', () => {
    expect(parseHours('08:00-24:00 UTC')).toMatchObject({ endMinute: 1440 });
    expect(parseHours('08:00-24:30 UTC')).toBeUndefined();
    expect(parseHours('08:00-08:00 UTC')).toBeUndefined();
    expect(parseHours('08:01-08:00 UTC')).toBeUndefined();
    expect(parseHours('08:00-08:01 UTC')).toMatchObject({ startMinute: 480, endMinute: 481 });
    expect(parseHours('08:00-19:00 Mars/Olympus')).toBeUndefined();
    expect(parseHours('x08:00-19:00 UTC')).toBeUndefined();
    expect(() => parseAgentsConfig({ a: { tools: { calendar_create_event: { capability: 'allow', hours: '08:00-24:30 UTC' } } } })).toThrow();
    // 24:00 is the next day's midnight.
    const w = parseHours('20:00-24:00 UTC')!;
    expect(windowOnDayOf(w, Date.parse('2025-06-02T21:00:00Z')).end).toBe(Date.parse('2025-06-03T00:00:00Z'));
  });
});

describe("hours: the event's own time zone", () => {
  // 08:30 in New York is 14:30 in Berlin; 14:00 in New York is 20:00 in Berlin.
  const berlin = '08:00-19:00 Europe/Berlin';
  it('reads time_zone, as calendar_create_event names it, for times without an offset', () => {
    expect(create(berlin, { start: '2025-06-02T08:30:00', end: '2025-06-02T09:00:00', time_zone: 'America/New_York' }).effect).toBe('allow');
    expect(create(berlin, { start: '2025-06-02T14:00:00', end: '2025-06-02T14:30:00', time_zone: 'America/New_York' }).code).toBe('constraint_violation');
  });

  it("reads a {dateTime, timeZone} object's own zone over the window's", () => {
    expect(resolveEventTime({ dateTime: '2025-06-02T08:30:00', timeZone: 'America/New_York' }, 'Europe/Berlin')).toBe(Date.parse('2025-06-02T12:30:00Z'));
    expect(resolveEventTime({ dateTime: '2025-06-02T08:30:00', timeZone: 'Nowhere/Else' }, 'Europe/Berlin')).toBe(Date.parse('2025-06-02T06:30:00Z'));
    expect(resolveEventTime({ dateTime: '2025-06-02T08:30:00', timeZone: 7 }, 'Europe/Berlin')).toBe(Date.parse('2025-06-02T06:30:00Z'));
  });

  it('an unknown zone falls back to the window zone', () => {
    expect(create(berlin, { start: '2025-06-02T08:30:00', end: '2025-06-02T09:00:00', time_zone: 'Nowhere/Else' }).effect).toBe('allow');
    expect(create(berlin, { start: '2025-06-02T07:30:00', end: '2025-06-02T09:00:00', time_zone: 'Nowhere/Else' }).code).toBe('constraint_violation');
  });
});

describe('the longest pattern wins, whatever the key order', () => {
  const agentWith = (tools: Record<string, string>) => parseAgentsConfig({ a: { tools } }).a;
  const cases: Array<[Record<string, string>, string]> = [
    [{ 'slack_*': 'allow', 'slack_p*': 'deny' }, 'slack_p*'],
    [{ 'slack_p*': 'deny', 'slack_*': 'allow' }, 'slack_p*'],
    [{ 'slack_*': 'allow', 'slack_po*': 'deny' }, 'slack_po*'],
    [{ 'slack_po*': 'deny', 'slack_*': 'allow' }, 'slack_po*'],
    [{ 'slack_post*': 'deny', 'slack_p*': 'approve', 'slack_*': 'allow' }, 'slack_post*'],
    [{ 'slack_*': 'allow', 'slack_p*': 'approve', 'slack_post*': 'deny' }, 'slack_post*'],
    [{ '*': 'allow', 's*': 'deny' }, 's*'],
    [{ 's*': 'deny', '*': 'allow' }, 's*'],
  ];
  for (const [tools, key] of cases) {
    it(`${Object.keys(tools).join(' then ')} → ${key}`, () => {
      expect(matchRule(agentWith(tools), 'slack_post_message')?.key).toBe(key);
    });
  }

  it('a pattern that does not prefix the name never wins, however long', () => {
    expect(matchRule(agentWith({ 'slack_*': 'allow', 'slack_read_history_and_more*': 'deny' }), 'slack_post_message')?.key).toBe('slack_*');
    expect(matchRule(agentWith({ 'crm_*': 'allow' }), 'slack_post_message')).toBeUndefined();
    expect(matchRule(agentWith({ slack_post: 'deny' }), 'slack_post_message')).toBeUndefined();
  });

  it('the decision follows: the longer deny beats the shorter allow', () => {
    const agents = parseAgentsConfig({ a: { tools: { 'slack_*': 'allow', 'slack_p*': 'deny' } } });
    expect(decide({ agents, agentId: 'a', tool: tool('slack_post_message'), now: NOW })).toMatchObject({
      effect: 'deny', rule: 'agents.a.tools.slack_p*',
    });
  });
});
