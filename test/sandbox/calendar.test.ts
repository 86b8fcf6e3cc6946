// The Calendar emulator on the wire: Google's paths, fields, paging and error bodies, so a
// connector written against www.googleapis.com works against it unchanged.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCalendarEmulator, type CalendarEmulator } from '../../src/sandbox/calendar/emulator.js';
import type { BearerCheck, TokenVerifier } from '../../src/sandbox/http.js';
import type { GoogleEvent } from '../../src/sandbox/calendar/state.js';
import type { GoogleErrorBody } from '../../src/sandbox/calendar/errors.js';

const NOW = new Date('2025-03-03T08:00:00Z'); // a Monday
const DAY = 86_400_000;
const EVENTS_SCOPE = 'https://www.googleapis.com/auth/calendar.events';
const READ_SCOPE = 'https://www.googleapis.com/auth/calendar.events.readonly';
const FREEBUSY_SCOPE = 'https://www.googleapis.com/auth/calendar.freebusy';

let em: CalendarEmulator;
let api: string;
const auth = { authorization: 'Bearer sandbox-token' };

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = auth) {
  const res = await fetch(api + path, {
    method,
    headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: text ? JSON.parse(text) : undefined };
}

const googleError = (code: number, reason: string, message: string) => ({
  error: { errors: [expect.objectContaining({ reason, message })], code, message },
});

beforeAll(async () => {
  em = await startCalendarEmulator({ now: () => NOW });
  api = `${em.url}/calendar/v3`;
});
afterAll(async () => { await em.close(); });

describe('seed', () => {
  const events = () => [...em.state.events.values()];
  it('has at least 35 events over the coming four weeks, on weekdays in working hours', () => {
    expect(events().length).toBeGreaterThanOrEqual(35);
    for (const e of events()) {
      if (e.start.date) continue;
      const start = Date.parse(e.start.dateTime!);
      const end = Date.parse(e.end.dateTime!);
      expect(start).toBeGreaterThan(NOW.getTime());
      expect(start).toBeLessThan(NOW.getTime() + 29 * DAY);
      expect([0, 6]).not.toContain(new Date(start).getUTCDay());
      expect(new Date(start).getUTCHours()).toBeGreaterThanOrEqual(9);
      expect(end).toBeGreaterThan(start);
      expect(new Date(end - 1).getUTCHours()).toBeLessThan(17);
    }
  });
  it('invites colleagues at example.com and people at several outside domains', () => {
    const domains = new Set(events().flatMap((e) => (e.attendees ?? []).map((a) => a.email.split('@')[1])));
    expect(domains).toContain('example.com');
    expect([...domains].filter((d) => d !== 'example.com').length).toBeGreaterThanOrEqual(2);
  });
  it('leaves several invitations waiting for the demo user to answer', () => {
    const waiting = events().filter((e) => e.attendees?.some((a) => a.self && a.email === 'dana@example.com' && a.responseStatus === 'needsAction'));
    expect(waiting.length).toBeGreaterThanOrEqual(3);
  });
  it('is the same for the same day (no Math.random)', async () => {
    const other = await startCalendarEmulator({ now: () => NOW });
    try {
      expect([...other.state.events.keys()]).toEqual([...em.state.events.keys()]);
      expect([...other.state.events.values()].map((e) => e.start)).toEqual(events().map((e) => e.start));
    } finally { await other.close(); }
  });
});

describe('events.list', () => {
  it('answers a calendar#events page of calendar#event resources', async () => {
    const r = await call('GET', '/calendars/primary/events?maxResults=3');
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ kind: 'calendar#events', summary: 'dana@example.com', timeZone: 'UTC', accessRole: 'owner' });
    expect(typeof r.json.nextPageToken).toBe('string');
    expect(r.json.items).toHaveLength(3);
    const e = r.json.items[0] as GoogleEvent;
    expect(e).toMatchObject({ kind: 'calendar#event', status: 'confirmed', start: { dateTime: expect.any(String) } });
    for (const k of ['id', 'etag', 'htmlLink', 'created', 'updated', 'summary', 'organizer', 'creator', 'iCalUID']) expect(e).toHaveProperty(k);
    expect(e.etag).toMatch(/^"\d+"$/);
    expect(e.id).toMatch(/^[a-v0-9]{5,1024}$/);
  });

  it('pages through everything with nextPageToken, without repeats', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const r = await call('GET', `/calendars/primary/events?maxResults=7&singleEvents=true&orderBy=startTime${token ? `&pageToken=${token}` : ''}`);
      expect(r.status).toBe(200);
      seen.push(...r.json.items.map((e: GoogleEvent) => e.id));
      token = r.json.nextPageToken;
      pages += 1;
    } while (token);
    expect(pages).toBeGreaterThan(4);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBe(em.state.events.size);
  });

  it('filters by window (end after timeMin, start before timeMax), orders by start, and searches text', async () => {
    const min = new Date(NOW.getTime() + 2 * DAY).toISOString();
    const max = new Date(NOW.getTime() + 5 * DAY).toISOString();
    const r = await call('GET', `/calendars/primary/events?singleEvents=true&orderBy=startTime&timeMin=${min}&timeMax=${max}`);
    const starts = r.json.items.filter((e: GoogleEvent) => e.start.dateTime).map((e: GoogleEvent) => Date.parse(e.start.dateTime!));
    expect(starts.length).toBeGreaterThan(0);
    expect(starts).toEqual([...starts].sort((a: number, b: number) => a - b));
    for (const e of r.json.items as GoogleEvent[]) {
      expect(Date.parse(e.end.dateTime ?? `${e.end.date}T00:00:00Z`)).toBeGreaterThan(Date.parse(min));
      expect(Date.parse(e.start.dateTime ?? `${e.start.date}T00:00:00Z`)).toBeLessThan(Date.parse(max));
    }
    const q = await call('GET', '/calendars/primary/events?q=globex');
    expect(q.json.items.length).toBeGreaterThan(0);
    for (const e of q.json.items as GoogleEvent[]) expect(JSON.stringify(e).toLowerCase()).toContain('globex');
  });

  it('answers for the user address as well as "primary", and 404 for calendars it cannot see', async () => {
    const a = await call('GET', '/calendars/dana%40example.com/events?maxResults=1');
    expect(a.status).toBe(200);
    const b = await call('GET', '/calendars/sam.rivera%40example.com/events');
    expect(b.status).toBe(404);
    expect(b.json).toEqual(googleError(404, 'notFound', 'Not Found'));
  });

  it("rejects bad parameters with Google's 400 bodies", async () => {
    const order = await call('GET', '/calendars/primary/events?orderBy=startTime');
    expect(order.status).toBe(400);
    expect(order.json.error.errors[0]).toMatchObject({ reason: 'badRequest', message: 'The requested ordering is not available for the particular query.' });
    const empty = await call('GET', '/calendars/primary/events?timeMin=2025-03-05T00:00:00Z&timeMax=2025-03-04T00:00:00Z');
    expect(empty.status).toBe(400);
    expect(empty.json.error.errors[0]).toMatchObject({ domain: 'calendar', reason: 'timeRangeEmpty', location: 'timeMax', locationType: 'parameter' });
    const noOffset = await call('GET', '/calendars/primary/events?timeMin=2025-03-05T00:00:00');
    expect(noOffset.json).toEqual(googleError(400, 'badRequest', 'Bad Request'));
    const size = await call('GET', '/calendars/primary/events?maxResults=0');
    expect(size.json.error.errors[0]).toMatchObject({ reason: 'invalid', location: 'maxResults' });
    const token = await call('GET', '/calendars/primary/events?pageToken=garbage');
    expect(token.json.error.errors[0]).toMatchObject({ reason: 'invalid', location: 'pageToken' });
  });
});

