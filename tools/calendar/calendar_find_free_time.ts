// calendar_find_free_time: when the user (and optionally others) are all free for a
// meeting of a given length, inside working hours (freebusy.query, then pure slot-finding).
import { z } from 'zod';
import { defineTool } from '../define.js';
import { InvalidArguments } from '../../src/errors.js';
import type { CalendarConnector } from '../../src/connectors/calendar.js';
import { findFreeSlots, parseClock, type Interval } from './lib/free-slots.js';
import { formatInZone, isTimeZone } from '../../src/time/zone.js';
import { short } from './lib/shape.js';

const DAY = 86_400_000;
const MAX_WINDOW_DAYS = 62;
const CLOCK = /^(([01]\d|2[0-3]):[0-5]\d|24:00)$/;

const input = z.object({
  duration_minutes: z.number().int().min(5).max(480).default(30).describe('Length of the meeting in minutes (5-480, default 30).'),
  attendees: z.array(z.email()).max(20).optional()
    .describe("E-mail addresses of other people who must be free too (the user's own calendar is always checked)."),
  time_min: z.iso.datetime({ offset: true }).optional().describe('Earliest time to consider, RFC 3339 with offset. Default: now.'),
  time_max: z.iso.datetime({ offset: true }).optional()
    .describe(`Latest time to consider, RFC 3339 with offset. Default: 7 days after time_min; at most ${MAX_WINDOW_DAYS} days after it.`),
  work_start: z.string().regex(CLOCK, 'must be HH:MM').default('09:00').describe('Start of working hours each day, HH:MM in time_zone (default 09:00).'),
  work_end: z.string().regex(CLOCK, 'must be HH:MM').default('17:00').describe('End of working hours each day, HH:MM in time_zone (default 17:00).'),
  time_zone: z.string().max(64).optional().describe('IANA time zone for working hours and the returned times, e.g. "Europe/Berlin". Default: UTC.'),
  include_weekends: z.boolean().default(false).describe('Also look on Saturdays and Sundays (default false).'),
  limit: z.number().int().min(1).max(50).default(10).describe('Most free slots to return (1-50, default 10).'),
});

const output = z.object({
  slots: z.array(z.object({
    start: z.string().describe('Start of a free stretch, RFC 3339 in time_zone.'),
    end: z.string().describe('End of the free stretch; it is at least duration_minutes after start and may be longer.'),
    minutes: z.number().int().describe('Length of the free stretch in minutes.'),
  })).describe('Free stretches inside working hours when everyone checked is free, earliest first.'),
  time_zone: z.string().describe('Time zone of working hours and of the times above.'),
  time_min: z.string().describe('Start of the window that was searched.'),
  time_max: z.string().describe('End of the window that was searched.'),
  calendars: z.array(z.object({
    id: z.string().describe('"primary" (the user) or an attendee e-mail address.'),
    checked: z.boolean().describe('True when their free/busy time was read and used.'),
    busy_periods: z.number().int().describe('How many busy periods they have in the window.'),
    problem: z.string().optional().describe('Why their availability is unknown (e.g. notFound: not shared or not in the organization); slots ignore them.'),
  })).describe('Whose calendars were checked.'),
});

/** Finds common free time from Google free/busy. */
export const calendarFindFreeTime = defineTool<CalendarConnector, typeof input, typeof output>({
  name: 'calendar_find_free_time',
  title: 'Find free time',
  description:
    "Finds times when the user, and optionally other attendees, are all free for a meeting of duration_minutes, " +
    'inside working hours (work_start to work_end in time_zone, default 09:00-17:00 UTC, weekdays only unless ' +
    'include_weekends) over a window (default: the next 7 days). Use it before calendar_create_event to pick a time. ' +
    'Returns free stretches (each at least the meeting length) and, per attendee, whether their calendar could be read; ' +
    'people outside the organization are often unreadable and then not taken into account.',
  provider: 'calendar',
  access: 'read',
  scopes: ['https://www.googleapis.com/auth/calendar.freebusy'],
  input,
  output,
  summarize: (args) => {
    const who = args.attendees?.length ? ` with ${short(args.attendees.join(', '), 60)}` : '';
    return `find ${args.duration_minutes} free minutes${who} between ${args.work_start} and ${args.work_end} ${args.time_zone ?? 'UTC'}`;
  },
  handler: async (args, ctx) => {
    const zone = args.time_zone ?? 'UTC';
    if (!isTimeZone(zone)) throw new InvalidArguments(`time_zone "${short(zone, 64)}" is not an IANA time zone`, { extras: { field: 'time_zone' } });
    if (parseClock(args.work_end)! <= parseClock(args.work_start)!) {
      throw new InvalidArguments('work_end must be after work_start', { extras: { field: 'work_end' } });
    }
    const from = args.time_min ? Date.parse(args.time_min) : Date.now();
    const to = args.time_max ? Date.parse(args.time_max) : from + 7 * DAY;
    if (to <= from) throw new InvalidArguments('time_max must be after time_min', { extras: { field: 'time_max' } });
    if (to - from > MAX_WINDOW_DAYS * DAY) {
      throw new InvalidArguments(`the window may span at most ${MAX_WINDOW_DAYS} days`, { extras: { field: 'time_max' } });
    }
    const ids = ['primary', ...new Set((args.attendees ?? []).map((a) => a.toLowerCase()))];
    const timeMin = new Date(from).toISOString();
    const timeMax = new Date(to).toISOString();
    const fb = await ctx.connector.freeBusy({ timeMin, timeMax, items: ids.map((id) => ({ id })) });
    const busy: Interval[] = [];
    const calendars = ids.map((id) => {
      const cal = fb.calendars[id];
      const error = cal?.errors?.[0]?.reason ?? (cal ? undefined : 'notReturned');
      if (error || !cal) return { id, checked: false, busy_periods: 0, problem: error ?? 'notReturned' };
      for (const b of cal.busy) busy.push({ start: Date.parse(b.start), end: Date.parse(b.end) });
      return { id, checked: true, busy_periods: cal.busy.length };
    });
    const slots = findFreeSlots({
      from, to, busy, durationMinutes: args.duration_minutes, workStart: args.work_start, workEnd: args.work_end,
      timeZone: zone, includeWeekends: args.include_weekends, limit: args.limit,
    });
    return {
      slots: slots.map((s) => ({ start: formatInZone(s.start, zone), end: formatInZone(s.end, zone), minutes: Math.round((s.end - s.start) / 60_000) })),
      time_zone: zone,
      time_min: formatInZone(from, zone),
      time_max: formatInZone(to, zone),
      calendars,
    };
  },
});
