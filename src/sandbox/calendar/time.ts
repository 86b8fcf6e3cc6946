// RFC 3339 as Calendar v3 reads and writes it: timestamps with a mandatory offset in query
// parameters, wall-clock `dateTime` plus an IANA `timeZone` in event bodies, and UTC output.

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/i;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Epoch ms of an RFC 3339 timestamp that carries an offset; undefined otherwise. */
export function parseInstant(s: string): number | undefined {
  const m = RFC3339.exec(s);
  if (!m || !m[8]) return undefined;
  const ms = Date.parse(s.toUpperCase());
  return Number.isFinite(ms) ? ms : undefined;
}

/** Whether `tz` is an IANA time zone this runtime knows. */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The zone's offset from UTC (ms) at an instant. */
export function zoneOffset(tz: string, ms: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).formatToParts(new Date(ms));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(ms / 1000) * 1000;
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

/** `2025-03-04T09:00:00-05:00`: an instant as wall-clock time in `tz` (UTC gives `Z`). */
export function formatInZone(ms: number, tz: string): string {
  const offset = zoneOffset(tz, ms);
  if (offset === 0) return formatUtc(ms);
  const local = formatUtc(ms + offset).slice(0, 19);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset) / 60_000;
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
