// calendar_delete_event: removes an event from the user's calendar and, by default, tells
// the guests it is cancelled (events.delete). It cannot be undone through Mandate.
import { z } from 'zod';
import { defineTool } from '../define.js';
import type { CalendarConnector } from '../../src/connectors/calendar.js';
import { sendUpdatesInput, short } from './lib/shape.js';

const input = z.object({
  event_id: z.string().min(1).max(1024).describe('ID of the event to delete (from calendar_list_events).'),
  send_updates: sendUpdatesInput.default('all'),
});

const output = z.object({
  id: z.string().describe('ID of the deleted event.'),
  deleted: z.literal(true).describe('Always true: the event is now cancelled.'),
  cancellations_sent_to: z.enum(['all', 'externalOnly', 'none']).describe('Who Google was asked to e-mail the cancellation to (only for events the user organizes).'),
});

/** Deletes an event from the user's primary calendar. */
export const calendarDeleteEvent = defineTool<CalendarConnector, typeof input, typeof output>({
  name: 'calendar_delete_event',
  title: 'Delete calendar event',
  description:
    "Deletes an event from the user's Google Calendar. For events the user organizes, guests are e-mailed a " +
    'cancellation unless send_updates is "none". This cannot be undone. Use calendar_list_events to find the ' +
    'event ID; to turn down someone else\'s invitation prefer calendar_respond_to_event with "declined". ' +
    'Returns the deleted event ID.',
  provider: 'calendar',
  access: 'write',
  destructive: true,
  scopes: ['https://www.googleapis.com/auth/calendar.events'],
  input,
  output,
  summarize: (args) => `delete calendar event ${short(args.event_id, 40)}${args.send_updates === 'none' ? ' without notifying guests' : ` (cancellation e-mails: ${args.send_updates})`}`,
  handler: async (args, ctx) => {
    await ctx.connector.deleteEvent('primary', args.event_id, { sendUpdates: args.send_updates });
    return { id: args.event_id, deleted: true as const, cancellations_sent_to: args.send_updates };
  },
});
