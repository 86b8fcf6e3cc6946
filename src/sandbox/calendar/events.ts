// The Calendar v3 `events` resource on the demo user's calendar: list (time window, free
// text, paging, ordering), get, insert, patch and delete, with Google's own validation
// rules and error bodies. Writes change the state, so later reads see them.
import type { SandboxRequest, SandboxResponse } from '../http.js';
import * as E from './errors.js';
import { displayNameOf } from './seed.js';
import {
  blocks, etagFor, eventBounds, eventId, htmlLink,
  type CalendarState, type GoogleAttendee, type GoogleEvent, type GoogleEventTime, type SentUpdate,
} from './state.js';
import { eventInstant, formatInZone, formatStamp, formatUtc, isTimeZone, parseDate, parseInstant } from './time.js';

const RESPONSES = ['needsAction', 'declined', 'tentative', 'accepted'] as const;
const SEND_UPDATES = ['all', 'externalOnly', 'none'] as const;
type SendUpdates = (typeof SEND_UPDATES)[number];
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Context every handler gets: the state and the emulator's clock. */
export interface CalendarEnv {
  state: CalendarState;
  now: () => Date;
}

type Result<T> = { ok: T } | { error: SandboxResponse };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `primary` and the user's own address name the only calendar the demo user can open. */
export function ownsCalendar(env: CalendarEnv, calendarId: string): boolean {
  return calendarId === 'primary' || calendarId.toLowerCase() === env.state.user.email;
}

function touch(env: CalendarEnv, e: GoogleEvent, bumpSequence: boolean): void {
  const now = env.now().getTime();
  if (bumpSequence) e.sequence += 1;
  e.updated = formatStamp(now);
  e.etag = etagFor(now, e.sequence);
}

function parseSendUpdates(q: URLSearchParams): Result<SendUpdates> {
  const v = q.get('sendUpdates');
  if (v === null) return { ok: q.get('sendNotifications') === 'true' ? 'all' : 'none' };
  return (SEND_UPDATES as readonly string[]).includes(v) ? { ok: v as SendUpdates } : { error: E.invalidParam('sendUpdates') };
}

function notify(env: CalendarEnv, e: GoogleEvent, kind: SentUpdate['kind'], mode: SendUpdates): void {
  if (mode === 'none') return;
  const domain = env.state.user.email.split('@')[1]!;
  const to = (e.attendees ?? [])
    .filter((a) => !a.self && (mode === 'all' || !a.email.toLowerCase().endsWith(`@${domain}`)))
    .map((a) => a.email);
  if (to.length) env.state.sentUpdates.push({ eventId: e.id, kind, to });
}

/** Validates and normalises `start` / `end` the way Google does. */
function eventTime(v: unknown, which: 'start' | 'end'): Result<{ time: GoogleEventTime; ms: number }> {
  if (!isRecord(v) || (v.dateTime === undefined && v.date === undefined)) {
    return { error: E.required(`Missing ${which} time.`) };
  }
  const tz = v.timeZone;
  if (tz !== undefined && (typeof tz !== 'string' || !isTimeZone(tz))) {
    return { error: E.invalidParam(`${which}.timeZone`, `Invalid time zone definition for ${which} time.`) };
  }
  if (v.dateTime !== undefined) {
    if (typeof v.dateTime !== 'string') return { error: E.badRequest() };
    const ms = eventInstant(v.dateTime, tz as string | undefined);
    if (ms === undefined) {
      return parseInstant(`${v.dateTime}Z`) !== undefined && tz === undefined
        ? { error: E.required(`Missing time zone definition for ${which} time.`) }
        : { error: E.badRequest() };
    }
    const time: GoogleEventTime = typeof tz === 'string'
      ? { dateTime: formatInZone(ms, tz), timeZone: tz }
      : { dateTime: formatUtc(ms) };
    return { ok: { time, ms } };
  }
  const ms = typeof v.date === 'string' ? parseDate(v.date) : undefined;
  if (ms === undefined) return { error: E.badRequest() };
  return { ok: { time: { date: v.date as string }, ms } };
}