describe('events.insert, get, patch, delete', () => {
  it('inserts an event the next list and get see, and records the invitations Google would send', async () => {
    const body = {
      summary: 'Vendor demo', location: 'Room 1C', description: 'Walkthrough',
      start: { dateTime: '2025-03-05T10:00:00+01:00' }, end: { dateTime: '2025-03-05T11:00:00+01:00' },
      attendees: [{ email: 'sam.rivera@example.com' }, { email: 'jordan.blake@globex.example' }],
    };
    const r = await call('POST', '/calendars/primary/events?sendUpdates=externalOnly', body);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      kind: 'calendar#event', status: 'confirmed', summary: 'Vendor demo',
      organizer: { email: 'dana@example.com', self: true }, creator: { email: 'dana@example.com', self: true },
      start: { dateTime: '2025-03-05T09:00:00Z' }, end: { dateTime: '2025-03-05T10:00:00Z' },
      attendees: [
        { email: 'sam.rivera@example.com', displayName: 'Sam Rivera', responseStatus: 'needsAction' },
        { email: 'jordan.blake@globex.example', displayName: 'Jordan Blake', responseStatus: 'needsAction' },
      ],
    });
    expect(em.state.sentUpdates.at(-1)).toEqual({ eventId: r.json.id, kind: 'invitation', to: ['jordan.blake@globex.example'] });
    const got = await call('GET', `/calendars/primary/events/${r.json.id}`);
    expect(got.json).toEqual(r.json);
    const list = await call('GET', '/calendars/primary/events?q=vendor%20demo');
    expect(list.json.items.map((e: GoogleEvent) => e.id)).toEqual([r.json.id]);
  });

  it('keeps a wall-clock time with its timeZone, and refuses one without', async () => {
    const ok = await call('POST', '/calendars/primary/events', {
      summary: 'NY sync', start: { dateTime: '2025-03-12T09:00:00', timeZone: 'America/New_York' }, end: { dateTime: '2025-03-12T09:30:00', timeZone: 'America/New_York' },
    });
    expect(ok.json.start).toEqual({ dateTime: '2025-03-12T09:00:00-04:00', timeZone: 'America/New_York' });
    const bad = await call('POST', '/calendars/primary/events', { start: { dateTime: '2025-03-12T09:00:00' }, end: { dateTime: '2025-03-12T09:30:00' } });
    expect(bad.status).toBe(400);
    expect(bad.json.error.errors[0]).toMatchObject({ reason: 'required', message: 'Missing time zone definition for start time.' });
  });

  it("rejects bad events with Google's 400 bodies", async () => {
    const noEnd = await call('POST', '/calendars/primary/events', { start: { dateTime: '2025-03-05T10:00:00Z' } });
    expect(noEnd.json).toEqual(googleError(400, 'required', 'Missing end time.'));
    const backwards = await call('POST', '/calendars/primary/events', { start: { dateTime: '2025-03-05T10:00:00Z' }, end: { dateTime: '2025-03-05T09:00:00Z' } });
    expect(backwards.json.error.errors[0]).toMatchObject({ domain: 'calendar', reason: 'timeRangeEmpty' });
    const email = await call('POST', '/calendars/primary/events', {
      start: { dateTime: '2025-03-05T10:00:00Z' }, end: { dateTime: '2025-03-05T11:00:00Z' }, attendees: [{ email: 'not-an-address' }],
    });
    expect(email.json.error.errors[0]).toMatchObject({ reason: 'invalid', message: 'Invalid attendee email.' });
    const send = await call('POST', '/calendars/primary/events?sendUpdates=everyone', { start: { dateTime: '2025-03-05T10:00:00Z' }, end: { dateTime: '2025-03-05T11:00:00Z' } });
    expect(send.json.error.errors[0]).toMatchObject({ reason: 'invalid', location: 'sendUpdates' });
  });

  it("lets an attendee answer for themselves but not change the organizer's event", async () => {
    const invite = [...em.state.events.values()].find((e) => !e.organizer.self && e.attendees?.some((a) => a.self && a.responseStatus === 'needsAction'))!;
    const before = structuredClone(invite);
    const forbidden = await call('PATCH', `/calendars/primary/events/${invite.id}`, { summary: 'Mine now' });
    expect(forbidden.status).toBe(403);
    expect(forbidden.json.error.errors[0]).toMatchObject({ reason: 'forbiddenForNonOrganizer' });
    expect(invite.summary).toBe(before.summary);
    const attendees = before.attendees!.map((a) => ({ ...a, responseStatus: a.self ? 'accepted' : 'declined' }));
    const r = await call('PATCH', `/calendars/primary/events/${invite.id}`, { attendees });
    expect(r.status).toBe(200);
    expect(r.json.attendees).toEqual(before.attendees!.map((a) => (a.self ? { ...a, responseStatus: 'accepted' } : a)));
    expect(r.json.etag).not.toBe(before.etag);
  });

  it('deletes with 204, shows the event as cancelled, and answers 410 deleted the second time', async () => {
    const created = await call('POST', '/calendars/primary/events?sendUpdates=all', {
      summary: 'Short-lived', start: { dateTime: '2025-03-06T15:00:00Z' }, end: { dateTime: '2025-03-06T15:30:00Z' },
      attendees: [{ email: 'aiko.tanaka@example.com' }],
    });
    const path = `/calendars/primary/events/${created.json.id}`;
    const del = await call('DELETE', `${path}?sendUpdates=all`);
    expect(del.status).toBe(204);
    expect(del.text).toBe('');
    expect(em.state.sentUpdates.at(-1)).toEqual({ eventId: created.json.id, kind: 'cancellation', to: ['aiko.tanaka@example.com'] });
    expect((await call('GET', path)).json.status).toBe('cancelled');
    const list = await call('GET', '/calendars/primary/events?q=short-lived');
    expect(list.json.items).toEqual([]);
    const again = await call('DELETE', path);
    expect(again.status).toBe(410);
    expect(again.json).toEqual(googleError(410, 'deleted', 'Resource has been deleted'));
    const missing = await call('DELETE', '/calendars/primary/events/nosuchevent0');
    expect(missing.json).toEqual(googleError(404, 'notFound', 'Not Found'));
  });
});

