// Reads a rate limit written as "N/unit" (e.g. "10/hour"): how many calls an agent may make
// to one tool within a fixed window. The policy only compares; the caller counts in the store.

/** A rate as written in the config: a positive whole number per second, minute, hour or day. */
export const RATE_PATTERN = /^([1-9][0-9]{0,8})\/(second|minute|hour|day)$/;

const UNIT_MS = { second: 1_000, minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

/** A parsed rate: at most `limit` calls per `windowMs` milliseconds. */
export interface Rate {
  limit: number;
  windowMs: number;
}

/** Parses "10/hour" into `{limit: 10, windowMs: 3600000}`; undefined when it is not a rate. */
export function parseRate(text: string): Rate | undefined {
  const m = RATE_PATTERN.exec(text);
  if (!m) return undefined;
  return { limit: Number(m[1]), windowMs: UNIT_MS[m[2] as keyof typeof UNIT_MS] };
}
