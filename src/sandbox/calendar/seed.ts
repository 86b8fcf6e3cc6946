// Deterministic demo data for the Calendar emulator: Dana Demo's next four weeks of
// working-hours meetings with colleagues at example.com and a few outside companies, some
// still waiting for Dana's answer. A seeded PRNG (never Math.random) keeps every run alike
// for the same day.
import { etagFor, eventId, htmlLink, type CalendarState, type Colleague, type GoogleAttendee, type GoogleEvent } from './state.js';
import { formatStamp, formatUtc } from './time.js';
import { seededRandom } from '../random.js';

/** The sandbox's demo user: the person every sandbox token speaks for. */
export const DEMO_USER = { id: 'demo-user', email: 'dana@example.com', displayName: 'Dana Demo', timeZone: 'UTC' } as const;

/** The seed data's deterministic PRNG (see ../random.ts). */
export const prng = seededRandom;

const COLLEAGUES: ReadonlyArray<readonly [string, string]> = [
  ['sam.rivera@example.com', 'Sam Rivera'],
  ['priya.natarajan@example.com', 'Priya Natarajan'],
  ['marcus.lee@example.com', 'Marcus Lee'],
  ['elena.petrova@example.com', 'Elena Petrova'],
  ['tomas.garcia@example.com', 'Tomás García'],
  ['aiko.tanaka@example.com', 'Aiko Tanaka'],
  ['grace.okafor@example.com', 'Grace Okafor'],
];

const EXTERNALS: ReadonlyArray<readonly [string, string]> = [
  ['jordan.blake@globex.example', 'Jordan Blake'],
  ['li.wei@initech.example', 'Li Wei'],
  ['rachel.moss@northwind.example', 'Rachel Moss'],
];

const NAMES = new Map<string, string>([...COLLEAGUES, ...EXTERNALS, [DEMO_USER.email, DEMO_USER.displayName]]);

/** Display name of a known person (the sandbox's directory). */
export function displayNameOf(email: string): string | undefined {
  return NAMES.get(email.toLowerCase());
}

interface Template {
  summary: string;
  organizer: string;
  guests: string[];
  minutes: number;
  location?: string;
  description?: string;
  weight: number;
}

const who = (first: string) => [...COLLEAGUES, ...EXTERNALS].find(([e]) => e.startsWith(first))![0];
const DANA = DEMO_USER.email;

const TEMPLATES: Template[] = [
  { summary: '1:1 Dana / Sam', organizer: DANA, guests: [who('sam')], minutes: 30, location: 'Room 4B (Aurora)', weight: 3 },
  { summary: 'Sprint planning', organizer: who('marcus'), guests: [DANA, who('sam'), who('priya'), who('aiko'), who('tomas')], minutes: 60, location: 'Room 2A (Borealis)', description: 'Bring your top three candidates for the sprint; we size and commit in the room.', weight: 2 },
  { summary: 'Design review: onboarding flow', organizer: who('priya'), guests: [DANA, who('elena'), who('grace')], minutes: 45, description: 'Figma link in the doc. Focus: first-run checklist and empty states.', weight: 2 },
  { summary: 'Globex renewal call', organizer: DANA, guests: [who('jordan'), who('sam')], minutes: 30, location: 'Google Meet', description: 'Agenda: usage review, renewal terms, Q3 roadmap preview.', weight: 2 },
  { summary: 'Interview: Senior Backend Engineer', organizer: who('grace'), guests: [DANA], minutes: 60, location: 'Room 1C (Cirrus)', description: 'System design round. Scorecard due the same day.', weight: 2 },
  { summary: 'Lunch & learn: tracing with OpenTelemetry', organizer: who('aiko'), guests: [DANA, who('sam'), who('marcus'), who('tomas'), who('priya')], minutes: 60, location: 'Kitchen stage', weight: 1 },
  { summary: 'Northwind quarterly business review', organizer: who('rachel'), guests: [DANA, who('elena')], minutes: 60, location: 'Zoom', description: 'Quarterly review of the Northwind account: adoption, support tickets, expansion.', weight: 1 },
  { summary: 'Incident retro: checkout latency', organizer: who('tomas'), guests: [DANA, who('marcus'), who('sam')], minutes: 45, description: 'Blameless retro for last week\'s p95 regression. Timeline doc attached.', weight: 1 },
  { summary: 'Budget check-in', organizer: who('elena'), guests: [DANA], minutes: 30, weight: 2 },
  { summary: 'Initech integration sync', organizer: DANA, guests: [who('li.wei'), who('marcus')], minutes: 45, location: 'Google Meet', description: 'Webhook retries, sandbox credentials, go-live checklist.', weight: 2 },
  { summary: 'Focus time', organizer: DANA, guests: [], minutes: 90, weight: 3 },
  { summary: 'Roadmap review', organizer: DANA, guests: [who('priya'), who('marcus'), who('elena')], minutes: 60, location: 'Room 2A (Borealis)', weight: 1 },
  { summary: 'Coffee chat', organizer: who('aiko'), guests: [DANA], minutes: 30, location: 'Ground-floor café', weight: 2 },
  { summary: 'Security awareness training', organizer: who('grace'), guests: [DANA, who('sam'), who('tomas')], minutes: 60, description: 'Annual training; required for SOC 2.', weight: 1 },
];

const DAY = 86_400_000;
const MIN = 60_000;

function pick<T>(rand: () => number, items: readonly T[], weight: (t: T) => number): T {
  const total = items.reduce((s, t) => s + weight(t), 0);
  let r = rand() * total;
  for (const t of items) { r -= weight(t); if (r < 0) return t; }
  return items[items.length - 1]!;
}