describe('freebusy.query', () => {
  it('answers merged busy periods per calendar, and notFound inside the result for calendars it cannot read', async () => {
    const timeMin = new Date(NOW.getTime() + DAY).toISOString();
    const timeMax = new Date(NOW.getTime() + 8 * DAY).toISOString();
    const r = await call('POST', '/freeBusy', { timeMin, timeMax, items: [{ id: 'primary' }, { id: 'sam.rivera@example.com' }, { id: 'someone@gmail.com' }] });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ kind: 'calendar#freeBusy', timeMin, timeMax });
    const mine = r.json.calendars.primary.busy as Array<{ start: string; end: string }>;
    expect(mine.length).toBeGreaterThan(5);
    for (let i = 1; i < mine.length; i++) expect(Date.parse(mine[i]!.start)).toBeGreaterThan(Date.parse(mine[i - 1]!.end));
    expect(r.json.calendars['sam.rivera@example.com'].busy.length).toBeGreaterThan(0);
    expect(r.json.calendars['someone@gmail.com']).toEqual({ errors: [{ domain: 'global', reason: 'notFound' }], busy: [] });
  });

  it('does not count declined or cancelled events as busy', async () => {
    const busyDuring = async (ev: GoogleEvent) =>
      (await call('POST', '/freeBusy', { timeMin: ev.start.dateTime, timeMax: ev.end.dateTime, items: [{ id: 'primary' }] })).json.calendars.primary.busy;
    const mine = [...em.state.events.values()].find((e) => e.organizer.self && e.status === 'confirmed' && e.start.dateTime)!;
    expect(await busyDuring(mine)).toEqual([{ start: mine.start.dateTime, end: mine.end.dateTime }]);
    await call('DELETE', `/calendars/primary/events/${mine.id}`);
    expect(await busyDuring(mine)).toEqual([]);

    const invite = [...em.state.events.values()].find((e) => !e.organizer.self && e.attendees?.some((a) => a.self && a.responseStatus === 'accepted'))!;
    expect(await busyDuring(invite)).toHaveLength(1);
    const attendees = invite.attendees!.map((a) => (a.self ? { ...a, responseStatus: 'declined' } : a));
    expect((await call('PATCH', `/calendars/primary/events/${invite.id}`, { attendees })).status).toBe(200);
    expect(await busyDuring(invite)).toEqual([]);
  });

  it('requires a time range', async () => {
    const r = await call('POST', '/freeBusy', { items: [{ id: 'primary' }] });
    expect(r.status).toBe(400);
    expect(r.json.error.errors[0]).toMatchObject({ reason: 'required' });
  });
});

