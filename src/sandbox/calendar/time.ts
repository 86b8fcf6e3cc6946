// RFC 3339 as Calendar v3 reads and writes it: timestamps with a mandatory offset in query
// parameters, wall-clock `dateTime` plus an IANA `timeZone` in event bodies, and UTC output.
import { formatInZone, isTimeZone, offsetAt } from '../../time/zone.js';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/i;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Epoch ms of an RFC 3339 timestamp that carries an offset; undefined otherwise. */
export function parseInstant(s: string): number | undefined {
  const m = RFC3339.exec(s);
  if (!m || !m[8]) return undefined;
  const ms = Date.parse(s.toUpperCase());
  return Number.isFinite(ms) ? ms : undefined;
}

export { isTimeZone, formatInZone };

/** The zone's offset from UTC (ms) at an instant. */
export function zoneOffset(tz: string, ms: number): number {
  return offsetAt(ms, tz);
}

/**
 * Epoch ms of an event time: `dateTime` with an offset, or wall-clock `dateTime` read in
 * `timeZone`. Undefined when neither gives an instant.
 */
export function eventInstant(dateTime: string, timeZone: string | undefined): number | undefined {
  const m = RFC3339.exec(dateTime);
  if (!m) return undefined;
  if (m[8]) return parseInstant(dateTime);
  if (!timeZone || !isTimeZone(timeZone)) return undefined;
  const wall = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  const first = wall - zoneOffset(timeZone, wall);
  return wall - zoneOffset(timeZone, first);
}

/** Epoch ms of an all-day `date` (midnight UTC; the sandbox calendar is in UTC). */
export function parseDate(s: string): number | undefined {
  const m = DATE.exec(s);
  if (!m) return undefined;
  const ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!);
  return Number.isFinite(ms) ? ms : undefined;
}

/** `2025-03-04T09:00:00Z`: how Google writes UTC instants in events and free/busy. */
export function formatUtc(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `2025-03-04T09:00:00.000Z`: how Google writes `created` and `updated`. */
export function formatStamp(ms: number): string {
  return new Date(ms).toISOString();
}

