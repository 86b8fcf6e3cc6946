// The CRM emulator's state and the rules HubSpot applies to it: which properties each object
// type defines, which come back by default, how values are validated on write, and how
// associations read back (`{contacts: {results: [{id, type: "deal_to_contact"}]}}`).
import { DEAL_STAGE_LABELS, DEFAULT_PIPELINE_STAGES, LIFECYCLE_STAGES } from '../../connectors/crm.js';
import type { PropertyProblem } from './errors.js';

export type CrmObjectType = 'contacts' | 'deals' | 'notes';
export const OBJECT_TYPES: readonly CrmObjectType[] = ['contacts', 'deals', 'notes'];

/** A record as stored: every property value a string, as HubSpot keeps them. */
export interface StoredObject {
  id: string;
  properties: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
}

/** One association between two records (HubSpot associations are two-way). */
export interface StoredAssociation {
  from: { type: CrmObjectType; id: string };
  to: { type: CrmObjectType; id: string };
}

/** Everything the emulator holds; writes change it so later reads see them. */
export interface CrmState {
  contacts: Map<string, StoredObject>;
  deals: Map<string, StoredObject>;
  notes: Map<string, StoredObject>;
  associations: StoredAssociation[];
  nextId: Record<CrmObjectType, number>;
}

/** A new, empty state; IDs per type start where HubSpot-looking numbers do. */
export function emptyState(): CrmState {
  return { contacts: new Map(), deals: new Map(), notes: new Map(), associations: [], nextId: { contacts: 101, deals: 5001, notes: 80001 } };
}

const SINGULAR: Record<CrmObjectType, string> = { contacts: 'contact', deals: 'deal', notes: 'note' };

interface PropertyDef {
  options?: readonly string[];
  kind?: 'email' | 'number' | 'datetime';
  readOnly?: boolean;
}

interface TypeDef {
  properties: Record<string, PropertyDef>;
  /** Returned when no `properties` are asked for. */
  defaults: readonly string[];
  /** Returned in addition to whatever is asked for. */
  always: readonly string[];
  createdProp: string;
  modifiedProp: string;
  /** Properties free-text `query` searches. */
  searchable: readonly string[];
  required: readonly string[];
}

export const TYPES: Record<CrmObjectType, TypeDef> = {
  contacts: {
    properties: {
      email: { kind: 'email' }, firstname: {}, lastname: {}, company: {}, phone: {}, mobilephone: {}, jobtitle: {},
      website: {}, city: {}, country: {}, hubspot_owner_id: {}, lifecyclestage: { options: LIFECYCLE_STAGES },
      createdate: { kind: 'datetime', readOnly: true }, lastmodifieddate: { kind: 'datetime', readOnly: true }, hs_object_id: { readOnly: true },
    },
    defaults: ['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname'],
    always: ['createdate', 'hs_object_id', 'lastmodifieddate'],
    createdProp: 'createdate',
    modifiedProp: 'lastmodifieddate',
    searchable: ['firstname', 'lastname', 'email', 'phone', 'mobilephone', 'company'],
    required: [],
  },
  deals: {
    properties: {
      dealname: {}, amount: { kind: 'number' }, dealstage: { options: DEFAULT_PIPELINE_STAGES }, pipeline: { options: ['default'] },
      closedate: { kind: 'datetime' }, hubspot_owner_id: {}, description: {}, dealtype: { options: ['newbusiness', 'existingbusiness'] },
      createdate: { kind: 'datetime', readOnly: true }, hs_lastmodifieddate: { kind: 'datetime', readOnly: true }, hs_object_id: { readOnly: true },
    },
    defaults: ['amount', 'closedate', 'createdate', 'dealname', 'dealstage', 'hs_lastmodifieddate', 'hs_object_id', 'pipeline'],
    always: ['createdate', 'hs_lastmodifieddate', 'hs_object_id'],
    createdProp: 'createdate',
    modifiedProp: 'hs_lastmodifieddate',
    searchable: ['dealname', 'description', 'dealstage', 'pipeline'],
    required: [],
  },
  notes: {
    properties: {
      hs_note_body: {}, hs_timestamp: { kind: 'datetime' }, hubspot_owner_id: {}, hs_attachment_ids: {},
      hs_createdate: { kind: 'datetime', readOnly: true }, hs_lastmodifieddate: { kind: 'datetime', readOnly: true }, hs_object_id: { readOnly: true },
    },
    defaults: ['hs_createdate', 'hs_lastmodifieddate', 'hs_object_id'],
    always: ['hs_createdate', 'hs_lastmodifieddate', 'hs_object_id'],
    createdProp: 'hs_createdate',
    modifiedProp: 'hs_lastmodifieddate',
    searchable: ['hs_note_body'],
    required: ['hs_timestamp'],
  },
};

