// The HubSpot CRM v3 connector: one typed method per endpoint the crm_* tools use, and how
// HubSpot's error bodies read ({status:"error", message, category, correlationId}). It works
// unchanged against api.hubapi.com or the sandbox emulator, given the base URL.
import { HttpConnector, retryAfterSeconds } from './http.js';
import type { ConnectorOptions, Interpret, UpstreamResponse } from './http.js';
import { scrubString } from '../log.js';

/** Stage IDs of HubSpot's default deal pipeline (`pipeline: "default"`), in pipeline order. */
export const DEFAULT_PIPELINE_STAGES = [
  'appointmentscheduled',
  'qualifiedtobuy',
  'presentationscheduled',
  'decisionmakerboughtin',
  'contractsent',
  'closedwon',
  'closedlost',
] as const;
export type DealStage = (typeof DEFAULT_PIPELINE_STAGES)[number];

/** The labels HubSpot shows for the default pipeline's stages. */
export const DEAL_STAGE_LABELS: Record<DealStage, string> = {
  appointmentscheduled: 'Appointment Scheduled',
  qualifiedtobuy: 'Qualified To Buy',
  presentationscheduled: 'Presentation Scheduled',
  decisionmakerboughtin: 'Decision Maker Bought-In',
  contractsent: 'Contract Sent',
  closedwon: 'Closed Won',
  closedlost: 'Closed Lost',
};

/** Internal values of HubSpot's default contact `lifecyclestage` property. */
export const LIFECYCLE_STAGES = [
  'subscriber',
  'lead',
  'marketingqualifiedlead',
  'salesqualifiedlead',
  'opportunity',
  'customer',
  'evangelist',
  'other',
] as const;
export type LifecycleStage = (typeof LIFECYCLE_STAGES)[number];

/** HubSpot-defined association type IDs the tools use. */
export const ASSOCIATION_TYPES = { noteToContact: 202, contactToNote: 201, dealToContact: 3, contactToDeal: 4 } as const;

/** Contact properties the tools read. */
export const CONTACT_PROPERTIES = ['email', 'firstname', 'lastname', 'company', 'phone', 'jobtitle', 'lifecyclestage'] as const;
/** Deal properties the tools read. */
export const DEAL_PROPERTIES = ['dealname', 'amount', 'dealstage', 'pipeline', 'closedate'] as const;

/** A CRM record as HubSpot sends it: every property value is a string (or null when requested but empty). */
export interface CrmObject {
  id: string;
  properties: Record<string, string | null>;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  archivedAt?: string;
  /** Present when `associations` was asked for and some exist: `{contacts: {results: [{id, type}]}}`. */
  associations?: Record<string, { results: { id: string; type: string }[]; paging?: CrmPaging }>;
}

export interface CrmPaging {
  next?: { after: string; link?: string };
}

/** One page of a list endpoint. `paging.next.after` is the cursor of the next page, absent on the last. */
export interface CrmPage {
  results: CrmObject[];
  paging?: CrmPaging;
}

/** One page of a search endpoint, with the total number of matches. */
export interface CrmSearchPage extends CrmPage {
  total: number;
}

export type CrmFilterOperator =
  | 'EQ' | 'NEQ' | 'LT' | 'LTE' | 'GT' | 'GTE' | 'BETWEEN' | 'IN' | 'NOT_IN'
  | 'HAS_PROPERTY' | 'NOT_HAS_PROPERTY' | 'CONTAINS_TOKEN' | 'NOT_CONTAINS_TOKEN';

export interface CrmFilter {
  propertyName: string;
  operator: CrmFilterOperator;
  value?: string;
  highValue?: string;
  values?: string[];
}

/** The body of `POST /crm/v3/objects/{type}/search`. Groups are ORed; filters in a group are ANDed. */
export interface CrmSearchRequest {
  query?: string;
  filterGroups?: { filters: CrmFilter[] }[];
  properties?: readonly string[];
  sorts?: { propertyName: string; direction: 'ASCENDING' | 'DESCENDING' }[];
  limit?: number;
  after?: string;
}

export interface GetObjectOptions {
  properties?: readonly string[];
  /** Object types whose associated IDs to include (e.g. `['contacts']`). */
  associations?: readonly string[];
  /** Look the record up by this unique property instead of its ID (contacts: `email`). */
  idProperty?: string;
}

export interface ListObjectsOptions {
  limit?: number;
  after?: string;
  properties?: readonly string[];
  associations?: readonly string[];
}