describe('auth, unknown paths, malformed bodies, faults', () => {
  function failing(reason: Extract<BearerCheck, { ok: false }>['reason']): TokenVerifier {
    return async () => ({ ok: false, reason });
  }

  it.each(['invalid', 'expired', 'wrong_audience', 'revoked'] as const)('answers a %s token with 401 UNAUTHENTICATED authError', async (reason) => {
    const e = await startCalendarEmulator({ now: () => NOW, verifier: failing(reason) });
    try {
      const r = await fetch(`${e.url}/calendar/v3/calendars/primary/events`, { headers: auth });
      expect(r.status).toBe(401);
      expect(r.headers.get('www-authenticate')).toContain('error="invalid_token"');
      const body = (await r.json()) as GoogleErrorBody;
      expect(body.error).toMatchObject({ code: 401, status: 'UNAUTHENTICATED' });
      expect(body.error.message).toMatch(/^Request had invalid authentication credentials\. Expected OAuth 2 access token/);
      expect(body.error.errors).toEqual([{ message: 'Invalid Credentials', domain: 'global', reason: 'authError', location: 'Authorization', locationType: 'header' }]);
    } finally { await e.close(); }
  });

  it('answers a request without a token with 401 Login Required', async () => {
    const r = await call('GET', '/calendars/primary/events', undefined, {});
    expect(r.status).toBe(401);
    expect(r.json.error).toMatchObject({ code: 401, status: 'UNAUTHENTICATED', errors: [expect.objectContaining({ reason: 'required', message: 'Login Required.' })] });
  });

  it('answers a token without the scope with 403 insufficientPermissions', async () => {
    const e = await startCalendarEmulator({ now: () => NOW, verifier: failing('insufficient_scope') });
    try {
      const r = await fetch(`${e.url}/calendar/v3/freeBusy`, { method: 'POST', headers: auth, body: '{}' });
      expect(r.status).toBe(403);
      expect(r.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
      expect(await r.json()).toEqual({
        error: {
          code: 403, message: 'Request had insufficient authentication scopes.',
          errors: [{ message: 'Insufficient Permission', domain: 'global', reason: 'insufficientPermissions' }], status: 'PERMISSION_DENIED',
        },
      });
    } finally { await e.close(); }
  });

  it("asks the verifier for each endpoint's real scopes", async () => {
    const asked: Array<readonly string[]> = [];
    const e = await startCalendarEmulator({ now: () => NOW, verifier: async (_t, scopes) => { asked.push(scopes); return { ok: true, claims: {}, scopes: [] }; } });
    try {
      const base = `${e.url}/calendar/v3`;
      const json = { ...auth, 'content-type': 'application/json' };
      await fetch(`${base}/calendars/primary/events`, { headers: auth });
      await fetch(`${base}/calendars/primary/events/x`, { headers: auth });
      await fetch(`${base}/freeBusy`, { method: 'POST', headers: json, body: '{}' });
      await fetch(`${base}/calendars/primary/events`, { method: 'POST', headers: json, body: '{}' });
      await fetch(`${base}/calendars/primary/events/x`, { method: 'PATCH', headers: json, body: '{}' });
      await fetch(`${base}/calendars/primary/events/x`, { method: 'DELETE', headers: auth });
      expect(asked).toEqual([
        [READ_SCOPE, EVENTS_SCOPE], [READ_SCOPE, EVENTS_SCOPE], [FREEBUSY_SCOPE, READ_SCOPE, EVENTS_SCOPE],
        [EVENTS_SCOPE], [EVENTS_SCOPE], [EVENTS_SCOPE],
      ]);
    } finally { await e.close(); }
  });

  it("answers unknown paths with Google's 404 and malformed JSON with its 400 parseError", async () => {
    const nf = await call('GET', '/calendars/primary/settings');
    expect(nf.status).toBe(404);
    expect(nf.json).toEqual(googleError(404, 'notFound', 'Not Found'));
    const bad = await call('POST', '/calendars/primary/events', '{"summary": ');
    expect(bad.status).toBe(400);
    expect(bad.json).toEqual(googleError(400, 'parseError', 'Parse Error'));
  });

  it("injects 429 with Retry-After and Google's rateLimitExceeded body, then recovers", async () => {
    em.inject({ kind: 'status', status: 429, count: 1, retryAfter: 7 });
    const r = await call('GET', '/calendars/primary/events?maxResults=1');
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('7');
    expect(r.json).toEqual({ error: { errors: [{ domain: 'usageLimits', reason: 'rateLimitExceeded', message: 'Rate Limit Exceeded' }], code: 429, message: 'Rate Limit Exceeded' } });
    em.inject({ kind: 'status', status: 500, count: 1 });
    expect((await call('GET', '/calendars/primary/events?maxResults=1')).json.error.errors[0].reason).toBe('backendError');
    expect((await call('GET', '/calendars/primary/events?maxResults=1')).status).toBe(200);
  });
});
