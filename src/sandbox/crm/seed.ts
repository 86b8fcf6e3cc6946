// The CRM sandbox's demo data: the same contacts, deals and notes on every start (a small
// seeded PRNG, never Math.random), believable enough to build and demo agents against.
import { DEFAULT_PIPELINE_STAGES, LIFECYCLE_STAGES } from '../../connectors/crm.js';
import type { CrmState, StoredObject } from './store.js';
import { associate, emptyState } from './store.js';
import { seededRandom } from '../random.js';

/** The sandbox's user: the person the demo tokens are for, and the HubSpot owner of the demo deals. */
export const DEMO_USER = { id: 'demo-user', name: 'Dana Demo', email: 'dana@example.com', hubspotOwnerId: '41629817' } as const;

/** The instant the seed data is written "as of". */
export const SEED_NOW = new Date('2025-06-02T09:00:00.000Z');

/** The seed data's deterministic PRNG (see ../random.ts). */
export const prng = seededRandom;

const COMPANIES = [
  { name: 'Northwind Traders', domain: 'northwind.example', area: '206' },
  { name: 'Contoso Ltd', domain: 'contoso.example', area: '425' },
  { name: 'Fabrikam Inc', domain: 'fabrikam.example', area: '312' },
  { name: 'Tailspin Toys', domain: 'tailspintoys.example', area: '503' },
  { name: 'Wingtip Solutions', domain: 'wingtip.example', area: '617' },
  { name: 'Adatum Corporation', domain: 'adatum.example', area: '512' },
  { name: 'Litware Analytics', domain: 'litware.example', area: '303' },
  { name: 'Proseware', domain: 'proseware.example', area: '415' },
  { name: 'Woodgrove Bank', domain: 'woodgrovebank.example', area: '212' },
  { name: 'Fourth Coffee', domain: 'fourthcoffee.example', area: '971' },
  { name: 'Alpine Ski House', domain: 'alpineskihouse.example', area: '970' },
  { name: 'Blue Yonder Airlines', domain: 'blueyonder.example', area: '404' },
] as const;

const FIRST_NAMES = [
  'Avery', 'Jordan', 'Priya', 'Mateo', 'Hannah', 'Kenji', 'Olivia', 'Samuel', 'Amara', 'Lucas', 'Sofia', 'Noah',
  'Leila', 'Ethan', 'Chloe', 'Diego', 'Grace', 'Omar', 'Isabel', 'Tomás', 'Mei', 'Jonah', 'Nadia', 'Felix',
  'Zoe', 'Ravi', 'Clara', 'Marcus', 'Elena', 'Theo', 'Ingrid', 'Kwame',
] as const;

const LAST_NAMES = [
  'Nguyen', 'Patel', 'Garcia', 'Okafor', 'Schmidt', 'Tanaka', 'Rossi', 'Johnson', 'Kowalski', 'Haddad', 'Larsen', 'Silva',
  'Brennan', 'Chen', 'Dubois', 'Ferreira', 'Hughes', 'Ivanova', 'Mensah', 'Novak', 'Ortiz', 'Quinn', 'Reyes', 'Sato',
] as const;

const JOB_TITLES = [
  'VP of Sales', 'Head of Operations', 'Procurement Manager', 'CTO', 'IT Director', 'Finance Lead',
  'Customer Success Manager', 'Marketing Director', 'Office Manager', 'COO', 'Product Manager', 'Data Engineer',
] as const;

const DEAL_KINDS = [
  'Annual renewal', 'Platform expansion', 'Pilot', 'Enterprise upgrade', 'Onboarding package', 'Multi-year agreement',
  'Support add-on', 'New team seats', 'Q3 rollout', 'Security review bundle',
] as const;

const NOTE_BODIES = [
  'Intro call went well; they want pricing for 40 seats before the end of the month.',
  'Sent the security questionnaire back. Waiting on their legal team.',
  'Asked for a reference customer in the same industry. Suggested Fourth Coffee.',
  'Renewal at risk: budget freeze until next quarter. Follow up in two weeks.',
  'Demo scheduled with their IT director for Thursday.',
  'Signed order form received; handing over to onboarding.',
] as const;

/** Lifecycle stages weighted toward what a real portal holds (many leads, fewer customers). */
const LIFECYCLE_WEIGHTS: [(typeof LIFECYCLE_STAGES)[number], number][] = [
  ['subscriber', 2], ['lead', 6], ['marketingqualifiedlead', 4], ['salesqualifiedlead', 4],
  ['opportunity', 5], ['customer', 6], ['evangelist', 1], ['other', 1],
];

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();
const slug = (s: string) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z]/g, '');

