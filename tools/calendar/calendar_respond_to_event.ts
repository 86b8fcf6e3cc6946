// calendar_respond_to_event: the user's answer to an invitation (events.get, then
// events.patch of the user's own attendee entry). Answering the same way twice changes nothing.
import { z } from 'zod';
import { defineTool } from '../define.js';
import { InvalidArguments, UpstreamError } from '../../src/errors.js';
import type { CalendarConnector } from '../../src/connectors/calendar.js';
import { short } from './lib/shape.js';

const input = z.object({
  event_id: z.string().min(1).max(1024).describe('ID of the event (from calendar_list_events).'),
  response: z.enum(['accepted', 'declined', 'tentative']).describe('The answer: accepted, declined or tentative (maybe).'),
  comment: z.string().max(500).optional().describe('Optional note to the organizer with the answer.'),
});

const output = z.object({
  id: z.string().describe('Event ID.'),
  summary: z.string().describe('Title of the event.'),
  start: z.string().describe('Start: RFC 3339 date-time, or YYYY-MM-DD for an all-day event.'),
  end: z.string().describe('End: RFC 3339 date-time, or YYYY-MM-DD for an all-day event.'),
  organizer: z.string().describe('E-mail address of the organizer, who sees the answer.'),
  response: z.enum(['accepted', 'declined', 'tentative']).describe("The user's answer now recorded."),
  previous_response: z.enum(['needsAction', 'accepted', 'tentative', 'declined']).describe('What the answer was before this call.'),
});

const VERB = { accepted: 'accept', declined: 'decline', tentative: 'tentatively accept' } as const;

/** Accepts, declines or tentatively accepts an invitation on the user's behalf. */
export const calendarRespondToEvent = defineTool<CalendarConnector, typeof input, typeof output>({
  name: 'calendar_respond_to_event',
  title: 'Respond to invitation',
  description:
    "Answers an invitation on the user's Google Calendar: accepted, declined or tentative, with an optional comment " +
    'for the organizer. Use calendar_list_events to find the event ID (invitations not yet answered have my_response ' +
    '"needsAction"). Only works for events the user is invited to, not ones they organize. Returns the new and previous answer.',
  provider: 'calendar',
  access: 'write',
  idempotent: true,
  scopes: ['https://www.googleapis.com/auth/calendar.events'],
  input,
  output,
  summarize: (args) => `${VERB[args.response]} calendar event ${short(args.event_id, 40)}${args.comment ? ` with comment "${short(args.comment)}"` : ''}`,
  handler: async (args, ctx) => {
    const event = await ctx.connector.getEvent('primary', args.event_id);
    const field = { extras: { field: 'event_id' } };
    if (event.status === 'cancelled') throw new InvalidArguments('this event has been cancelled', field);
    const me = event.attendees?.find((a) => a.self);
    if (!me) {
      throw new InvalidArguments(event.organizer?.self ? 'the user organizes this event; there is no invitation to answer' : 'the user is not invited to this event', field);
    }
    const attendees = event.attendees!.map((a) =>
      a.self ? { ...a, responseStatus: args.response, ...(args.comment !== undefined ? { comment: args.comment } : {}) } : a);
    const updated = await ctx.connector.patchEvent('primary', args.event_id, { attendees });
    const now = updated.attendees?.find((a) => a.self)?.responseStatus;
    if (now !== args.response) throw new UpstreamError('Google Calendar did not record the answer');
    return {
      id: updated.id,
      summary: updated.summary ?? '(no title)',
      start: updated.start.dateTime ?? updated.start.date ?? '',
      end: updated.end.dateTime ?? updated.end.date ?? '',
      organizer: updated.organizer?.email ?? '',
      response: args.response,
      previous_response: me.responseStatus,
    };
  },
});
