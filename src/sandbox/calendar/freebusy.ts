// POST /freeBusy: busy intervals for each requested calendar over a window, merged and
// clipped as Google returns them; calendars the user cannot see answer `notFound` inside
// the result, not as an HTTP error.
import type { SandboxRequest, SandboxResponse } from '../http.js';
import * as E from './errors.js';
import { busyOf, ownsCalendar, type CalendarEnv } from './events.js';
import { formatInZone, formatStamp, isTimeZone, parseInstant } from './time.js';

/** Google's cap on calendars in one query (`calendarExpansionMax` at most 50). */
export const MAX_FREEBUSY_CALENDARS = 50;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Sorted, merged intervals clipped to [min, max). */
export function mergeBusy(intervals: Array<{ start: number; end: number }>, min: number, max: number): Array<{ start: number; end: number }> {
  const clipped = intervals
    .map((b) => ({ start: Math.max(b.start, min), end: Math.min(b.end, max) }))
    .filter((b) => b.end > b.start)
    .sort((a, b) => a.start - b.start);
  const out: Array<{ start: number; end: number }> = [];
  for (const b of clipped) {
    const last = out[out.length - 1];
    if (last && b.start <= last.end) last.end = Math.max(last.end, b.end);
    else out.push({ ...b });
  }
  return out;
}

/** POST /freeBusy (freebusy.query). */
export function freeBusy(env: CalendarEnv, req: SandboxRequest): SandboxResponse {
  const body = isRecord(req.body) ? req.body : {};
  for (const k of ['timeMin', 'timeMax'] as const) if (body[k] === undefined) return E.required(`Missing ${k} parameter.`, k);
  const min = typeof body.timeMin === 'string' ? parseInstant(body.timeMin) : undefined;
  const max = typeof body.timeMax === 'string' ? parseInstant(body.timeMax) : undefined;
  if (min === undefined || max === undefined) return E.badRequest();
  if (max <= min) return E.timeRangeEmpty('timeMax');
  const tz = typeof body.timeZone === 'string' ? body.timeZone : 'UTC';
  if (!isTimeZone(tz)) return E.invalidParam('timeZone');
  const items = Array.isArray(body.items) ? body.items : [];
  if (items.length > MAX_FREEBUSY_CALENDARS) {
    return E.googleError(400, 'tooManyCalendarsRequested', 'The number of calendars requested is too big.', { domain: 'calendar' });
  }
  const calendars: Record<string, unknown> = {};
  for (const item of items) {
    if (!isRecord(item) || typeof item.id !== 'string') return E.required('Missing calendar id.', 'items.id');
    const id = item.id;
    const email = ownsCalendar(env, id) ? env.state.user.email : id.toLowerCase();
    if (email !== env.state.user.email && !env.state.colleagues.has(email)) {
      calendars[id] = { errors: [{ domain: 'global', reason: 'notFound' }], busy: [] };
      continue;
    }
    calendars[id] = {
      busy: mergeBusy(busyOf(env, email), min, max).map((b) => ({ start: formatInZone(b.start, tz), end: formatInZone(b.end, tz) })),
    };
  }
  return { status: 200, body: { kind: 'calendar#freeBusy', timeMin: formatStamp(min), timeMax: formatStamp(max), calendars } };
}
