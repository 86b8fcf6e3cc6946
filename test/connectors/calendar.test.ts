// The Calendar connector against its emulator: each method on Google's wire format, paging,
// and every failure mapped to the contract's error codes (401 refresh-and-retry, 429
// Retry-After within its bound, timeouts, Google's error bodies).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CalendarConnector, interpretCalendar, type CalendarEvent } from '../../src/connectors/calendar.js';
import { staticTokenSource, type ConnectorOptions, type TokenSource } from '../../src/connectors/http.js';
import { MandateError } from '../../src/errors.js';
import { startCalendarEmulator, type CalendarEmulator } from '../../src/sandbox/calendar/emulator.js';
import type { TokenVerifier } from '../../src/sandbox/http.js';

const NOW = new Date('2025-03-03T08:00:00Z');
const DAY = 86_400_000;
const TOKEN = 'ya29.sandbox-token-for-tests-only';

let em: CalendarEmulator;
const connect = (e: CalendarEmulator, more: Partial<ConnectorOptions> = {}) =>
  new CalendarConnector({ baseUrl: `${e.url}/calendar/v3`, tokens: staticTokenSource(TOKEN), ...more });

async function failure(p: Promise<unknown>): Promise<MandateError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(MandateError);
  return err as MandateError;
}

beforeAll(async () => { em = await startCalendarEmulator({ now: () => NOW }); });
afterAll(async () => { await em.close(); });

describe('methods', () => {
  it('listEvents returns a typed page with the cursor, and the token went out as a bearer', async () => {
    const c = connect(em);
    const page = await c.listEvents('primary', {
      timeMin: NOW.toISOString(), timeMax: new Date(NOW.getTime() + 7 * DAY).toISOString(), maxResults: 4, singleEvents: true, orderBy: 'startTime',
    });
    expect(page.kind).toBe('calendar#events');
    expect(page.items).toHaveLength(4);
    expect(page.nextPageToken).toEqual(expect.any(String));
    expect(em.requests.at(-1)).toMatchObject({ method: 'GET', path: '/calendar/v3/calendars/primary/events', token: TOKEN });
  });

  it('paginateEvents walks every page and matches one big page', async () => {
    const c = connect(em);
    const ids: string[] = [];
    let pages = 0;
    for await (const page of c.paginateEvents('primary', { maxResults: 10, singleEvents: true, orderBy: 'startTime' })) {
      pages += 1;
      ids.push(...page.items.map((e) => e.id));
    }
    const all = await c.listEvents('primary', { maxResults: 2500, singleEvents: true, orderBy: 'startTime' });
    expect(pages).toBe(Math.ceil(all.items.length / 10));
    expect(ids).toEqual(all.items.map((e) => e.id));
  });

  it('paginateEvents stops after maxPages', async () => {
    const pages: number[] = [];
    for await (const page of connect(em).paginateEvents('primary', { maxResults: 5 }, 2)) pages.push(page.items.length);
    expect(pages).toEqual([5, 5]);
  });

  it('insertEvent, getEvent, patchEvent and deleteEvent round-trip through the emulator', async () => {
    const c = connect(em);
    const created = await c.insertEvent('dana@example.com', {
      summary: 'Connector test', start: { dateTime: '2025-03-04T13:00:00Z' }, end: { dateTime: '2025-03-04T13:30:00Z' },
      attendees: [{ email: 'priya.natarajan@example.com' }],
    }, { sendUpdates: 'all' });
    expect(created).toMatchObject({ kind: 'calendar#event', summary: 'Connector test', organizer: { self: true } });
    expect(em.requests.at(-1)!.path).toBe('/calendar/v3/calendars/dana%40example.com/events');
    expect(em.state.sentUpdates.at(-1)).toMatchObject({ eventId: created.id, kind: 'invitation' });

    const got: CalendarEvent = await c.getEvent('primary', created.id);
    expect(got.id).toBe(created.id);
    const patched = await c.patchEvent('primary', created.id, { location: 'Room 4B' }, { sendUpdates: 'none' });
    expect(patched.location).toBe('Room 4B');
    expect(patched.summary).toBe('Connector test');

    await expect(c.deleteEvent('primary', created.id)).resolves.toBeUndefined();
    expect((await c.getEvent('primary', created.id)).status).toBe('cancelled');
  });

  it('freeBusy returns busy periods per calendar and per-calendar errors', async () => {
    const fb = await connect(em).freeBusy({
      timeMin: NOW.toISOString(), timeMax: new Date(NOW.getTime() + 3 * DAY).toISOString(),
      items: [{ id: 'primary' }, { id: 'outsider@globex.example' }],
    });
    expect(fb.kind).toBe('calendar#freeBusy');
    expect(fb.calendars.primary!.busy.length).toBeGreaterThan(0);
    expect(fb.calendars['outsider@globex.example']!.errors).toEqual([{ domain: 'global', reason: 'notFound' }]);
  });
});