function times(body: Record<string, unknown>, current?: GoogleEvent): Result<{ start: GoogleEventTime; end: GoogleEventTime }> {
  const s = body.start === undefined && current ? { ok: { time: current.start, ms: eventBounds(current).start } } : eventTime(body.start, 'start');
  if ('error' in s) return s;
  const e = body.end === undefined && current ? { ok: { time: current.end, ms: eventBounds(current).end } } : eventTime(body.end, 'end');
  if ('error' in e) return e;
  if (e.ok.ms <= s.ok.ms) return { error: E.timeRangeEmpty('end') };
  if ((s.ok.time.date === undefined) !== (e.ok.time.date === undefined)) return { error: E.badRequest() };
  return { ok: { start: s.ok.time, end: e.ok.time } };
}

/** The attendee list an organizer writes: emails checked, earlier answers kept. */
function attendeesFrom(env: CalendarEnv, v: unknown, organizer: string, previous: GoogleAttendee[] = []): Result<GoogleAttendee[]> {
  if (!Array.isArray(v)) return { error: E.badRequest() };
  const out: GoogleAttendee[] = [];
  for (const a of v) {
    if (!isRecord(a) || a.email === undefined) return { error: E.required('Missing attendee email.') };
    if (typeof a.email !== 'string' || !EMAIL.test(a.email)) return { error: E.invalidParam('attendees', 'Invalid attendee email.') };
    const email = a.email.toLowerCase();
    if (out.some((x) => x.email === email)) continue;
    const self = email === env.state.user.email;
    const before = previous.find((x) => x.email.toLowerCase() === email);
    const asked = typeof a.responseStatus === 'string' && (RESPONSES as readonly string[]).includes(a.responseStatus)
      ? (a.responseStatus as GoogleAttendee['responseStatus']) : undefined;
    const displayName = typeof a.displayName === 'string' ? a.displayName : (before?.displayName ?? displayNameOf(email));
    out.push({
      email,
      ...(displayName ? { displayName } : {}),
      ...(email === organizer ? { organizer: true } : {}),
      ...(self ? { self: true } : {}),
      ...(a.optional === true ? { optional: true } : {}),
      responseStatus: (self ? asked : undefined) ?? before?.responseStatus ?? (email === organizer ? 'accepted' : 'needsAction'),
    });
  }
  return { ok: out };
}

function matches(e: GoogleEvent, q: string): boolean {
  const hay = [e.summary, e.description, e.location, e.organizer.email, e.organizer.displayName,
    ...(e.attendees ?? []).flatMap((a) => [a.email, a.displayName])].filter(Boolean).join(' ').toLowerCase();
  return q.toLowerCase().split(/\s+/).filter(Boolean).every((term) => hay.includes(term));
}

const encodeToken = (offset: number) => Buffer.from(`o=${offset}`).toString('base64url');
function decodeToken(token: string): number | undefined {
  const m = /^o=(\d{1,9})$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  return m ? Number(m[1]) : undefined;
}

