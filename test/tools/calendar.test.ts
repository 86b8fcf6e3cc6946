// The calendar tools end to end against the emulator (through the real connector), their
// definitions against the contract, and the pure free-time finder on its own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { z } from 'zod';
import { annotationsFor, type AnyTool, type ToolContext } from '../../tools/define.js';
import { calendarTools } from '../../tools/calendar/index.js';
import { calendarListEvents } from '../../tools/calendar/calendar_list_events.js';
import { calendarFindFreeTime } from '../../tools/calendar/calendar_find_free_time.js';
import { calendarCreateEvent } from '../../tools/calendar/calendar_create_event.js';
import { calendarRespondToEvent } from '../../tools/calendar/calendar_respond_to_event.js';
import { calendarDeleteEvent } from '../../tools/calendar/calendar_delete_event.js';
import { findFreeSlots, type Interval } from '../../tools/calendar/lib/free-slots.js';
import { CalendarConnector } from '../../src/connectors/calendar.js';
import { staticTokenSource } from '../../src/connectors/http.js';
import { MandateError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { PROVIDER_SCOPES } from '../../src/resources.js';
import { startCalendarEmulator, type CalendarEmulator } from '../../src/sandbox/calendar/emulator.js';

const DAY = 86_400_000;
const H = 3_600_000;
let em: CalendarEmulator;
let ctx: ToolContext<CalendarConnector>;

/** Runs a tool as the pipeline would: parse the arguments, call the handler, parse the result. */
async function run<T extends AnyTool>(tool: T, args: Record<string, unknown>): Promise<z.infer<T['output']>> {
  const parsed = tool.input.strict().parse(args);
  const out = await tool.handler(parsed, ctx);
  return tool.output.parse(out) as z.infer<T['output']>;
}

beforeAll(async () => {
  em = await startCalendarEmulator();
  const connector = new CalendarConnector({ baseUrl: `${em.url}/calendar/v3`, tokens: staticTokenSource('sandbox-token') });
  ctx = { connector, callId: '01TESTCALL', log: silentLogger(), signal: new AbortController().signal };
});
afterAll(async () => { await em.close(); });

describe('definitions', () => {
  it("are the contract's calendar tools, in its order", () => {
    expect(calendarTools.map((t) => t.name)).toEqual([
      'calendar_list_events', 'calendar_find_free_time', 'calendar_create_event', 'calendar_respond_to_event', 'calendar_delete_event',
    ]);
    expect(calendarTools.every((t) => t.provider === 'calendar')).toBe(true);
  });

  it('derive annotations from access: reads read-only, delete destructive, respond idempotent', () => {
    const a = Object.fromEntries(calendarTools.map((t) => [t.name, annotationsFor(t)]));
    expect(a.calendar_list_events).toMatchObject({ readOnlyHint: true, openWorldHint: true });
    expect(a.calendar_find_free_time).toMatchObject({ readOnlyHint: true });
    expect(a.calendar_create_event).toMatchObject({ readOnlyHint: false, destructiveHint: false, idempotentHint: false });
    expect(a.calendar_respond_to_event).toMatchObject({ readOnlyHint: false, destructiveHint: false, idempotentHint: true });
    expect(a.calendar_delete_event).toMatchObject({ readOnlyHint: false, destructiveHint: true });
  });

  it('ask for one minimal, real Google scope each', () => {
    const scopes = Object.fromEntries(calendarTools.map((t) => [t.name, t.scopes]));
    const g = 'https://www.googleapis.com/auth/calendar';
    expect(scopes).toEqual({
      calendar_list_events: [`${g}.events.readonly`], calendar_find_free_time: [`${g}.freebusy`],
      calendar_create_event: [`${g}.events`], calendar_respond_to_event: [`${g}.events`], calendar_delete_event: [`${g}.events`],
    });
    for (const t of calendarTools) for (const s of t.scopes) expect(PROVIDER_SCOPES.calendar).toContain(s);
  });

  it('have object schemas without top-level unions, every field described', () => {
    for (const t of calendarTools) {
      for (const schema of [z.toJSONSchema(t.input, { io: 'input' }), z.toJSONSchema(t.output)]) {
        expect(schema.type).toBe('object');
        expect(schema).not.toHaveProperty('anyOf');
        for (const [k, p] of Object.entries(schema.properties ?? {})) expect((p as { description?: string }).description, `${t.name}.${k}`).toBeTruthy();
      }
    }
  });

  it('reject unknown and malformed arguments before any request', () => {
    const before = em.requests.length;
    expect(calendarListEvents.input.strict().safeParse({ bogus: 1 }).success).toBe(false);
    expect(calendarListEvents.input.safeParse({ limit: 500 }).success).toBe(false);
    expect(calendarCreateEvent.input.safeParse({ summary: 'x', start: '2025-03-04T09:00:00', end: '2025-03-04T10:00:00Z' }).success).toBe(false);
    expect(calendarCreateEvent.input.safeParse({ summary: 'x', start: '2025-03-04T09:00:00Z', end: '2025-03-04T10:00:00Z', attendees: ['nope'] }).success).toBe(false);
    expect(calendarRespondToEvent.input.safeParse({ event_id: 'a', response: 'maybe' }).success).toBe(false);
    expect(em.requests.length).toBe(before);
  });

  it('summarize a call in one line for an approver', () => {
    const long = 'x'.repeat(300);
    const line = calendarCreateEvent.summarize(calendarCreateEvent.input.parse({
      summary: long, start: '2025-03-04T09:00:00Z', end: '2025-03-04T09:30:00Z', attendees: ['sam.rivera@example.com'],
    }));
    expect(line).toMatch(/^create event "x+…" 2025-03-04T09:00:00Z to 2025-03-04T09:30:00Z with sam\.rivera@example\.com; invitations: all$/);
    expect(line.length).toBeLessThan(200);
    expect(calendarDeleteEvent.summarize(calendarDeleteEvent.input.parse({ event_id: 'abc', send_updates: 'none' }))).toBe('delete calendar event abc without notifying guests');
    expect(calendarRespondToEvent.summarize({ event_id: 'abc', response: 'declined', comment: 'Out that day' })).toBe('decline calendar event abc with comment "Out that day"');
    for (const t of calendarTools) expect(t.summarize(t.input.parse(sampleArgs[t.name]!))).not.toContain('\n');
  });
});

const sampleArgs: Record<string, Record<string, unknown>> = {
  calendar_list_events: {},
  calendar_find_free_time: { attendees: ['sam.rivera@example.com'] },
  calendar_create_event: { summary: 'Sync', start: '2025-03-04T09:00:00Z', end: '2025-03-04T09:30:00Z' },
  calendar_respond_to_event: { event_id: 'abc', response: 'accepted' },
  calendar_delete_event: { event_id: 'abc' },
};

describe('handlers against the emulator', () => {
  it('calendar_list_events lists the next 7 days by default, in start order, with answers pulled out', async () => {
    const out = await run(calendarListEvents, {});
    expect(out.events.length).toBeGreaterThan(3);
    expect(Date.parse(out.time_max) - Date.parse(out.time_min)).toBe(7 * DAY);
    const starts = out.events.map((e) => Date.parse(e.start));
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    expect(out.events.some((e) => e.my_response !== undefined)).toBe(true);
    const req = em.requests.at(-1)!;
    expect(req.path).toBe('/calendar/v3/calendars/primary/events');
  });

  it('calendar_list_events pages with next_cursor', async () => {
    const window = { time_min: new Date().toISOString(), time_max: new Date(Date.now() + 28 * DAY).toISOString() };
    const first = await run(calendarListEvents, { ...window, limit: 10 });
    expect(first.events).toHaveLength(10);
    expect(first.next_cursor).toBeDefined();
    const second = await run(calendarListEvents, { ...window, limit: 10, cursor: first.next_cursor });
    expect(second.events[0]!.id).not.toBe(first.events[0]!.id);
    expect(new Set([...first.events, ...second.events].map((e) => e.id)).size).toBe(20);
  });

  it('calendar_list_events refuses a window that ends before it starts', async () => {
    const err = await run(calendarListEvents, { time_min: '2025-03-05T00:00:00Z', time_max: '2025-03-04T00:00:00Z' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MandateError);
    expect((err as MandateError).code).toBe('invalid_arguments');
  });

  it('calendar_find_free_time returns slots in working hours that avoid everyone\'s busy time', async () => {
    const from = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate()) + DAY;
    const args = {
      duration_minutes: 45, attendees: ['sam.rivera@example.com', 'partner@globex.example'],
      time_min: new Date(from).toISOString(), time_max: new Date(from + 7 * DAY).toISOString(), time_zone: 'Europe/Berlin',
    };
    const out = await run(calendarFindFreeTime, args);
    expect(out.slots.length).toBeGreaterThan(0);
    expect(out.time_zone).toBe('Europe/Berlin');
    expect(out.calendars).toEqual([
      { id: 'primary', checked: true, busy_periods: expect.any(Number) },
      { id: 'sam.rivera@example.com', checked: true, busy_periods: expect.any(Number) },
      { id: 'partner@globex.example', checked: false, busy_periods: 0, problem: 'notFound' },
    ]);
    const fb = await ctx.connector.freeBusy({ timeMin: args.time_min, timeMax: args.time_max, items: [{ id: 'primary' }, { id: 'sam.rivera@example.com' }] });
    const busy = Object.values(fb.calendars).flatMap((c) => c.busy.map((b) => ({ start: Date.parse(b.start), end: Date.parse(b.end) })));
    for (const s of out.slots) {
      expect(s.start).toMatch(/\+0[12]:00$/);
      const [start, end] = [Date.parse(s.start), Date.parse(s.end)];
      expect(end - start).toBeGreaterThanOrEqual(45 * 60_000);
      expect(s.minutes).toBe((end - start) / 60_000);
      expect(Number(s.start.slice(11, 13))).toBeGreaterThanOrEqual(9);
      expect(s.end.slice(11, 16) <= '17:00').toBe(true);
      for (const b of busy) expect(start < b.end && b.start < end, `${s.start} overlaps busy`).toBe(false);
    }
  });

  it('calendar_find_free_time refuses an unknown time zone and inverted working hours', async () => {
    for (const args of [{ time_zone: 'Mars/Olympus' }, { work_start: '17:00', work_end: '09:00' }]) {
      const err = (await run(calendarFindFreeTime, args).catch((e: unknown) => e)) as MandateError;
      expect(err.code).toBe('invalid_arguments');
    }
  });

  it('calendar_create_event creates an event a later list sees, and its time is then busy', async () => {
    const start = Date.UTC(2031, 0, 7, 14, 0); // a Tuesday far from the seed
    const created = await run(calendarCreateEvent, {
      summary: 'Quarterly planning with Globex', start: new Date(start).toISOString(), end: new Date(start + H).toISOString(),
      attendees: ['sam.rivera@example.com', 'jordan.blake@globex.example'], location: 'Room 2A', description: 'Agenda in doc',
    });
    expect(created).toMatchObject({ summary: 'Quarterly planning with Globex', i_am_organizer: true, invitations_sent_to: 'all', location: 'Room 2A' });
    expect(created.attendees.map((a) => a.email)).toEqual(['sam.rivera@example.com', 'jordan.blake@globex.example']);
    expect(em.state.sentUpdates.at(-1)).toEqual({ eventId: created.id, kind: 'invitation', to: ['sam.rivera@example.com', 'jordan.blake@globex.example'] });

    const listed = await run(calendarListEvents, { time_min: new Date(start - DAY).toISOString(), time_max: new Date(start + DAY).toISOString() });
    expect(listed.events.map((e) => e.id)).toEqual([created.id]);
    const free = await run(calendarFindFreeTime, {
      duration_minutes: 30, time_min: new Date(start - 5 * H).toISOString(), time_max: new Date(start + 3 * H).toISOString(),
    });
    expect(free.slots.map((s) => [s.start, s.end])).toEqual([
      ['2031-01-07T09:00:00Z', '2031-01-07T14:00:00Z'], ['2031-01-07T15:00:00Z', '2031-01-07T17:00:00Z'],
    ]);
  });

  it('calendar_create_event refuses an end before the start', async () => {
    const err = (await run(calendarCreateEvent, { summary: 'x', start: '2031-01-07T10:00:00Z', end: '2031-01-07T09:00:00Z' }).catch((e: unknown) => e)) as MandateError;
    expect(err.code).toBe('invalid_arguments');
  });

  it('calendar_respond_to_event answers an invitation; a later list shows it; answering again changes nothing', async () => {
    const pending = (await run(calendarListEvents, { time_max: new Date(Date.now() + 28 * DAY).toISOString(), limit: 200 }))
      .events.find((e) => e.my_response === 'needsAction' && !e.i_am_organizer)!;
    expect(pending).toBeDefined();
    const out = await run(calendarRespondToEvent, { event_id: pending.id, response: 'tentative', comment: 'May run late' });
    expect(out).toMatchObject({ id: pending.id, response: 'tentative', previous_response: 'needsAction', organizer: pending.organizer });
    const after = await run(calendarListEvents, { time_min: pending.start, time_max: pending.end });
    expect(after.events.find((e) => e.id === pending.id)!.my_response).toBe('tentative');
    const others = after.events.find((e) => e.id === pending.id)!.attendees.filter((a) => a.email !== 'dana@example.com');
    expect(others).toEqual(pending.attendees.filter((a) => a.email !== 'dana@example.com'));
    const again = await run(calendarRespondToEvent, { event_id: pending.id, response: 'tentative' });
    expect(again.previous_response).toBe('tentative');
  });

  it("calendar_respond_to_event refuses events the user organizes and events that don't exist", async () => {
    const mine = await run(calendarCreateEvent, { summary: 'Mine', start: '2031-02-04T10:00:00Z', end: '2031-02-04T10:30:00Z', attendees: ['aiko.tanaka@example.com'] });
    const err = (await run(calendarRespondToEvent, { event_id: mine.id, response: 'accepted' }).catch((e: unknown) => e)) as MandateError;
    expect(err.code).toBe('invalid_arguments');
    expect(err.message).toContain('organizes');
    const missing = (await run(calendarRespondToEvent, { event_id: 'nosuchevent0', response: 'accepted' }).catch((e: unknown) => e)) as MandateError;
    expect(missing.code).toBe('upstream_error');
  });

  it('calendar_delete_event removes an event a later list no longer shows and tells the guests', async () => {
    const ev = await run(calendarCreateEvent, {
      summary: 'To be cancelled', start: '2031-03-04T10:00:00Z', end: '2031-03-04T10:30:00Z', attendees: ['li.wei@initech.example'], send_updates: 'none',
    });
    expect(em.state.sentUpdates.some((u) => u.eventId === ev.id)).toBe(false);
    const out = await run(calendarDeleteEvent, { event_id: ev.id, send_updates: 'externalOnly' });
    expect(out).toEqual({ id: ev.id, deleted: true, cancellations_sent_to: 'externalOnly' });
    expect(em.state.sentUpdates.at(-1)).toEqual({ eventId: ev.id, kind: 'cancellation', to: ['li.wei@initech.example'] });
    const listed = await run(calendarListEvents, { time_min: '2031-03-04T00:00:00Z', time_max: '2031-03-05T00:00:00Z' });
    expect(listed.events).toEqual([]);
    const again = (await run(calendarDeleteEvent, { event_id: ev.id }).catch((e: unknown) => e)) as MandateError;
    expect(again.code).toBe('upstream_error');
    expect(again.message).toContain('deleted');
  });
});

describe('findFreeSlots', () => {
  const t = (s: string) => Date.parse(s);
  const iso = (i: Interval) => [new Date(i.start).toISOString(), new Date(i.end).toISOString()];
  const base = { durationMinutes: 30, workStart: '09:00', workEnd: '17:00', timeZone: 'UTC' };

  it('finds the gaps between busy periods inside working hours, skipping the weekend', () => {
    const slots = findFreeSlots({
      ...base, from: t('2025-03-07T00:00:00Z'), to: t('2025-03-11T00:00:00Z'), // Friday to Monday
      busy: [
        { start: t('2025-03-07T08:00:00Z'), end: t('2025-03-07T10:00:00Z') },
        { start: t('2025-03-07T11:00:00Z'), end: t('2025-03-07T11:20:00Z') },
        { start: t('2025-03-07T11:10:00Z'), end: t('2025-03-07T16:45:00Z') },
        { start: t('2025-03-10T12:00:00Z'), end: t('2025-03-10T12:30:00Z') },
      ],
    });
    expect(slots.map(iso)).toEqual([
      ['2025-03-07T10:00:00.000Z', '2025-03-07T11:00:00.000Z'],
      ['2025-03-10T09:00:00.000Z', '2025-03-10T12:00:00.000Z'],
      ['2025-03-10T12:30:00.000Z', '2025-03-10T17:00:00.000Z'],
    ]);
  });

  it('reads working hours in the given zone, across a daylight-saving change', () => {
    // New York moves to EDT on Sunday 2025-03-09: 09:00 local is 14:00Z before, 13:00Z after.
    const slots = findFreeSlots({ ...base, timeZone: 'America/New_York', from: t('2025-03-07T00:00:00Z'), to: t('2025-03-11T00:00:00Z'), busy: [] });
    expect(slots.map(iso)).toEqual([
      ['2025-03-07T14:00:00.000Z', '2025-03-07T22:00:00.000Z'],
      ['2025-03-10T13:00:00.000Z', '2025-03-10T21:00:00.000Z'],
    ]);
  });

  it('starts slots on the next quarter hour, honours the window and the limit, and can include weekends', () => {
    const slots = findFreeSlots({ ...base, includeWeekends: true, limit: 2, from: t('2025-03-08T10:07:00Z'), to: t('2025-03-20T00:00:00Z'), busy: [] });
    expect(slots.map(iso)).toEqual([
      ['2025-03-08T10:15:00.000Z', '2025-03-08T17:00:00.000Z'],
      ['2025-03-09T09:00:00.000Z', '2025-03-09T17:00:00.000Z'],
    ]);
    expect(findFreeSlots({ ...base, durationMinutes: 60, from: t('2025-03-10T16:15:00Z'), to: t('2025-03-10T23:00:00Z'), busy: [] })).toEqual([]);
  });

  it('never overlaps busy time, stays inside working hours, and is long enough (property)', () => {
    const zones = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata'];
    const from = t('2025-03-03T00:00:00Z');
    fc.assert(fc.property(
      fc.array(fc.record({ s: fc.integer({ min: 0, max: 14 * 24 * 4 }), len: fc.integer({ min: 1, max: 16 }) }), { maxLength: 40 }),
      fc.integer({ min: 5, max: 240 }),
      fc.constantFrom(...zones),
      fc.integer({ min: 6, max: 11 }), fc.integer({ min: 13, max: 20 }),
      (raw, duration, zone, startHour, endHour) => {
        const busy = raw.map((b) => ({ start: from + b.s * 900_000, end: from + (b.s + b.len) * 900_000 }));
        const workStart = `${String(startHour).padStart(2, '0')}:00`;
        const workEnd = `${endHour}:00`;
        const slots = findFreeSlots({ from, to: from + 14 * DAY, busy, durationMinutes: duration, workStart, workEnd, timeZone: zone });
        const hourIn = (ms: number) => Number(new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(ms).replace(':', '.'));
        for (const s of slots) {
          if (s.end - s.start < duration * 60_000) return false;
          if (busy.some((b) => s.start < b.end && b.start < s.end)) return false;
          if (hourIn(s.start) < startHour || hourIn(s.end - 1) >= endHour) return false;
        }
        for (let i = 1; i < slots.length; i++) if (slots[i]!.start < slots[i - 1]!.end) return false;
        return true;
      },
    ), { numRuns: 150 });
  });
});