/** HubSpot-defined association type IDs the emulator accepts, by from → to type. */
export const ASSOCIATION_TYPE_IDS: Partial<Record<CrmObjectType, Partial<Record<CrmObjectType, number>>>> = {
  notes: { contacts: 202, deals: 214 },
  contacts: { deals: 4, notes: 201 },
  deals: { contacts: 3, notes: 213 },
};

/** Records two-way association between two records (once). */
export function associate(state: CrmState, fromType: CrmObjectType, fromId: string, toType: CrmObjectType, toId: string): void {
  const exists = state.associations.some(
    (a) => (a.from.type === fromType && a.from.id === fromId && a.to.type === toType && a.to.id === toId)
      || (a.to.type === fromType && a.to.id === fromId && a.from.type === toType && a.from.id === toId),
  );
  if (!exists) state.associations.push({ from: { type: fromType, id: fromId }, to: { type: toType, id: toId } });
}

/** IDs of `toType` records associated with one record, in the order they were associated. */
export function associatedWith(state: CrmState, type: CrmObjectType, id: string, toType: CrmObjectType): string[] {
  const out: string[] = [];
  for (const a of state.associations) {
    if (a.from.type === type && a.from.id === id && a.to.type === toType) out.push(a.to.id);
    else if (a.to.type === type && a.to.id === id && a.from.type === toType) out.push(a.from.id);
  }
  return out;
}

/** Splits `properties` query values, which HubSpot accepts comma-separated or repeated. */
export function listParam(values: string[]): string[] | undefined {
  const out = values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
  return out.length ? out : undefined;
}

