// The Google Calendar API v3 connector: one typed method per endpoint Mandate's calendar
// tools use, and how Google's responses read (401 and scope-403 are the token's fault, 429
// and usageLimits-403 mean "wait", anything else is a short, safe error from Google's own
// reason and message). The same code runs against www.googleapis.com and the sandbox.
import { HttpConnector, retryAfterSeconds, type ConnectorOptions, type Interpret, type UpstreamResponse } from './http.js';
import { scrubString } from '../log.js';

/** Production base URL; the sandbox's is `emulator.url + '/calendar/v3'`. */
export const CALENDAR_API_BASE_URL = 'https://www.googleapis.com/calendar/v3';

export type ResponseStatus = 'needsAction' | 'declined' | 'tentative' | 'accepted';
/** Who Google e-mails about a change. */
export type SendUpdates = 'all' | 'externalOnly' | 'none';

/** `start` / `end` of an event: a timed `dateTime` (RFC 3339) or an all-day `date`. */
export interface EventDateTime {
  dateTime?: string;
  date?: string;
  timeZone?: string;
}

export interface EventAttendee {
  email: string;
  displayName?: string;
  responseStatus: ResponseStatus;
  self?: boolean;
  organizer?: boolean;
  optional?: boolean;
  comment?: string;
}

export interface EventPerson {
  email?: string;
  displayName?: string;
  self?: boolean;
}

/** A `calendar#event` resource (the fields Mandate reads). */
export interface CalendarEvent {
  kind: 'calendar#event';
  id: string;
  etag: string;
  status: 'confirmed' | 'tentative' | 'cancelled';
  htmlLink?: string;
  created?: string;
  updated?: string;
  summary?: string;
  description?: string;
  location?: string;
  creator?: EventPerson;
  organizer?: EventPerson;
  start: EventDateTime;
  end: EventDateTime;
  transparency?: 'opaque' | 'transparent';
  attendees?: EventAttendee[];
  recurringEventId?: string;
  iCalUID?: string;
  sequence?: number;
}

/** A `calendar#events` page. */
export interface EventList {
  kind: 'calendar#events';
  summary?: string;
  timeZone?: string;
  updated?: string;
  nextPageToken?: string;
  nextSyncToken?: string;
  items: CalendarEvent[];
}

export interface ListEventsParams {
  /** Lower bound (exclusive) on an event's end, RFC 3339 with offset. */
  timeMin?: string;
  /** Upper bound (exclusive) on an event's start, RFC 3339 with offset. */
  timeMax?: string;
  /** Free-text search over summary, description, location, attendees and organizer. */
  q?: string;
  /** Page size, 1..2500 (Google's default is 250). */
  maxResults?: number;
  pageToken?: string;
  singleEvents?: boolean;
  orderBy?: 'startTime' | 'updated';
  showDeleted?: boolean;
}

export interface FreeBusyRequest {
  timeMin: string;
  timeMax: string;
  timeZone?: string;
  items: Array<{ id: string }>;
}

export interface TimePeriod {
  start: string;
  end: string;
}

/** `calendar#freeBusy`: per calendar, its busy periods or why it could not be read. */
export interface FreeBusyResponse {
  kind: 'calendar#freeBusy';
  timeMin: string;
  timeMax: string;
  calendars: Record<string, { busy: TimePeriod[]; errors?: Array<{ domain: string; reason: string }> }>;
}

/** The writable fields of an event (events.insert body; every field optional in a patch). */
export interface EventInput {
  summary?: string;
  description?: string;
  location?: string;
  start?: EventDateTime;
  end?: EventDateTime;
  attendees?: Array<Partial<EventAttendee> & { email: string }>;
  transparency?: 'opaque' | 'transparent';
}

interface GoogleErrorBody {
  error?: { code?: number; message?: string; status?: string; errors?: Array<{ reason?: string; message?: string; domain?: string }> };
}

const RATE_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded']);
const AUTH_403_REASONS = new Set(['insufficientPermissions', 'ACCESS_TOKEN_SCOPE_INSUFFICIENT']);

function googleError(res: UpstreamResponse): { reason: string; message: string } {
  const body = (typeof res.body === 'object' && res.body !== null ? res.body : {}) as GoogleErrorBody;
  const first = body.error?.errors?.[0];
  return {
    reason: first?.reason ?? body.error?.status ?? `HTTP ${res.status}`,
    message: body.error?.message ?? first?.message ?? '',
  };
}