/** What HubSpot puts in an error body (fields vary by error). */
interface HubSpotErrorBody {
  status?: string;
  message?: string;
  category?: string;
  errorType?: string;
  policyName?: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function errorBody(res: UpstreamResponse): HubSpotErrorBody {
  if (!isRecord(res.body)) return {};
  const b = res.body;
  const str = (k: string) => (typeof b[k] === 'string' ? (b[k] as string) : undefined);
  return { status: str('status'), message: str('message'), category: str('category'), errorType: str('errorType'), policyName: str('policyName') };
}

/** "Property values were not valid: [{...,"message":"..."}]" carries JSON; keep only its messages. */
function readableMessage(message: string): string {
  const prefix = 'Property values were not valid: ';
  if (!message.startsWith(prefix)) return message;
  try {
    const items: unknown = JSON.parse(message.slice(prefix.length));
    if (Array.isArray(items)) {
      const parts = items.map((i) => (isRecord(i) && typeof i.message === 'string' ? i.message : '')).filter(Boolean);
      if (parts.length) return `Property values were not valid: ${parts.join('; ')}`;
    }
  } catch {
    // not the JSON HubSpot usually sends; fall through to the raw text
  }
  return message;
}

/** A short, safe message from an error response: category and HubSpot's own words, token-shaped text removed. */
function describe(res: UpstreamResponse): string {
  const b = errorBody(res);
  const head = b.category ?? b.errorType ?? `HTTP ${res.status}`;
  const text = b.message ? readableMessage(b.message) : '';
  const msg = scrubString(text ? `${head}: ${text}` : head);
  return msg.length > 240 ? `${msg.slice(0, 239)}…` : msg;
}

/** How HubSpot responses read: 401 and missing scopes are auth refusals, 429 is rate limiting. */
export const interpretHubSpot: Interpret = (res) => {
  if (res.status >= 200 && res.status < 300) return { kind: 'ok' };
  if (res.status === 401) return { kind: 'unauthorized', message: describe(res) };
  if (res.status === 403 && errorBody(res).category === 'MISSING_SCOPES') return { kind: 'unauthorized', message: describe(res) };
  if (res.status === 429) {
    // A daily quota does not come back in seconds: waiting would only delay the same answer.
    if (errorBody(res).policyName === 'DAILY') return { kind: 'error', message: describe(res) };
    return { kind: 'rate_limited', retryAfterSeconds: retryAfterSeconds(res.headers) };
  }
  return { kind: 'error', message: describe(res) };
};

const list = (v: readonly string[] | undefined) => (v && v.length ? v.join(',') : undefined);
const objectPath = (type: string, id: string) => `/crm/v3/objects/${type}/${encodeURIComponent(id)}`;

/** The HubSpot CRM v3 connector. */
export class CrmConnector extends HttpConnector {
  constructor(options: ConnectorOptions) {
    super('HubSpot', options, interpretHubSpot);
  }

  /** `POST /crm/v3/objects/contacts/search`. */
  searchContacts(req: CrmSearchRequest): Promise<CrmSearchPage> {
    return this.send<CrmSearchPage>({ method: 'POST', path: '/crm/v3/objects/contacts/search', json: searchBody(req) });
  }

  /** `GET /crm/v3/objects/contacts/{id}` (or by email with `idProperty: 'email'`). */
  getContact(id: string, options: GetObjectOptions = {}): Promise<CrmObject> {
    return this.getObject('contacts', id, options);
  }

  /** `POST /crm/v3/objects/contacts`; HubSpot answers 409 CONFLICT when the email already exists. */
  createContact(properties: Record<string, string>): Promise<CrmObject> {
    return this.send<CrmObject>({ method: 'POST', path: '/crm/v3/objects/contacts', json: { properties, associations: [] } });
  }

  /** `GET /crm/v3/objects/deals` (one page; follow `paging.next.after`). */
  listDeals(options: ListObjectsOptions = {}): Promise<CrmPage> {
    return this.send<CrmPage>({
      method: 'GET',
      path: '/crm/v3/objects/deals',
      query: { limit: options.limit, after: options.after, properties: list(options.properties), associations: list(options.associations) },
    });
  }

  /** `POST /crm/v3/objects/deals/search`. */
  searchDeals(req: CrmSearchRequest): Promise<CrmSearchPage> {
    return this.send<CrmSearchPage>({ method: 'POST', path: '/crm/v3/objects/deals/search', json: searchBody(req) });
  }

  /** `GET /crm/v3/objects/deals/{id}`. */
  getDeal(id: string, options: GetObjectOptions = {}): Promise<CrmObject> {
    return this.getObject('deals', id, options);
  }