/** GET /calendars/{calendarId}/events */
export function listEvents(env: CalendarEnv, req: SandboxRequest): SandboxResponse {
  if (!ownsCalendar(env, req.params.calendarId!)) return E.notFound();
  const q = req.query;
  const bound = (name: string): Result<number | undefined> => {
    const v = q.get(name);
    if (v === null) return { ok: undefined };
    const ms = parseInstant(v);
    return ms === undefined ? { error: E.badRequest() } : { ok: ms };
  };
  const min = bound('timeMin');
  if ('error' in min) return min.error;
  const max = bound('timeMax');
  if ('error' in max) return max.error;
  if (min.ok !== undefined && max.ok !== undefined && max.ok <= min.ok) return E.timeRangeEmpty('timeMax');
  let maxResults = 250;
  if (q.get('maxResults') !== null) {
    const n = Number(q.get('maxResults'));
    if (!Number.isInteger(n) || n < 1) return E.invalidParam('maxResults', `Invalid value '${q.get('maxResults')}'. Values must be within the range: [1, 2500]`);
    maxResults = Math.min(n, 2500);
  }
  const orderBy = q.get('orderBy');
  if (orderBy !== null && orderBy !== 'startTime' && orderBy !== 'updated') return E.invalidParam('orderBy');
  if (orderBy === 'startTime' && q.get('singleEvents') !== 'true') {
    return E.googleError(400, 'badRequest', 'The requested ordering is not available for the particular query.');
  }
  let offset = 0;
  const token = q.get('pageToken');
  if (token !== null) {
    const o = decodeToken(token);
    if (o === undefined) return E.invalidParam('pageToken');
    offset = o;
  }
  const showDeleted = q.get('showDeleted') === 'true';
  const text = q.get('q');
  const all = [...env.state.events.values()];
  const items = all.filter((e) => {
    if (e.status === 'cancelled' && !showDeleted) return false;
    const b = eventBounds(e);
    if (min.ok !== undefined && b.end <= min.ok) return false;
    if (max.ok !== undefined && b.start >= max.ok) return false;
    return text ? matches(e, text) : true;
  });
  if (orderBy === 'startTime') items.sort((a, b) => eventBounds(a).start - eventBounds(b).start);
  if (orderBy === 'updated') items.sort((a, b) => Date.parse(a.updated) - Date.parse(b.updated));
  const page = items.slice(offset, offset + maxResults);
  const updated = all.reduce((m, e) => Math.max(m, Date.parse(e.updated)), 0);
  return {
    status: 200,
    body: {
      kind: 'calendar#events',
      etag: etagFor(updated, 0),
      summary: env.state.user.email,
      description: '',
      updated: formatStamp(updated),
      timeZone: env.state.user.timeZone,
      accessRole: 'owner',
      defaultReminders: [{ method: 'popup', minutes: 10 }],
      ...(offset + maxResults < items.length ? { nextPageToken: encodeToken(offset + maxResults) } : {}),
      items: page,
    },
  };
}

function find(env: CalendarEnv, req: SandboxRequest): Result<GoogleEvent> {
  if (!ownsCalendar(env, req.params.calendarId!)) return { error: E.notFound() };
  const e = env.state.events.get(req.params.eventId!);
  return e ? { ok: e } : { error: E.notFound() };
}

/** GET /calendars/{calendarId}/events/{eventId} (deleted events still answer, as `cancelled`). */
export function getEvent(env: CalendarEnv, req: SandboxRequest): SandboxResponse {
  const f = find(env, req);
  return 'error' in f ? f.error : { status: 200, body: f.ok };
}

/** POST /calendars/{calendarId}/events */
export function insertEvent(env: CalendarEnv, req: SandboxRequest): SandboxResponse {
  if (!ownsCalendar(env, req.params.calendarId!)) return E.notFound();
  const send = parseSendUpdates(req.query);
  if ('error' in send) return send.error;
  const body = req.body;
  if (!isRecord(body)) return E.required('Missing end time.');
  if (body.end === undefined) return E.required('Missing end time.');
  const t = times(body);
  if ('error' in t) return t.error;
  const me = env.state.user.email;
  let attendees: GoogleAttendee[] = [];
  if (body.attendees !== undefined) {
    const a = attendeesFrom(env, body.attendees, me);
    if ('error' in a) return a.error;
    attendees = a.ok;
  }
  for (const k of ['summary', 'description', 'location'] as const) {
    if (body[k] !== undefined && typeof body[k] !== 'string') return E.badRequest();
  }
  const now = env.now().getTime();
  const id = eventId(env.state.idCounter++);
  const self = { email: me, displayName: env.state.user.displayName, self: true };
  const event: GoogleEvent = {
    kind: 'calendar#event',
    etag: etagFor(now, 0),
    id,
    status: 'confirmed',
    htmlLink: htmlLink(id, me),
    created: formatStamp(now),
    updated: formatStamp(now),
    ...(typeof body.summary === 'string' ? { summary: body.summary } : {}),
    ...(typeof body.description === 'string' ? { description: body.description } : {}),
    ...(typeof body.location === 'string' ? { location: body.location } : {}),
    creator: self,
    organizer: self,
    start: t.ok.start,
    end: t.ok.end,
    ...(body.transparency === 'transparent' ? { transparency: 'transparent' as const } : {}),
    iCalUID: `${id}@google.com`,
    sequence: 0,
    ...(attendees.length ? { attendees } : {}),
    reminders: { useDefault: true },
    eventType: 'default',
  };
  env.state.events.set(id, event);
  notify(env, event, 'invitation', send.ok);
  return { status: 200, body: event };
}

