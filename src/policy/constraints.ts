// The constraints a tool rule may carry, checked against a call's arguments. Each applies
// only where the arguments carry its field; a field present but unreadable is a violation
// (fail closed). Pure: values in, violations out.
import type { ToolRuleObject } from './config.js';
import { isTimeZone, parseHours, resolveEventTime, windowOnDayOf } from './hours.js';

/** One refused value: which constraint (a key of the rule) and why, in plain words. */
export interface Violation {
  constraint: 'channels' | 'attendeeDomains' | 'hours' | 'dealStages' | 'accounts';
  reason: string;
}

/** Tools whose `start`/`end` place an event in time (searches such as free-time ranges are not bound by `hours`). */
export const HOURS_TOOLS: ReadonlySet<string> = new Set(['calendar_create_event']);

const SLACK_ID = /^[CGD][A-Z0-9]{6,}$/;

/**
 * A Slack channel as the policy compares it: `#General` and `general` are the same name;
 * anything shaped like a channel ID (`C024BE91L`) is an ID, compared exactly. The policy
 * cannot resolve IDs to names without I/O, so an ID in a call matches only an ID in the
 * list: list both forms if agents may use either.
 */
export function normalizeChannel(channel: string): { kind: 'id' | 'name'; value: string } {
  const c = channel.trim();
  if (c.startsWith('#')) return { kind: 'name', value: c.slice(1).toLowerCase() };
  if (SLACK_ID.test(c)) return { kind: 'id', value: c };
  return { kind: 'name', value: c.toLowerCase() };
}

/** A call's value as reasons quote it: short, so an oversized or odd argument is not echoed whole. */
const show = (value: unknown) => {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  return text.length > 64 ? `${text.slice(0, 61)}...` : text;
};
const listed = (values: readonly string[]) => (values.length === 0 ? '(none)' : values.join(', '));

function checkChannel(channel: unknown, allowed: readonly string[]): Violation | undefined {
  const ok =
    typeof channel === 'string' &&
    allowed.some((entry) => {
      const a = normalizeChannel(entry);
      const c = normalizeChannel(channel);
      return a.kind === c.kind && a.value === c.value;
    });
  if (ok) return undefined;
  return { constraint: 'channels', reason: `channel ${show(channel)} is not in the allowed channels: ${listed(allowed)}` };
}

function attendeeAddress(attendee: unknown): string | undefined {
  if (typeof attendee === 'string') return attendee;
  if (attendee !== null && typeof attendee === 'object' && typeof (attendee as { email?: unknown }).email === 'string') {
    return (attendee as { email: string }).email;
  }
  return undefined;
}

function checkAttendees(attendees: unknown, domains: readonly string[]): Violation | undefined {
  const allowed = domains.map((d) => d.toLowerCase());
  const list: unknown[] = Array.isArray(attendees) ? attendees : [attendees];
  const outside: string[] = [];
  for (const a of list) {
    const address = attendeeAddress(a);
    const at = address?.lastIndexOf('@') ?? -1;
    const domain = address !== undefined && at > 0 ? address.slice(at + 1).trim().toLowerCase() : undefined;
    if (domain === undefined || !allowed.includes(domain)) outside.push(address ?? show(a));
  }
  if (outside.length === 0) return undefined;
  const who = outside.length === 1 ? `attendee ${outside[0]} is` : `attendees ${outside.join(', ')} are`;
  return { constraint: 'attendeeDomains', reason: `${who} outside the allowed domains: ${listed(domains)}` };
}

function checkHours(args: Record<string, unknown>, hours: string): Violation | undefined {
  const window = parseHours(hours);
  const refuse = (why: string): Violation => ({ constraint: 'hours', reason: `${why}; allowed hours: ${hours}` });
  if (!window) return refuse('the allowed hours cannot be read'); // unreachable after config validation
  // The event's own zone: `time_zone` as calendar_create_event takes it (`timeZone`, Google's spelling, too).
  const own = args.time_zone ?? args.timeZone;
  const zone = typeof own === 'string' && isTimeZone(own) ? own : window.timeZone;
  const start = args.start === undefined ? undefined : resolveEventTime(args.start, zone);
  const end = args.end === undefined ? undefined : resolveEventTime(args.end, zone);
  if (start === 'all-day' || end === 'all-day') return refuse('an all-day event is outside the allowed hours');
  if (args.start !== undefined && start === undefined) return refuse(`start ${show(args.start)} is not a date-time`);
  if (args.end !== undefined && end === undefined) return refuse(`end ${show(args.end)} is not a date-time`);
  const anchor = start ?? end;
  if (anchor === undefined) return undefined;
  const day = windowOnDayOf(window, anchor);
  if (start !== undefined && (start < day.start || start > day.end)) {
    return refuse(`start ${show(args.start)} is outside the allowed hours`);
  }
  if (end !== undefined && (end < day.start || end > day.end)) {
    return refuse(`end ${show(args.end)} is outside the allowed hours on the day the event starts`);
  }
  return undefined;
}

function checkStage(stage: unknown, stages: readonly string[]): Violation | undefined {
  if (typeof stage === 'string' && stages.includes(stage)) return undefined;
  return { constraint: 'dealStages', reason: `deal stage ${show(stage)} is not in the allowed stages: ${listed(stages)}` };
}

/** Every constraint of `rule` that the call's arguments break, in the rule's key order. */
export function checkConstraints(rule: ToolRuleObject, toolName: string, args: Record<string, unknown>): Violation[] {
  const out: Array<Violation | undefined> = [];
  if (rule.channels && args.channel !== undefined) out.push(checkChannel(args.channel, rule.channels));
  if (rule.attendeeDomains && args.attendees !== undefined) out.push(checkAttendees(args.attendees, rule.attendeeDomains));
  if (rule.hours && HOURS_TOOLS.has(toolName) && (args.start !== undefined || args.end !== undefined)) {
    out.push(checkHours(args, rule.hours));
  }
  if (rule.dealStages && args.stage !== undefined) out.push(checkStage(args.stage, rule.dealStages));
  if (rule.accounts && args.account !== undefined && !(typeof args.account === 'string' && rule.accounts.includes(args.account))) {
    out.push({ constraint: 'accounts', reason: `account ${show(args.account)} is not in the allowed accounts: ${listed(rule.accounts)}` });
  }
  return out.filter((v): v is Violation => v !== undefined);
}