/** A record as HubSpot sends it: asked-for (or default) properties, defined-but-empty ones as null. */
export function present(
  state: CrmState,
  type: CrmObjectType,
  o: StoredObject,
  properties: string[] | undefined,
  associations?: string[],
): Record<string, unknown> {
  const def = TYPES[type];
  const names = properties ? [...new Set([...properties, ...def.always])] : [...def.defaults];
  const props: Record<string, string | null> = {};
  for (const n of names) {
    if (!(n in def.properties)) continue; // undefined properties are left out, not an error
    props[n] = o.properties[n] ?? null;
  }
  const out: Record<string, unknown> = { id: o.id, properties: props, createdAt: o.createdAt, updatedAt: o.updatedAt, archived: o.archived };
  if (associations) {
    const assoc: Record<string, unknown> = {};
    for (const t of associations) {
      if (!OBJECT_TYPES.includes(t as CrmObjectType)) continue;
      const ids = associatedWith(state, type, o.id, t as CrmObjectType);
      const label = `${SINGULAR[type]}_to_${SINGULAR[t as CrmObjectType]}`;
      if (ids.length) assoc[t] = { results: ids.map((id) => ({ id, type: label })) };
    }
    if (Object.keys(assoc).length) out.associations = assoc;
  }
  return out;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Checks and normalises written property values (numbers and booleans become strings, null clears).
 * Returns the cleaned values, or the problems HubSpot would list.
 */
export function validateProperties(
  type: CrmObjectType,
  input: unknown,
  creating: boolean,
): { ok: true; values: Record<string, string | null> } | { ok: false; problems: PropertyProblem[] } | { ok: false; message: string } {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { ok: false, message: 'properties must be an object of property names to values' };
  const def = TYPES[type];
  const problems: PropertyProblem[] = [];
  const values: Record<string, string | null> = {};
  for (const [name, raw] of Object.entries(input as Record<string, unknown>)) {
    const p = def.properties[name];
    if (!p) { problems.push({ name, error: 'PROPERTY_DOESNT_EXIST', message: `Property "${name}" does not exist` }); continue; }
    if (p.readOnly) { problems.push({ name, error: 'READ_ONLY_VALUE', message: `"${name}" is a read only property; its value cannot be set.` }); continue; }
    if (raw === null || raw === '') { values[name] = null; continue; }
    if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') {
      problems.push({ name, error: 'INVALID_OPTION', message: `${JSON.stringify(raw)} is not a valid value for "${name}"` });
      continue;
    }
    let value = String(raw);
    if (p.options && !p.options.includes(value)) {
      const allowed = type === 'deals' && name === 'dealstage'
        ? DEFAULT_PIPELINE_STAGES.map((s) => `${s} (${DEAL_STAGE_LABELS[s]})`).join(', ')
        : p.options.join(', ');
      problems.push({ name, error: 'INVALID_OPTION', message: `${value} was not one of the allowed options: [${allowed}]` });
      continue;
    }
    if (p.kind === 'email' && !EMAIL.test(value)) { problems.push({ name, error: 'INVALID_EMAIL', message: `Email address ${value} is invalid` }); continue; }
    if (p.kind === 'number' && !Number.isFinite(Number(value))) { problems.push({ name, error: 'INVALID_INTEGER', message: `${value} is not a valid number` }); continue; }
    if (p.kind === 'datetime') {
      // HubSpot takes epoch milliseconds or an ISO 8601 date-time and stores the instant.
      const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
      if (!Number.isFinite(ms)) { problems.push({ name, error: 'INVALID_DATE', message: `${value} is not a valid date-time for "${name}"` }); continue; }
      value = new Date(ms).toISOString();
    }
    values[name] = value;
  }
  if (creating) {
    for (const name of def.required) {
      if (values[name] == null) problems.push({ name, error: 'REQUIRED', message: `Property "${name}" is required` });
    }
  }
  return problems.length ? { ok: false, problems } : { ok: true, values };
}

/** Applies written values to a record and stamps its modification time. */
export function applyProperties(type: CrmObjectType, o: StoredObject, values: Record<string, string | null>, at: Date): void {
  for (const [k, v] of Object.entries(values)) {
    if (v === null) delete o.properties[k];
    else o.properties[k] = v;
  }
  o.updatedAt = at.toISOString();
  o.properties[TYPES[type].modifiedProp] = o.updatedAt;
}

/** A new record of `type` with the given values and HubSpot's generated ones. */
export function createObject(state: CrmState, type: CrmObjectType, values: Record<string, string | null>, at: Date): StoredObject {
  const id = String(state.nextId[type]++);
  const ts = at.toISOString();
  const o: StoredObject = { id, properties: { hs_object_id: id, [TYPES[type].createdProp]: ts }, createdAt: ts, updatedAt: ts, archived: false };
  if (type === 'deals' && values.pipeline == null) o.properties.pipeline = 'default';
  applyProperties(type, o, values, at);
  state[type].set(id, o);
  return o;
}

/** The contact holding this email, compared as HubSpot does (case-insensitively). */
export function contactByEmail(state: CrmState, email: string): StoredObject | undefined {
  const want = email.trim().toLowerCase();
  for (const c of state.contacts.values()) if (c.properties.email?.toLowerCase() === want) return c;
  return undefined;
}