  /** `PATCH /crm/v3/objects/deals/{id}` with `{properties}`. */
  updateDeal(id: string, properties: Record<string, string>): Promise<CrmObject> {
    return this.send<CrmObject>({ method: 'PATCH', path: objectPath('deals', id), json: { properties } });
  }

  /** `POST /crm/v3/objects/notes`, associated to one contact (HubSpot-defined type 202, note → contact). */
  createNote(note: { body: string; timestamp: string; contactId: string; ownerId?: string }): Promise<CrmObject> {
    const properties: Record<string, string> = { hs_note_body: note.body, hs_timestamp: note.timestamp };
    if (note.ownerId) properties.hubspot_owner_id = note.ownerId;
    return this.send<CrmObject>({
      method: 'POST',
      path: '/crm/v3/objects/notes',
      json: {
        properties,
        associations: [
          { to: { id: note.contactId }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: ASSOCIATION_TYPES.noteToContact }] },
        ],
      },
    });
  }

  private getObject(type: string, id: string, options: GetObjectOptions): Promise<CrmObject> {
    return this.send<CrmObject>({
      method: 'GET',
      path: objectPath(type, id),
      query: { properties: list(options.properties), associations: list(options.associations), idProperty: options.idProperty },
    });
  }
}

function searchBody(req: CrmSearchRequest): Record<string, unknown> {
  const body: Record<string, unknown> = { filterGroups: req.filterGroups ?? [] };
  if (req.query !== undefined) body.query = req.query;
  if (req.properties) body.properties = [...req.properties];
  if (req.sorts) body.sorts = req.sorts;
  if (req.limit !== undefined) body.limit = req.limit;
  if (req.after !== undefined) body.after = req.after;
  return body;
}

/**
 * Walks the pages of a list or search, following `paging.next.after`, yielding each record.
 * Stops after `maxPages` (default 10) so a runaway cursor cannot loop forever.
 */
export async function* paginate(
  fetchPage: (after: string | undefined) => Promise<CrmPage>,
  options: { maxPages?: number } = {},
): AsyncGenerator<CrmObject> {
  let after: string | undefined;
  for (let page = 0; page < (options.maxPages ?? 10); page++) {
    const res = await fetchPage(after);
    yield* res.results;
    after = res.paging?.next?.after;
    if (!after) return;
  }
}

/** A contact flattened for a model. */
export interface FlatContact {
  id: string;
  email: string | null;
  firstname: string | null;
  lastname: string | null;
  company: string | null;
  phone: string | null;
  job_title: string | null;
  lifecycle_stage: string | null;
  created_at: string;
  updated_at: string;
}

/** A deal flattened for a model. */
export interface FlatDeal {
  id: string;
  name: string | null;
  amount: number | null;
  stage: string | null;
  pipeline: string | null;
  close_date: string | null;
  created_at: string;
  updated_at: string;
}

const prop = (o: CrmObject, k: string): string | null => {
  const v = o.properties[k];
  return v === undefined || v === null || v === '' ? null : v;
};

/** HubSpot's string-valued contact → flat, model-friendly fields. */
export function flattenContact(o: CrmObject): FlatContact {
  return {
    id: o.id,
    email: prop(o, 'email'),
    firstname: prop(o, 'firstname'),
    lastname: prop(o, 'lastname'),
    company: prop(o, 'company'),
    phone: prop(o, 'phone'),
    job_title: prop(o, 'jobtitle'),
    lifecycle_stage: prop(o, 'lifecyclestage'),
    created_at: o.createdAt,
    updated_at: o.updatedAt,
  };
}

/** HubSpot's string-valued deal → flat, model-friendly fields (amount as a number). */
export function flattenDeal(o: CrmObject): FlatDeal {
  const raw = prop(o, 'amount');
  const amount = raw === null ? null : Number(raw);
  return {
    id: o.id,
    name: prop(o, 'dealname'),
    amount: amount === null || !Number.isFinite(amount) ? null : amount,
    stage: prop(o, 'dealstage'),
    pipeline: prop(o, 'pipeline'),
    close_date: prop(o, 'closedate'),
    created_at: o.createdAt,
    updated_at: o.updatedAt,
  };
}

/** IDs of the records of `type` associated with `o` (empty when none were asked for or exist). */
export function associatedIds(o: CrmObject, type: string): string[] {
  // HubSpot lists a record once per association label, so the same ID can appear twice.
  return [...new Set(o.associations?.[type]?.results.map((r) => r.id) ?? [])];
}