/** Builds the seeded CRM state: 64 contacts, 28 deals, 6 notes, with their associations. */
export function seedCrm(seed = 20250602): CrmState {
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const weighted = <T>(xs: [T, number][]): T => {
    let r = rand() * xs.reduce((n, [, w]) => n + w, 0);
    for (const [x, w] of xs) if ((r -= w) < 0) return x;
    return xs[xs.length - 1]![0];
  };
  const state = emptyState();
  const now = SEED_NOW.getTime();
  const add = (map: Map<string, StoredObject>, type: 'contacts' | 'deals' | 'notes', properties: Record<string, string>, created: number) => {
    const id = String(state.nextId[type]++);
    const createdAt = iso(created);
    const updatedAt = iso(Math.min(now, created + Math.floor(rand() * 30) * DAY));
    map.set(id, { id, properties: { ...properties, hs_object_id: id }, createdAt, updatedAt, archived: false });
    return id;
  };

  const byCompany = new Map<string, string[]>();
  const emails = new Set<string>();
  for (let i = 0; i < 64; i++) {
    const company = COMPANIES[i % COMPANIES.length]!;
    let first: string, last: string, email: string;
    do {
      first = pick(FIRST_NAMES);
      last = pick(LAST_NAMES);
      email = `${slug(first)}.${slug(last)}@${company.domain}`;
    } while (emails.has(email));
    emails.add(email);
    const id = add(state.contacts, 'contacts', {
      firstname: first,
      lastname: last,
      email,
      company: company.name,
      // 555-01xx numbers are reserved for fiction.
      phone: `+1 ${company.area}-555-01${String(i).padStart(2, '0')}`,
      jobtitle: pick(JOB_TITLES),
      lifecyclestage: weighted(LIFECYCLE_WEIGHTS),
      hubspot_owner_id: DEMO_USER.hubspotOwnerId,
    }, now - (30 + Math.floor(rand() * 400)) * DAY);
    byCompany.set(company.name, [...(byCompany.get(company.name) ?? []), id]);
  }
  for (const c of state.contacts.values()) {
    c.properties.createdate = c.createdAt;
    c.properties.lastmodifieddate = c.updatedAt;
  }

  for (let i = 0; i < 28; i++) {
    const company = pick(COMPANIES);
    const stage = DEFAULT_PIPELINE_STAGES[i % DEFAULT_PIPELINE_STAGES.length]!;
    const closed = stage === 'closedwon' || stage === 'closedlost';
    // Closed deals closed in the past; open ones are expected to close in the coming months.
    const closeDate = closed ? now - (5 + Math.floor(rand() * 120)) * DAY : now + (7 + Math.floor(rand() * 150)) * DAY;
    const id = add(state.deals, 'deals', {
      dealname: `${company.name} – ${pick(DEAL_KINDS)}`,
      amount: String(Math.round((2_000 + rand() * 118_000) / 500) * 500),
      dealstage: stage,
      pipeline: 'default',
      closedate: new Date(Math.floor(closeDate / DAY) * DAY).toISOString(),
      hubspot_owner_id: DEMO_USER.hubspotOwnerId,
    }, now - (20 + Math.floor(rand() * 200)) * DAY);
    const contacts = byCompany.get(company.name) ?? [];
    const count = 1 + Math.floor(rand() * Math.min(3, contacts.length));
    for (const contactId of contacts.slice(0, count)) associate(state, 'deals', id, 'contacts', contactId);
  }
  for (const d of state.deals.values()) {
    d.properties.createdate = d.createdAt;
    d.properties.hs_lastmodifieddate = d.updatedAt;
  }

  const contactIds = [...state.contacts.keys()];
  NOTE_BODIES.forEach((text, i) => {
    const at = now - (1 + i * 3) * DAY;
    const id = add(state.notes, 'notes', {
      hs_note_body: text,
      hs_timestamp: iso(at),
      hubspot_owner_id: DEMO_USER.hubspotOwnerId,
    }, at);
    const n = state.notes.get(id)!;
    n.updatedAt = n.createdAt;
    n.properties.hs_createdate = n.createdAt;
    n.properties.hs_lastmodifieddate = n.updatedAt;
    associate(state, 'notes', id, 'contacts', contactIds[(i * 7) % contactIds.length]!);
  });
  return state;
}
