// Working-hours windows such as "08:00-19:00 Europe/Berlin": parsing them, and deciding
// whether an event's start and end lie inside the window on that day in that zone. Zone
// arithmetic goes through Intl (src/time/zone.ts), so daylight-saving changes are the zone's.
import { instantOf, isTimeZone, wallTime, type WallTime } from '../time/zone.js';

export { isTimeZone };

/** "HH:MM-HH:MM Area/City"; the end may be 24:00. */
export const HOURS_PATTERN = /^([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-3]|24):([0-5][0-9]) (\S+)$/;

/** A parsed window: minutes after local midnight, and the IANA zone. */
export interface HoursWindow {
  startMinute: number;
  endMinute: number;
  timeZone: string;
  /** As written in the config, for messages. */
  text: string;
}

/** Parses a window; undefined when the text, the times or the zone are not valid. */
export function parseHours(text: string): HoursWindow | undefined {
  const m = HOURS_PATTERN.exec(text);
  if (!m) return undefined;
  const startMinute = Number(m[1]) * 60 + Number(m[2]);
  const endMinute = Number(m[3]) * 60 + Number(m[4]);
  const timeZone = m[5]!;
  if (endMinute > 24 * 60 || endMinute <= startMinute || !isTimeZone(timeZone)) return undefined;
  return { startMinute, endMinute, timeZone, text };
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** An event time as a tool receives it: an ISO string, or Google's `{dateTime, timeZone}` / `{date}`. */
export type EventTime = unknown;

/** Resolves an event time to an instant; `all-day` for dates without a time; undefined when unreadable. */
export function resolveEventTime(value: EventTime, defaultZone: string): number | 'all-day' | undefined {
  let text: unknown = value;
  let zone = defaultZone;
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o.date === 'string' && o.dateTime === undefined) return DATE_ONLY.test(o.date) ? 'all-day' : undefined;
    text = o.dateTime;
    if (typeof o.timeZone === 'string' && isTimeZone(o.timeZone)) zone = o.timeZone;
  }
  if (typeof text !== 'string') return undefined;
  if (DATE_ONLY.test(text)) return 'all-day';
  const m = DATE_TIME.exec(text);
  if (!m) return undefined;
  if (m[7] !== undefined) {
    const t = Date.parse(text);
    return Number.isNaN(t) ? undefined : t;
  }
  // No offset: a floating time, read in the event's own zone (or the window's).
  const w: WallTime = { year: +m[1]!, month: +m[2]!, day: +m[3]!, hour: +m[4]!, minute: +m[5]!, second: +(m[6] ?? 0) };
  return instantOf(w, zone);
}

/** The window's bounds, as instants, on the local day (in the window's zone) that contains `instant`. */
export function windowOnDayOf(window: HoursWindow, instant: number): { start: number; end: number } {
  const day = wallTime(instant, window.timeZone);
  const at = (minute: number) =>
    instantOf({ year: day.year, month: day.month, day: day.day, hour: Math.floor(minute / 60), minute: minute % 60, second: 0 }, window.timeZone);
  // 24:00 is the next day's midnight; Date.UTC rolls the hour over for us.
  return { start: at(window.startMinute), end: at(window.endMinute) };
}
