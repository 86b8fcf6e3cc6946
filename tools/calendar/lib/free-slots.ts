// Free time from busy time: inside each day's working hours (in one zone), the gaps
// between busy periods that are long enough for the meeting. Pure: values in, values out.
import { instantOf, wallTime } from '../../../src/time/zone.js';

/** A half-open interval [start, end) of epoch milliseconds. */
export interface Interval {
  start: number;
  end: number;
}

export interface FreeSlotQuery {
  /** Search window (epoch ms). */
  from: number;
  to: number;
  /** Busy periods of everyone who must attend (any order, may overlap). */
  busy: readonly Interval[];
  durationMinutes: number;
  /** Working hours, "HH:MM" (end may be "24:00"), read in `timeZone`. */
  workStart: string;
  workEnd: string;
  timeZone: string;
  /** Saturdays and Sundays (in `timeZone`) count as working days. */
  includeWeekends?: boolean;
  /** Slots start on multiples of this many minutes (default 15). */
  granularityMinutes?: number;
  /** Stop after this many slots. */
  limit?: number;
}

const MINUTE = 60_000;

/** "HH:MM" → minutes after midnight, or undefined when unreadable (24:00 allowed). */
export function parseClock(text: string): number | undefined {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  if (m) return Number(m[1]) * 60 + Number(m[2]);
  return text === '24:00' ? 24 * 60 : undefined;
}

/** Sorted, non-overlapping union of intervals. */
export function mergeIntervals(intervals: readonly Interval[]): Interval[] {
  const sorted = intervals.filter((i) => i.end > i.start).map((i) => ({ ...i })).sort((a, b) => a.start - b.start);
  const out: Interval[] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last && i.start <= last.end) last.end = Math.max(last.end, i.end);
    else out.push(i);
  }
  return out;
}

/**
 * Free windows of at least `durationMinutes` inside working hours and the search window,
 * earliest first. Each slot is a whole free stretch (it may be longer than the meeting).
 */
export function findFreeSlots(q: FreeSlotQuery): Interval[] {
  const startMin = parseClock(q.workStart);
  const endMin = parseClock(q.workEnd);
  if (startMin === undefined || endMin === undefined || endMin <= startMin) throw new RangeError('working hours must be HH:MM with end after start');
  const step = (q.granularityMinutes ?? 15) * MINUTE;
  const need = q.durationMinutes * MINUTE;
  const busy = mergeIntervals(q.busy);
  const limit = q.limit ?? Infinity;
  const out: Interval[] = [];
  const first = wallTime(q.from, q.timeZone);
  for (let i = 0; i < 400 && out.length < limit; i++) {
    const date = new Date(Date.UTC(first.year, first.month - 1, first.day + i));
    const day = { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() };
    const at = (minutes: number) => instantOf({ ...day, hour: Math.floor(minutes / 60), minute: minutes % 60 }, q.timeZone);
    const dayStart = at(startMin);
    if (dayStart >= q.to) break;
    const weekday = date.getUTCDay();
    if (!q.includeWeekends && (weekday === 0 || weekday === 6)) continue;
    let cursor = Math.max(dayStart, q.from);
    const dayEnd = Math.min(at(endMin), q.to);
    const gaps: Interval[] = [];
    for (const b of busy) {
      if (b.end <= cursor) continue;
      if (b.start >= dayEnd) break;
      if (b.start > cursor) gaps.push({ start: cursor, end: b.start });
      cursor = Math.max(cursor, b.end);
    }
    if (cursor < dayEnd) gaps.push({ start: cursor, end: dayEnd });
    for (const g of gaps) {
      const start = Math.ceil(g.start / step) * step;
      if (g.end - start >= need) out.push({ start, end: g.end });
      if (out.length >= limit) break;
    }
  }
  return out;
}