function danaResponse(rand: () => number): GoogleAttendee['responseStatus'] {
  const r = rand();
  return r < 0.3 ? 'needsAction' : r < 0.85 ? 'accepted' : r < 0.95 ? 'tentative' : 'declined';
}

function otherResponse(rand: () => number): GoogleAttendee['responseStatus'] {
  const r = rand();
  return r < 0.65 ? 'accepted' : r < 0.85 ? 'needsAction' : r < 0.95 ? 'tentative' : 'declined';
}

function person(email: string) {
  const displayName = displayNameOf(email);
  return { email, ...(displayName ? { displayName } : {}), ...(email === DANA ? { self: true } : {}) };
}

/** Builds one `calendar#event` resource the way Google would store it. */
export function makeEvent(init: {
  id: string; summary: string; organizer: string; guests: string[]; start: number; end: number; created: number;
  location?: string; description?: string; allDay?: boolean; transparency?: 'transparent';
  responses?: (email: string) => GoogleAttendee['responseStatus'];
}): GoogleEvent {
  const time = (ms: number) =>
    init.allDay ? { date: formatUtc(ms).slice(0, 10) } : { dateTime: formatUtc(ms), timeZone: 'UTC' };
  const attendees: GoogleAttendee[] = init.guests.length === 0 ? [] : [init.organizer, ...init.guests].map((email) => ({
    ...person(email),
    ...(email === init.organizer ? { organizer: true } : {}),
    responseStatus: email === init.organizer ? 'accepted' : (init.responses?.(email) ?? 'needsAction'),
  }));
  return {
    kind: 'calendar#event',
    etag: etagFor(init.created, 0),
    id: init.id,
    status: 'confirmed',
    htmlLink: htmlLink(init.id, DANA),
    created: formatStamp(init.created),
    updated: formatStamp(init.created),
    summary: init.summary,
    ...(init.description ? { description: init.description } : {}),
    ...(init.location ? { location: init.location } : {}),
    creator: person(init.organizer),
    organizer: person(init.organizer),
    start: time(init.start),
    end: time(init.end),
    ...(init.transparency ? { transparency: init.transparency } : {}),
    iCalUID: `${init.id}@google.com`,
    sequence: 0,
    ...(attendees.length ? { attendees } : {}),
    reminders: { useDefault: true },
    eventType: 'default',
  };
}

/** A fresh emulator state seeded relative to `now` (events from tomorrow through day 28). */
export function seedCalendar(now: Date): CalendarState {
  const rand = prng(0x0ca1e2da);
  const today = Math.floor(now.getTime() / DAY) * DAY;
  const state: CalendarState = { user: { ...DEMO_USER }, events: new Map(), colleagues: new Map(), sentUpdates: [], idCounter: 1 };
  const nextId = () => eventId(state.idCounter++);
  const add = (e: GoogleEvent) => { state.events.set(e.id, e); };

  for (const [email, displayName] of COLLEAGUES) {
    const c: Colleague = { email, displayName, privateBusy: [] };
    state.colleagues.set(email, c);
  }

  for (let d = 1; d <= 28; d++) {
    const day = today + d * DAY;
    const weekday = new Date(day).getUTCDay();
    if (weekday === 0 || weekday === 6) continue;
    // Half-hour slots 09:00..17:00; meetings never overlap on Dana's calendar.
    const taken = new Array<boolean>(16).fill(false);
    const count = rand() < 0.45 ? 3 : 2;
    for (let i = 0; i < count; i++) {
      const t = pick(rand, TEMPLATES, (x) => x.weight);
      const slots = t.minutes / 30 + (t.minutes % 30 ? 1 : 0);
      const free: number[] = [];
      for (let s = 0; s + slots <= 16; s++) if (taken.slice(s, s + slots).every((x) => !x)) free.push(s);
      if (!free.length) continue;
      const s = free[Math.floor(rand() * free.length)]!;
      for (let k = s; k < s + slots; k++) taken[k] = true;
      const start = day + 9 * 3_600_000 + s * 30 * MIN;
      const created = now.getTime() - Math.floor((1 + rand() * 20) * DAY);
      add(makeEvent({
        id: nextId(), summary: t.summary, organizer: t.organizer, guests: t.guests, start, end: start + t.minutes * MIN, created,
        ...(t.location ? { location: t.location } : {}), ...(t.description ? { description: t.description } : {}),
        responses: (email) => (email === DANA ? danaResponse(rand) : otherResponse(rand)),
      }));
    }
    for (const c of state.colleagues.values()) {
      const n = Math.floor(rand() * 3);
      for (let i = 0; i < n; i++) {
        const start = day + 9 * 3_600_000 + Math.floor(rand() * 14) * 30 * MIN;
        c.privateBusy.push({ start, end: start + (rand() < 0.5 ? 30 : 60) * MIN });
      }
    }
  }

  // One all-day, "free" marker spanning three days, as teams use for release freezes.
  const freeze = today + 8 * DAY;
  add(makeEvent({
    id: nextId(), summary: 'Release freeze: v4.2', organizer: who('marcus'), guests: [DANA, who('sam'), who('tomas')],
    start: freeze, end: freeze + 3 * DAY, created: now.getTime() - 12 * DAY, allDay: true, transparency: 'transparent',
    description: 'No production deploys without sign-off from the release captain.',
    responses: () => 'accepted',
  }));
  return state;
}
