// The Google Calendar API v3 emulator: the endpoints Mandate's calendar tools use, on the
// real paths under /calendar/v3, each checking its bearer token for Google's real scope
// names and answering auth failures the way Google does (401 UNAUTHENTICATED, 403
// PERMISSION_DENIED).
import { presenceVerifier, Router, startEmulator, type Emulator, type Handler, type TokenVerifier } from '../http.js';
import * as E from './errors.js';
import { deleteEvent, getEvent, insertEvent, listEvents, patchEvent, type CalendarEnv } from './events.js';
import { freeBusy } from './freebusy.js';
import { seedCalendar } from './seed.js';
import type { CalendarState } from './state.js';
import { EmulatedOAuth, type EmulatedOAuthOptions } from '../oauth.js';

const SCOPE = 'https://www.googleapis.com/auth/calendar';
/** Scopes each endpoint accepts (a token needs any one of them). */
export const CALENDAR_ENDPOINT_SCOPES = {
  read: [`${SCOPE}.events.readonly`, `${SCOPE}.events`],
  write: [`${SCOPE}.events`],
  freeBusy: [`${SCOPE}.freebusy`, `${SCOPE}.events.readonly`, `${SCOPE}.events`],
} as const;

/** Where the API lives on the emulator; the connector's base URL is `emulator.url + CALENDAR_BASE_PATH`. */
export const CALENDAR_BASE_PATH = '/calendar/v3';

export interface CalendarEmulatorOptions {
  verifier?: TokenVerifier;
  port?: number;
  /** The emulator's clock: seeds data relative to it and stamps writes (default: real time). */
  now?: () => Date;
  /** Google's own OAuth (`/o/oauth2/v2/auth`, `/token`, `/revoke`, `/tokeninfo`): the emulator then accepts the Google tokens it issued. */
  oauth?: Omit<EmulatedOAuthOptions, 'provider' | 'identity'> & { identity?: Partial<EmulatedOAuthOptions['identity']> };
}

/** A running Calendar emulator with its live state. */
export type CalendarEmulator = Emulator & { state: CalendarState; oauth: EmulatedOAuth | null };

/** Starts the Calendar emulator on 127.0.0.1 with freshly seeded demo data. */
export async function startCalendarEmulator(options: CalendarEmulatorOptions = {}): Promise<CalendarEmulator> {
  const oauth = options.oauth
    ? new EmulatedOAuth({ ...options.oauth, provider: 'google', identity: { id: 'dana@example.com', email: 'dana@example.com', user: '104872263957381234567', ...options.oauth.identity } })
    : null;
  const verifier = options.verifier ?? oauth?.verifier ?? presenceVerifier;
  const now = options.now ?? (() => new Date());
  const env: CalendarEnv = { state: seedCalendar(now()), now };

  const guard = (scopes: readonly string[], run: (env: CalendarEnv, req: Parameters<Handler>[0]) => ReturnType<Handler>): Handler =>
    async (req) => {
      const check = await verifier(req.token, scopes);
      if (!check.ok) {
        if (check.reason === 'missing') return E.loginRequired();
        if (check.reason === 'insufficient_scope') return E.insufficientScopes(scopes);
        return E.invalidCredentials();
      }
      return run(env, req);
    };

  const events = `${CALENDAR_BASE_PATH}/calendars/:calendarId/events`;
  const router = new Router()
    .on('GET', events, guard(CALENDAR_ENDPOINT_SCOPES.read, listEvents))
    .on('POST', events, guard(CALENDAR_ENDPOINT_SCOPES.write, insertEvent))
    .on('GET', `${events}/:eventId`, guard(CALENDAR_ENDPOINT_SCOPES.read, getEvent))
    .on('PATCH', `${events}/:eventId`, guard(CALENDAR_ENDPOINT_SCOPES.write, patchEvent))
    .on('DELETE', `${events}/:eventId`, guard(CALENDAR_ENDPOINT_SCOPES.write, deleteEvent))
    .on('POST', `${CALENDAR_BASE_PATH}/freeBusy`, guard(CALENDAR_ENDPOINT_SCOPES.freeBusy, freeBusy));
  oauth?.mount(router);

  const emulator = await startEmulator({
    router,
    notFound: () => E.notFound(),
    badRequest: () => E.parseError(),
    faultBody: E.faultBody,
    ...(options.port !== undefined ? { port: options.port } : {}),
  });
  return Object.assign(emulator, { state: env.state, oauth });
}