/** A short, public account of a Google error: reason, status, and Google's message, scrubbed and truncated. */
function safeMessage(res: UpstreamResponse, reason: string, message: string): string {
  const text = scrubString(message.replace(/\s+/g, ' ').trim());
  const short = text.length > 160 ? `${text.slice(0, 157)}...` : text;
  return short && short !== reason ? `${reason} (${res.status}): ${short}` : `${reason} (${res.status})`;
}

/** How Calendar v3 responses read. */
export const interpretCalendar: Interpret = (res) => {
  if (res.status >= 200 && res.status < 300) return { kind: 'ok' };
  const { reason, message } = googleError(res);
  if (res.status === 401) return { kind: 'unauthorized', message: reason };
  if (res.status === 429 || (res.status === 403 && RATE_REASONS.has(reason))) {
    return { kind: 'rate_limited', retryAfterSeconds: retryAfterSeconds(res.headers) };
  }
  if (res.status === 403 && (AUTH_403_REASONS.has(reason) || /insufficient authentication scopes/i.test(message))) {
    return { kind: 'unauthorized', message: 'insufficientPermissions' };
  }
  return { kind: 'error', message: safeMessage(res, reason, message) };
};

const enc = encodeURIComponent;
const events = (calendarId: string) => `/calendars/${enc(calendarId)}/events`;

/** Google Calendar API v3 over a per-tool token. */
export class CalendarConnector extends HttpConnector {
  constructor(options: ConnectorOptions) {
    super('Google Calendar', options, interpretCalendar);
  }

  /** events.list: one page of events; `nextPageToken` is set when there are more. */
  listEvents(calendarId: string, params: ListEventsParams = {}): Promise<EventList> {
    return this.send<EventList>({ method: 'GET', path: events(calendarId), query: { ...params } });
  }

  /** Every page of events.list, one page at a time, stopping after `maxPages` (default 10). */
  async *paginateEvents(calendarId: string, params: ListEventsParams = {}, maxPages = 10): AsyncGenerator<EventList> {
    let pageToken = params.pageToken;
    for (let page = 0; page < maxPages; page++) {
      const list = await this.listEvents(calendarId, { ...params, ...(pageToken ? { pageToken } : {}) });
      yield list;
      if (!list.nextPageToken) return;
      pageToken = list.nextPageToken;
    }
  }

  /** events.get (a deleted event still answers, with `status: "cancelled"`). */
  getEvent(calendarId: string, eventId: string): Promise<CalendarEvent> {
    return this.send<CalendarEvent>({ method: 'GET', path: `${events(calendarId)}/${enc(eventId)}` });
  }

  /** events.insert; `sendUpdates` decides who gets an invitation e-mail. */
  insertEvent(calendarId: string, event: EventInput & Required<Pick<EventInput, 'start' | 'end'>>, opts: { sendUpdates?: SendUpdates } = {}): Promise<CalendarEvent> {
    return this.send<CalendarEvent>({ method: 'POST', path: events(calendarId), query: { sendUpdates: opts.sendUpdates }, json: event });
  }

  /** events.patch: only the given fields change (arrays such as `attendees` are replaced whole). */
  patchEvent(calendarId: string, eventId: string, patch: EventInput, opts: { sendUpdates?: SendUpdates } = {}): Promise<CalendarEvent> {
    return this.send<CalendarEvent>({
      method: 'PATCH', path: `${events(calendarId)}/${enc(eventId)}`, query: { sendUpdates: opts.sendUpdates }, json: patch,
    });
  }

  /** events.delete (204). Deleting it again is Google's 410 `deleted`. */
  async deleteEvent(calendarId: string, eventId: string, opts: { sendUpdates?: SendUpdates } = {}): Promise<void> {
    await this.send({ method: 'DELETE', path: `${events(calendarId)}/${enc(eventId)}`, query: { sendUpdates: opts.sendUpdates } });
  }

  /** freebusy.query: busy periods per calendar id (`primary` or an e-mail address). */
  freeBusy(request: FreeBusyRequest): Promise<FreeBusyResponse> {
    return this.send<FreeBusyResponse>({ method: 'POST', path: '/freeBusy', json: request });
  }
}
