// How a Google event looks to a model: flat, snake_case, the user's own answer pulled out,
// long text cut short. One schema and one mapper shared by every calendar tool.
import { z } from 'zod';
import type { CalendarEvent } from '../../../src/connectors/calendar.js';

const RESPONSE = z.enum(['needsAction', 'accepted', 'tentative', 'declined']);
const DESCRIPTION_LIMIT = 500;

/** One event as the calendar tools return it. */
export const eventOutput = z.object({
  id: z.string().describe('Event ID; pass it to calendar_respond_to_event or calendar_delete_event.'),
  summary: z.string().describe('Title of the event ("(no title)" when it has none).'),
  status: z.enum(['confirmed', 'tentative', 'cancelled']).describe('Event status; "cancelled" means it was deleted.'),
  start: z.string().describe('Start: RFC 3339 date-time, or YYYY-MM-DD for an all-day event.'),
  end: z.string().describe('End (exclusive): RFC 3339 date-time, or YYYY-MM-DD for an all-day event.'),
  all_day: z.boolean().describe('True for an all-day event.'),
  time_zone: z.string().optional().describe('IANA time zone the event was scheduled in, when it has one.'),
  location: z.string().optional().describe('Location or meeting room, when set.'),
  description: z.string().optional().describe(`Description, cut to ${DESCRIPTION_LIMIT} characters.`),
  organizer: z.string().describe('E-mail address of the organizer.'),
  i_am_organizer: z.boolean().describe('True when the user organizes this event.'),
  my_response: RESPONSE.optional().describe("The user's own answer when invited: needsAction (not answered yet), accepted, tentative or declined."),
  attendees: z
    .array(
      z.object({
        email: z.string().describe('Attendee e-mail address.'),
        name: z.string().optional().describe('Display name, when known.'),
        response: RESPONSE.describe('Their answer: needsAction, accepted, tentative or declined.'),
      }),
    )
    .describe('Guests, organizer included when listed; empty for an event without guests.'),
  busy: z.boolean().describe('False when the event is marked "free" (does not block time).'),
  link: z.string().optional().describe('Link to the event in Google Calendar.'),
});

export type EventOutput = z.infer<typeof eventOutput>;

const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** Maps a Google event resource to the model's shape. */
export function toEventOutput(e: CalendarEvent): EventOutput {
  const me = e.attendees?.find((a) => a.self);
  const allDay = e.start.date !== undefined && e.start.dateTime === undefined;
  const tz = e.start.timeZone;
  return {
    id: e.id,
    summary: e.summary ?? '(no title)',
    status: e.status,
    start: e.start.dateTime ?? e.start.date ?? '',
    end: e.end.dateTime ?? e.end.date ?? '',
    all_day: allDay,
    ...(tz ? { time_zone: tz } : {}),
    ...(e.location ? { location: e.location } : {}),
    ...(e.description ? { description: cut(e.description, DESCRIPTION_LIMIT) } : {}),
    organizer: e.organizer?.email ?? '',
    i_am_organizer: e.organizer?.self === true,
    ...(me ? { my_response: me.responseStatus } : {}),
    attendees: (e.attendees ?? []).map((a) => ({
      email: a.email,
      ...(a.displayName ? { name: a.displayName } : {}),
      response: a.responseStatus,
    })),
    busy: e.transparency !== 'transparent',
    ...(e.htmlLink ? { link: e.htmlLink } : {}),
  };
}

/** Cuts text for one-line approval summaries. */
export function short(text: string, max = 80): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** Who gets e-mail about a change: Google's `sendUpdates`. */
export const sendUpdatesInput = z
  .enum(['all', 'externalOnly', 'none'])
  .describe('Who Google e-mails about this change: "all" guests, "externalOnly" (guests outside the organization), or "none".');
