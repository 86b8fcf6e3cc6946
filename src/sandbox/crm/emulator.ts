// The HubSpot CRM v3 emulator: the object endpoints the crm_* tools use (list, read, create,
// update, search for contacts, deals and notes), with HubSpot's paths, parameters, paging and
// error bodies, each endpoint checking its bearer token for the real scope HubSpot requires.
import type { Emulator, Handler, SandboxRequest, SandboxResponse, TokenVerifier } from '../http.js';
import { Router, presenceVerifier, startEmulator } from '../http.js';
import { authFailure, contactExists, faultBody, invalidJson, invalidProperties, objectNotFound, resourceNotFound, validationError } from './errors.js';
import { parseSearch, runSearch } from './search.js';
import { seedCrm } from './seed.js';
import { EmulatedOAuth, type EmulatedOAuthOptions } from '../oauth.js';
import type { CrmObjectType, CrmState, StoredObject } from './store.js';
import {
  ASSOCIATION_TYPE_IDS, OBJECT_TYPES, TYPES, applyProperties, associate, contactByEmail, createObject, listParam, present, validateProperties,
} from './store.js';

/** The scope each object type's reads and writes need (notes ride on the contact scopes). */
export const CRM_SCOPES: Record<CrmObjectType, { read: string; write: string }> = {
  contacts: { read: 'crm.objects.contacts.read', write: 'crm.objects.contacts.write' },
  deals: { read: 'crm.objects.deals.read', write: 'crm.objects.deals.write' },
  notes: { read: 'crm.objects.contacts.read', write: 'crm.objects.contacts.write' },
};

const LIST_MAX_LIMIT = 100;

export interface CrmEmulatorOptions {
  /** Checks each bearer token for an endpoint's scope (default: any token present). */
  verifier?: TokenVerifier;
  port?: number;
  /** The clock used for created/updated times (default: the real one). */
  now?: () => Date;
  /** Start from this state instead of the seed. */
  state?: CrmState;
  /** HubSpot's own OAuth (`/oauth/authorize`, `/oauth/v1/token`): the emulator then accepts the HubSpot tokens it issued. */
  oauth?: Omit<EmulatedOAuthOptions, 'provider' | 'identity'> & { identity?: Partial<EmulatedOAuthOptions['identity']> };
}

/** A running CRM emulator; `state` is live (writes show in it, and edits to it show in reads). */
export type CrmEmulator = Emulator & { state: CrmState; oauth: EmulatedOAuth | null };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Starts the HubSpot CRM emulator on 127.0.0.1 (an ephemeral port unless told). */
export async function startCrmEmulator(options: CrmEmulatorOptions = {}): Promise<CrmEmulator> {
  const oauth = options.oauth
    ? new EmulatedOAuth({ ...options.oauth, provider: 'hubspot', identity: { id: '20240601', name: 'mandate-demo.hubspot.com', user: '7001', email: 'dana@example.com', ...options.oauth.identity } })
    : null;
  const verifier = options.verifier ?? oauth?.verifier ?? presenceVerifier;
  const now = options.now ?? (() => new Date());
  const state = options.state ?? seedCrm();
  const router = new Router();
  oauth?.mount(router);

  const guard = (scope: string, handle: (req: SandboxRequest) => SandboxResponse): Handler => async (req) => {
    const check = await verifier(req.token, [scope]);
    if (!check.ok) return authFailure(check, [scope], req.token, now());
    return handle(req);
  };

  for (const type of OBJECT_TYPES) {
    const base = `/crm/v3/objects/${type}`;
    const { read, write } = CRM_SCOPES[type];
    router
      .on('GET', base, guard(read, (req) => list(state, type, req)))
      .on('POST', `${base}/search`, guard(read, (req) => search(state, type, req)))
      .on('GET', `${base}/:id`, guard(read, (req) => getOne(state, type, req)))
      .on('POST', base, guard(write, (req) => create(state, type, req, now())))
      .on('PATCH', `${base}/:id`, guard(write, (req) => update(state, type, req, now())));
  }

  const emulator = await startEmulator({
    router,
    notFound: () => resourceNotFound(),
    badRequest: (message) => (message.includes('not valid JSON') ? invalidJson('Unexpected character in request body') : validationError(message)),
    faultBody,
    port: options.port,
  });
  return Object.assign(emulator, { state, oauth });
}

/** `GET /crm/v3/objects/{type}`: records in ID order; `after` is the ID to resume from. */
function list(state: CrmState, type: CrmObjectType, req: SandboxRequest): SandboxResponse {
  const rawLimit = req.query.get('limit');
  const limit = rawLimit === null ? 10 : Number(rawLimit);
  if (!Number.isInteger(limit) || limit < 1) return validationError(`Invalid limit value: ${rawLimit}`);
  const after = req.query.get('after');
  if (after !== null && !/^\d+$/.test(after)) return validationError(`Invalid after value: ${after}`);
  const take = Math.min(limit, LIST_MAX_LIMIT);
  const all = [...state[type].values()]
    .filter((o) => !o.archived && (after === null || Number(o.id) >= Number(after)))
    .sort((a, b) => Number(a.id) - Number(b.id));
  const page = all.slice(0, take);
  const properties = listParam(req.query.getAll('properties'));
  const associations = listParam(req.query.getAll('associations'));
  const body: Record<string, unknown> = { results: page.map((o) => present(state, type, o, properties, associations)) };
  const next = all[take];
  if (next) {
    const q = new URLSearchParams(req.query);
    q.set('after', next.id);
    body.paging = { next: { after: next.id, link: `http://${req.headers.host ?? '127.0.0.1'}${req.path}?${q}` } };
  }
  return { status: 200, body };
}

