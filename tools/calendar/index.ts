// The Google Calendar tools, in the contract's order: reads first, then writes.
import type { AnyTool } from '../define.js';
import { calendarListEvents } from './calendar_list_events.js';
import { calendarFindFreeTime } from './calendar_find_free_time.js';
import { calendarCreateEvent } from './calendar_create_event.js';
import { calendarRespondToEvent } from './calendar_respond_to_event.js';
import { calendarDeleteEvent } from './calendar_delete_event.js';

/** Every calendar tool (Google Calendar API v3). */
export const calendarTools: AnyTool[] = [
  calendarListEvents as AnyTool,
  calendarFindFreeTime as AnyTool,
  calendarCreateEvent as AnyTool,
  calendarRespondToEvent as AnyTool,
  calendarDeleteEvent as AnyTool,
];
