// calendar_list_events: the user's events in a time window (events.list, expanded and in
// start order), one page at a time.
import { z } from 'zod';
import { defineTool } from '../define.js';
import { InvalidArguments } from '../../src/errors.js';
import type { CalendarConnector } from '../../src/connectors/calendar.js';
import { eventOutput, short, toEventOutput } from './lib/shape.js';

const DAY = 86_400_000;

const input = z.object({
  time_min: z.iso.datetime({ offset: true }).optional()
    .describe('Start of the window, RFC 3339 with offset (e.g. 2025-03-04T00:00:00Z). Events ending after it are listed. Default: now.'),
  time_max: z.iso.datetime({ offset: true }).optional()
    .describe('End of the window, RFC 3339 with offset. Events starting before it are listed. Default: 7 days after time_min.'),
  query: z.string().min(1).max(200).optional()
    .describe('Free-text search over title, description, location, attendees and organizer (e.g. "Globex").'),
  limit: z.number().int().min(1).max(200).default(50).describe('Most events to return in this page (1-200, default 50).'),
  cursor: z.string().min(1).max(1000).optional().describe('next_cursor from a previous call, to get the next page of the same query.'),
});

const output = z.object({
  events: z.array(eventOutput).describe('Events in start order (recurring events appear as their single occurrences).'),
  time_min: z.string().describe('Start of the window that was searched.'),
  time_max: z.string().describe('End of the window that was searched.'),
  next_cursor: z.string().optional().describe('Present when more events match: pass it back as `cursor` with the same window and query.'),
});

/** Lists events on the user's primary calendar. */
export const calendarListEvents = defineTool<CalendarConnector, typeof input, typeof output>({
  name: 'calendar_list_events',
  title: 'List calendar events',
  description:
    "Lists events on the user's Google Calendar between time_min and time_max (default: the next 7 days), earliest " +
    'first, optionally filtered by a free-text query. Use it to see what is scheduled, to find an event ID before ' +
    'answering an invitation or deleting an event, or to find invitations still waiting for an answer ' +
    '(my_response "needsAction"). Returns title, times, location, organizer, attendees and their answers; pass ' +
    '`next_cursor` back as `cursor` for more.',
  provider: 'calendar',
  access: 'read',
  scopes: ['https://www.googleapis.com/auth/calendar.events.readonly'],
  input,
  output,
  summarize: (args) => {
    const window = args.time_min || args.time_max ? ` from ${args.time_min ?? 'now'} to ${args.time_max ?? '+7 days'}` : ' for the next 7 days';
    return `list calendar events${window}${args.query ? ` matching "${short(args.query)}"` : ''}`;
  },
  handler: async (args, ctx) => {
    const timeMin = args.time_min ?? new Date().toISOString();
    const timeMax = args.time_max ?? new Date(Date.parse(timeMin) + 7 * DAY).toISOString();
    if (Date.parse(timeMax) <= Date.parse(timeMin)) {
      throw new InvalidArguments('time_max must be after time_min', { extras: { field: 'time_max' } });
    }
    const list = await ctx.connector.listEvents('primary', {
      timeMin, timeMax, q: args.query, maxResults: args.limit, pageToken: args.cursor, singleEvents: true, orderBy: 'startTime',
    });
    return {
      events: list.items.map(toEventOutput),
      time_min: timeMin,
      time_max: timeMax,
      ...(list.nextPageToken ? { next_cursor: list.nextPageToken } : {}),
    };
  },
});