/** `POST /crm/v3/objects/{type}/search`: `{total, results, paging}`; `after` is an offset. */
function search(state: CrmState, type: CrmObjectType, req: SandboxRequest): SandboxResponse {
  const parsed = parseSearch(req.body);
  if (typeof parsed === 'string') return validationError(parsed);
  const { total, page, nextAfter } = runSearch(type, state[type].values(), parsed);
  const body: Record<string, unknown> = { total, results: page.map((o) => present(state, type, o, parsed.properties)) };
  if (nextAfter) body.paging = { next: { after: nextAfter, link: `?after=${nextAfter}` } };
  return { status: 200, body };
}

function find(state: CrmState, type: CrmObjectType, id: string, idProperty: string | null): StoredObject | undefined {
  if (type === 'contacts' && idProperty === 'email') return contactByEmail(state, id);
  const o = state[type].get(id);
  return o && !o.archived ? o : undefined;
}

/** `GET /crm/v3/objects/{type}/{id}` (contacts also by `?idProperty=email`). */
function getOne(state: CrmState, type: CrmObjectType, req: SandboxRequest): SandboxResponse {
  const idProperty = req.query.get('idProperty');
  if (idProperty !== null && idProperty !== 'hs_object_id' && !(type === 'contacts' && idProperty === 'email')) {
    return validationError(`Property ${idProperty} is not a unique identifier property for ${type}`);
  }
  const o = find(state, type, req.params.id!, idProperty);
  if (!o) return objectNotFound(req.params.id!);
  const body = present(state, type, o, listParam(req.query.getAll('properties')), listParam(req.query.getAll('associations')));
  return { status: 200, body };
}

interface AssociationInput { toType: CrmObjectType; toId: string }

/** Reads `associations` of a create body; a string is the error message. */
function readAssociations(state: CrmState, type: CrmObjectType, raw: unknown): AssociationInput[] | string {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) return 'associations must be an array';
  const out: AssociationInput[] = [];
  for (const a of raw) {
    if (!isRecord(a) || !isRecord(a.to) || (typeof a.to.id !== 'string' && typeof a.to.id !== 'number') || !Array.isArray(a.types) || !a.types.length) {
      return 'Each association needs to.id and at least one type';
    }
    const toId = String(a.to.id);
    for (const t of a.types) {
      if (!isRecord(t) || t.associationCategory !== 'HUBSPOT_DEFINED' || typeof t.associationTypeId !== 'number') return 'One or more associations are invalid';
      const toType = OBJECT_TYPES.find((x) => ASSOCIATION_TYPE_IDS[type]?.[x] === t.associationTypeId);
      if (!toType || !state[toType].has(toId)) return 'One or more associations are invalid';
      out.push({ toType, toId });
    }
  }
  return out;
}

/** `POST /crm/v3/objects/{type}`: 201 with the new record; contacts are unique by email (409). */
function create(state: CrmState, type: CrmObjectType, req: SandboxRequest, at: Date): SandboxResponse {
  if (!isRecord(req.body)) return validationError('The request body must be a JSON object with properties');
  const checked = validateProperties(type, req.body.properties ?? {}, true);
  if (!checked.ok) return 'problems' in checked ? invalidProperties(checked.problems) : validationError(checked.message);
  const email = checked.values.email;
  if (type === 'contacts' && email) {
    const existing = contactByEmail(state, email);
    if (existing) return contactExists(existing.id);
  }
  const associations = readAssociations(state, type, req.body.associations);
  if (typeof associations === 'string') return validationError(associations);
  const o = createObject(state, type, checked.values, at);
  for (const a of associations) associate(state, type, o.id, a.toType, a.toId);
  return { status: 201, body: present(state, type, o, [...TYPES[type].defaults, ...Object.keys(checked.values)]) };
}

/** `PATCH /crm/v3/objects/{type}/{id}`: 200 with the updated record. */
function update(state: CrmState, type: CrmObjectType, req: SandboxRequest, at: Date): SandboxResponse {
  const o = find(state, type, req.params.id!, req.query.get('idProperty'));
  if (!o) return objectNotFound(req.params.id!);
  if (!isRecord(req.body)) return validationError('The request body must be a JSON object with properties');
  const checked = validateProperties(type, req.body.properties ?? {}, false);
  if (!checked.ok) return 'problems' in checked ? invalidProperties(checked.problems) : validationError(checked.message);
  const email = checked.values.email;
  if (type === 'contacts' && email) {
    const existing = contactByEmail(state, email);
    if (existing && existing.id !== o.id) return contactExists(existing.id);
  }
  applyProperties(type, o, checked.values, at);
  // HubSpot answers a write with the default properties plus the ones written.
  return { status: 200, body: present(state, type, o, [...TYPES[type].defaults, ...Object.keys(checked.values)]) };
}