const SHARED = ['summary', 'description', 'location', 'start', 'end'] as const;

/** PATCH /calendars/{calendarId}/events/{eventId}: organizers edit; attendees answer for themselves. */
export function patchEvent(env: CalendarEnv, req: SandboxRequest): SandboxResponse {
  const f = find(env, req);
  if ('error' in f) return f.error;
  const event = f.ok;
  const send = parseSendUpdates(req.query);
  if ('error' in send) return send.error;
  const body = req.body;
  if (!isRecord(body)) return E.badRequest();
  if (event.status === 'cancelled') return E.deleted();
  const me = env.state.user.email;
  const organizer = event.organizer.self === true;

  if (!organizer) {
    if (SHARED.some((k) => body[k] !== undefined && JSON.stringify(body[k]) !== JSON.stringify(event[k]))) {
      return E.googleError(403, 'forbiddenForNonOrganizer', 'Shared properties can only be changed by the organizer of the event.', { domain: 'calendar' });
    }
    if (body.attendees !== undefined) {
      if (!Array.isArray(body.attendees)) return E.badRequest();
      const mine = body.attendees.find((a) => isRecord(a) && typeof a.email === 'string' && a.email.toLowerCase() === me);
      const current = event.attendees?.find((a) => a.self);
      if (isRecord(mine) && current) {
        if (mine.responseStatus !== undefined) {
          if (!(RESPONSES as readonly string[]).includes(String(mine.responseStatus))) return E.invalidParam('attendees.responseStatus');
          current.responseStatus = mine.responseStatus as GoogleAttendee['responseStatus'];
        }
        if (typeof mine.comment === 'string') current.comment = mine.comment;
      }
    }
    touch(env, event, false);
    return { status: 200, body: event };
  }

  const t = body.start !== undefined || body.end !== undefined ? times(body, event) : undefined;
  if (t && 'error' in t) return t.error;
  let attendees: GoogleAttendee[] | undefined;
  if (body.attendees !== undefined) {
    const a = attendeesFrom(env, body.attendees, event.organizer.email, event.attendees);
    if ('error' in a) return a.error;
    attendees = a.ok;
  }
  for (const k of ['summary', 'description', 'location'] as const) {
    const v = body[k];
    if (v === undefined) continue;
    if (v !== null && typeof v !== 'string') return E.badRequest();
    if (v === null) delete event[k];
    else event[k] = v;
  }
  if (t) { event.start = t.ok.start; event.end = t.ok.end; }
  if (attendees) {
    if (attendees.length) event.attendees = attendees;
    else delete event.attendees;
  }
  if (body.transparency === 'transparent' || body.transparency === 'opaque') event.transparency = body.transparency;
  touch(env, event, t !== undefined);
  notify(env, event, 'update', send.ok);
  return { status: 200, body: event };
}

/** DELETE /calendars/{calendarId}/events/{eventId}: 204, then 410 `deleted` if repeated. */
export function deleteEvent(env: CalendarEnv, req: SandboxRequest): SandboxResponse {
  const f = find(env, req);
  if ('error' in f) return f.error;
  const send = parseSendUpdates(req.query);
  if ('error' in send) return send.error;
  const event = f.ok;
  if (event.status === 'cancelled') return E.deleted();
  event.status = 'cancelled';
  touch(env, event, true);
  if (event.organizer.self) notify(env, event, 'cancellation', send.ok);
  return { status: 204, body: undefined };
}

/** Busy intervals of one person on the demo calendar (shared meetings) plus their private ones. */
export function busyOf(env: CalendarEnv, email: string): Array<{ start: number; end: number }> {
  const fromEvents = [...env.state.events.values()].filter((e) => blocks(e, email)).map(eventBounds);
  const colleague = env.state.colleagues.get(email.toLowerCase());
  return [...fromEvents, ...(colleague?.privateBusy ?? [])];
}