describe('errors', () => {
  it("maps Google's 404, 410 and 400 to upstream_error with Google's reason", async () => {
    const c = connect(em);
    const nf = await failure(c.getEvent('primary', 'doesnotexist1'));
    expect(nf.code).toBe('upstream_error');
    expect(nf.message).toBe('Google Calendar: notFound (404): Not Found');
    const ev = await c.insertEvent('primary', { start: { dateTime: '2025-03-04T16:00:00Z' }, end: { dateTime: '2025-03-04T16:30:00Z' } });
    await c.deleteEvent('primary', ev.id);
    const gone = await failure(c.deleteEvent('primary', ev.id));
    expect(gone.code).toBe('upstream_error');
    expect(gone.message).toContain('deleted (410): Resource has been deleted');
    const bad = await failure(c.listEvents('primary', { timeMin: '2025-03-05T00:00:00Z', timeMax: '2025-03-04T00:00:00Z' }));
    expect(bad.message).toContain('timeRangeEmpty (400)');
  });

  it('injected 500 → upstream_error backendError', async () => {
    em.inject({ kind: 'status', status: 500, count: 1 });
    const err = await failure(connect(em).listEvents('primary', { maxResults: 1 }));
    expect(err.code).toBe('upstream_error');
    expect(err.message).toContain('backendError (500)');
  });

  it('a token the upstream keeps refusing → one refresh, then upstream_unauthorized without the token in the message', async () => {
    const e = await startCalendarEmulator({ now: () => NOW, verifier: async () => ({ ok: false, reason: 'expired' }) });
    try {
      const err = await failure(connect(e).listEvents('primary'));
      expect(err.code).toBe('upstream_unauthorized');
      expect(err.message).toContain('authError');
      expect(`${err.message} ${err.detail ?? ''}`).not.toContain(TOKEN);
      expect(e.requests).toHaveLength(2);
    } finally { await e.close(); }
  });

  it('a token without the scope (403 insufficientPermissions) → upstream_unauthorized', async () => {
    const e = await startCalendarEmulator({ now: () => NOW, verifier: async () => ({ ok: false, reason: 'insufficient_scope' }) });
    try {
      const err = await failure(connect(e).freeBusy({ timeMin: NOW.toISOString(), timeMax: new Date(NOW.getTime() + DAY).toISOString(), items: [{ id: 'primary' }] }));
      expect(err.code).toBe('upstream_unauthorized');
      expect(err.message).toContain('insufficientPermissions');
    } finally { await e.close(); }
  });

  it('401 on the first token → one refresh, retried with the fresh token, succeeds', async () => {
    const verifier: TokenVerifier = async (token) => (token === 'fresh' ? { ok: true, claims: {}, scopes: [] } : { ok: false, reason: 'expired' });
    const e = await startCalendarEmulator({ now: () => NOW, verifier });
    let refreshes = 0;
    const tokens: TokenSource = { token: async () => 'stale', refresh: async () => { refreshes += 1; return 'fresh'; } };
    try {
      const page = await new CalendarConnector({ baseUrl: `${e.url}/calendar/v3`, tokens }).listEvents('primary', { maxResults: 2 });
      expect(page.items).toHaveLength(2);
      expect(refreshes).toBe(1);
      expect(e.requests.map((r) => r.token)).toEqual(['stale', 'fresh']);
    } finally { await e.close(); }
  });

  it('429 with Retry-After: 1 → waits about a second and succeeds', async () => {
    em.inject({ kind: 'status', status: 429, count: 1, retryAfter: 1 });
    const t0 = Date.now();
    const page = await connect(em).listEvents('primary', { maxResults: 1 });
    expect(page.items).toHaveLength(1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
  });

  it('429 with a Retry-After above the bound → upstream_error at once, carrying retry_after_seconds', async () => {
    em.inject({ kind: 'status', status: 429, count: 1, retryAfter: 30 });
    const t0 = Date.now();
    const err = await failure(connect(em, { maxRetryAfterSeconds: 5 }).listEvents('primary', { maxResults: 1 }));
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(err.code).toBe('upstream_error');
    expect(err.extras.retry_after_seconds).toBe(30);
  });

  it('a hang → timeout error after timeoutMs', async () => {
    em.inject({ kind: 'hang', count: 1 });
    const t0 = Date.now();
    const err = await failure(connect(em, { timeoutMs: 200 }).listEvents('primary', { maxResults: 1 }));
    expect(err.code).toBe('upstream_error');
    expect(err.message).toBe('Google Calendar did not answer within 200 ms');
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});

describe('interpretCalendar', () => {
  const res = (status: number, body: unknown, headers: Record<string, string> = {}) => ({ status, body, headers: new Headers(headers) });
  it("reads Google's 403 usage-limit reasons as rate limiting", () => {
    for (const reason of ['rateLimitExceeded', 'userRateLimitExceeded']) {
      expect(interpretCalendar(res(403, { error: { code: 403, message: 'Rate Limit Exceeded', errors: [{ domain: 'usageLimits', reason }] } }, { 'retry-after': '2' })))
        .toEqual({ kind: 'rate_limited', retryAfterSeconds: 2 });
    }
  });
  it('keeps other 403s (e.g. forbiddenForNonOrganizer) as errors, not auth failures', () => {
    expect(interpretCalendar(res(403, { error: { code: 403, message: 'Shared properties can only be changed by the organizer of the event.', errors: [{ reason: 'forbiddenForNonOrganizer' }] } })))
      .toEqual({ kind: 'error', message: 'forbiddenForNonOrganizer (403): Shared properties can only be changed by the organizer of the event.' });
  });
  it('scrubs token-shaped text and copes with bodies that are not Google JSON', () => {
    const v = interpretCalendar(res(400, { error: { message: 'bad token ya29.abcdefghijklmnop in request', errors: [{ reason: 'invalid' }] } }));
    expect(v).toEqual({ kind: 'error', message: 'invalid (400): bad token [redacted] in request' });
    expect(interpretCalendar(res(502, '<html>Bad Gateway</html>'))).toEqual({ kind: 'error', message: 'HTTP 502 (502)' });
  });
});
