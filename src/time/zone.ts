// Wall-clock time in an IANA zone, through Intl (so daylight-saving shifts are the zone's
// own): working-hours windows in policy, free slots and event times in the calendar tools and
// the calendar emulator all place and print times through this one module.

/** True when Intl knows the zone (e.g. "Europe/Berlin"). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** A calendar date and time of day, as a clock on the wall shows it. */
export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second?: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** The zone's offset from UTC, in ms, at an instant. */
export function offsetAt(instant: number, zone: string): number {
  const p: Record<string, number> = {};
  for (const part of formatter(zone).formatToParts(new Date(instant))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) - Math.floor(instant / 1000) * 1000;
}

/** The wall-clock time of an instant in a zone. */
export function wallTime(instant: number, zone: string): WallTime {
  const d = new Date(instant + offsetAt(instant, zone));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds() };
}

/** The instant a wall-clock time names in a zone (hour 24 is the next midnight; a DST gap lands beside it). */
export function instantOf(w: WallTime, zone: string): number {
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second ?? 0);
  return asUtc - offsetAt(asUtc - offsetAt(asUtc, zone), zone);
}

/** RFC 3339 with the zone's offset, to the second: `2025-03-04T09:00:00-05:00` (UTC gives `Z`). */
export function formatInZone(instant: number, zone: string): string {
  const offset = offsetAt(instant, zone);
  const local = new Date(Math.floor(instant / 1000) * 1000 + offset).toISOString().slice(0, 19);
  if (offset === 0) return `${local}Z`;
  const abs = Math.abs(offset) / 60_000;
  return `${local}${offset < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
