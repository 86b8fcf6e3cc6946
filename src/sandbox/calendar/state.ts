// What the Calendar emulator holds: the demo user's calendar (Google event resources, as
// they go over the wire), the colleagues whose free/busy it can answer for, and the
// invitations it would have e-mailed. Pure helpers over that state live here too.
import { eventInstant, parseDate } from './time.js';

/** A person on an event (`attendees[]`, `organizer`, `creator`). */
export interface GoogleAttendee {
  email: string;
  displayName?: string;
  responseStatus: 'needsAction' | 'declined' | 'tentative' | 'accepted';
  self?: boolean;
  organizer?: boolean;
  optional?: boolean;
  comment?: string;
}

export interface GooglePerson {
  email: string;
  displayName?: string;
  self?: boolean;
}

/** `start` / `end` of an event: `dateTime` (+ optional `timeZone`) or an all-day `date`. */
export interface GoogleEventTime {
  dateTime?: string;
  date?: string;
  timeZone?: string;
}

/** A `calendar#event` resource, as the API returns it. */
export interface GoogleEvent {
  kind: 'calendar#event';
  etag: string;
  id: string;
  status: 'confirmed' | 'tentative' | 'cancelled';
  htmlLink: string;
  created: string;
  updated: string;
  summary?: string;
  description?: string;
  location?: string;
  creator: GooglePerson;
  organizer: GooglePerson;
  start: GoogleEventTime;
  end: GoogleEventTime;
  transparency?: 'opaque' | 'transparent';
  visibility?: string;
  iCalUID: string;
  sequence: number;
  attendees?: GoogleAttendee[];
  reminders: { useDefault: boolean };
  eventType: 'default';
}

/** Someone at the demo company whose free/busy the emulator can answer for. */
export interface Colleague {
  email: string;
  displayName: string;
  /** Busy time on their own calendar, beyond meetings they share with the demo user. */
  privateBusy: Array<{ start: number; end: number }>;
}

/** An e-mail Google would have sent because of `sendUpdates`. */
export interface SentUpdate {
  eventId: string;
  kind: 'invitation' | 'update' | 'cancellation';
  to: string[];
}

/** Everything the emulator knows; tests read and seed it directly. */
export interface CalendarState {
  user: { id: string; email: string; displayName: string; timeZone: string };
  /** The demo user's calendar, in insertion order (the API's "unspecified, stable order"). */
  events: Map<string, GoogleEvent>;
  colleagues: Map<string, Colleague>;
  sentUpdates: SentUpdate[];
  /** Next value of the emulator's event-id generator. */
  idCounter: number;
}

/** Start and end of an event as epoch ms (all-day events span whole UTC days). */
export function eventBounds(e: Pick<GoogleEvent, 'start' | 'end'>): { start: number; end: number } {
  const at = (t: GoogleEventTime) =>
    t.dateTime !== undefined ? eventInstant(t.dateTime, t.timeZone) : t.date !== undefined ? parseDate(t.date) : undefined;
  return { start: at(e.start) ?? 0, end: at(e.end) ?? 0 };
}

/** Whether an event makes `email` busy (free/busy semantics: opaque, not cancelled, not declined). */
export function blocks(e: GoogleEvent, email: string): boolean {
  if (e.status === 'cancelled' || e.transparency === 'transparent') return false;
  const a = e.attendees?.find((x) => x.email.toLowerCase() === email.toLowerCase());
  if (a) return a.responseStatus !== 'declined';
  return e.organizer.email.toLowerCase() === email.toLowerCase();
}

const BASE32HEX = '0123456789abcdefghijklmnopqrstuv';

/** A Google-style event id (base32hex, 26 characters) from a number, deterministic. */
export function eventId(n: number): string {
  let x = BigInt(n) * 0x9e3779b97f4a7c15n + 0x632be59bd9b4e019n;
  let out = '';
  for (let i = 0; i < 26; i++) {
    x = (x * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
    out += BASE32HEX[Number(x >> 59n)];
  }
  return out;
}

/** `htmlLink` as Google builds it: base64 of "<eventId> <calendarId>". */
export function htmlLink(id: string, calendarEmail: string): string {
  const eid = Buffer.from(`${id} ${calendarEmail}`).toString('base64').replace(/=+$/, '');
  return `https://www.google.com/calendar/event?eid=${eid}`;
}

/** An etag in Google's shape: a quoted decimal derived from the update time. */
export function etagFor(updatedMs: number, sequence: number): string {
  return `"${BigInt(updatedMs) * 1000n + BigInt(sequence % 1000)}"`;
}
