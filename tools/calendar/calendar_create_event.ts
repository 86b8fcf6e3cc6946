// calendar_create_event: puts a new event on the user's calendar and, by default, e-mails
// the invitations (events.insert).
import { z } from 'zod';
import { defineTool } from '../define.js';
import { InvalidArguments } from '../../src/errors.js';
import type { CalendarConnector } from '../../src/connectors/calendar.js';
import { eventOutput, sendUpdatesInput, short, toEventOutput } from './lib/shape.js';
import { isTimeZone } from '../../src/time/zone.js';

const input = z.object({
  summary: z.string().min(1).max(1024).describe('Title of the event.'),
  start: z.iso.datetime({ offset: true }).describe('Start, RFC 3339 with offset, e.g. 2025-03-04T09:00:00-05:00.'),
  end: z.iso.datetime({ offset: true }).describe('End (after start), RFC 3339 with offset.'),
  time_zone: z.string().max(64).optional()
    .describe('IANA time zone the event is shown in, e.g. "America/New_York". Default: the calendar\'s own.'),
  attendees: z.array(z.email()).max(100).optional().describe('E-mail addresses of the people to invite.'),
  description: z.string().max(8000).optional().describe('Description or agenda.'),
  location: z.string().max(1024).optional().describe('Location, room or meeting link.'),
  send_updates: sendUpdatesInput.default('all'),
});

const output = eventOutput.extend({
  invitations_sent_to: z.enum(['all', 'externalOnly', 'none']).describe('Who Google was asked to e-mail invitations to.'),
});

/** Creates an event on the user's primary calendar. */
export const calendarCreateEvent = defineTool<CalendarConnector, typeof input, typeof output>({
  name: 'calendar_create_event',
  title: 'Create calendar event',
  description:
    "Creates an event on the user's Google Calendar with a title, start and end (RFC 3339 with offset), and optionally " +
    'attendees, description and location. Invitations are e-mailed to attendees unless send_updates is "none". Use ' +
    'calendar_find_free_time first to choose a time everyone is free. Returns the created event with its ID and link.',
  provider: 'calendar',
  access: 'write',
  scopes: ['https://www.googleapis.com/auth/calendar.events'],
  input,
  output,
  summarize: (args) => {
    const guests = args.attendees?.length ? ` with ${short(args.attendees.join(', '), 80)}` : '';
    const mail = args.attendees?.length ? `; invitations: ${args.send_updates}` : '';
    return `create event "${short(args.summary)}" ${args.start} to ${args.end}${guests}${mail}`;
  },
  handler: async (args, ctx) => {
    if (Date.parse(args.end) <= Date.parse(args.start)) throw new InvalidArguments('end must be after start', { extras: { field: 'end' } });
    if (args.time_zone !== undefined && !isTimeZone(args.time_zone)) {
      throw new InvalidArguments(`time_zone "${short(args.time_zone, 64)}" is not an IANA time zone`, { extras: { field: 'time_zone' } });
    }
    const tz = args.time_zone ? { timeZone: args.time_zone } : {};
    const event = await ctx.connector.insertEvent('primary', {
      summary: args.summary,
      start: { dateTime: args.start, ...tz },
      end: { dateTime: args.end, ...tz },
      ...(args.attendees?.length ? { attendees: args.attendees.map((email) => ({ email })) } : {}),
      ...(args.description !== undefined ? { description: args.description } : {}),
      ...(args.location !== undefined ? { location: args.location } : {}),
    }, { sendUpdates: args.send_updates });
    return { ...toEventOutput(event), invitations_sent_to: args.send_updates };
  },
});
