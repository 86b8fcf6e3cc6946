// What `POST /crm/v3/objects/{type}/search` decides: which records match a request (filter
// groups ORed, filters within a group ANDed, free-text `query` over the type's searchable
// properties), in what order, and which page of them to return (`after` is an offset).
import type { CrmObjectType, StoredObject } from './store.js';
import { TYPES } from './store.js';

export const SEARCH_MAX_LIMIT = 200;
export const SEARCH_MAX_RESULTS = 10_000;
const OPERATORS = new Set([
  'EQ', 'NEQ', 'LT', 'LTE', 'GT', 'GTE', 'BETWEEN', 'IN', 'NOT_IN', 'HAS_PROPERTY', 'NOT_HAS_PROPERTY', 'CONTAINS_TOKEN', 'NOT_CONTAINS_TOKEN',
]);

interface Filter { propertyName: string; operator: string; value?: string; highValue?: string; values?: string[] }
interface Sort { propertyName: string; direction: 'ASCENDING' | 'DESCENDING' }

/** A search request after validation. */
export interface SearchRequest {
  query?: string;
  filterGroups: { filters: Filter[] }[];
  properties?: string[];
  sorts: Sort[];
  limit: number;
  offset: number;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const scalar = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;

/** Validates a search body as HubSpot does; a string is the VALIDATION_ERROR message. */
export function parseSearch(body: unknown): SearchRequest | string {
  const b = body === undefined ? {} : body;
  if (!isRecord(b)) return 'The search request must be a JSON object';
  const limit = b.limit === undefined ? 10 : b.limit;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0 || limit > SEARCH_MAX_LIMIT) {
    return `limit must be an integer between 0 and ${SEARCH_MAX_LIMIT}`;
  }
  const after = b.after === undefined || b.after === null || b.after === '' ? '0' : scalar(b.after);
  if (after === undefined || !/^\d+$/.test(after)) return `Invalid after value: ${String(b.after)}`;
  const offset = Number(after);
  if (offset + limit > SEARCH_MAX_RESULTS) return `Paging past ${SEARCH_MAX_RESULTS} results is not supported`;
  if (b.query !== undefined && typeof b.query !== 'string') return 'query must be a string';

  const groups = b.filterGroups ?? [];
  if (!Array.isArray(groups)) return 'filterGroups must be an array';
  if (groups.length > 5) return 'Too many filter groups: at most 5 are allowed';
  const filterGroups: SearchRequest['filterGroups'] = [];
  let total = 0;
  for (const g of groups) {
    if (!isRecord(g) || !Array.isArray(g.filters)) return 'Each filter group must have a filters array';
    if (g.filters.length > 6) return 'Too many filters in a group: at most 6 are allowed';
    total += g.filters.length;
    const filters: Filter[] = [];
    for (const f of g.filters) {
      if (!isRecord(f) || typeof f.propertyName !== 'string' || typeof f.operator !== 'string') {
        return 'Each filter needs a propertyName and an operator';
      }
      if (!OPERATORS.has(f.operator)) return `Unknown operator ${f.operator} for property ${f.propertyName}`;
      filters.push({
        propertyName: f.propertyName,
        operator: f.operator,
        value: scalar(f.value),
        highValue: scalar(f.highValue),
        values: Array.isArray(f.values) ? f.values.map((v) => scalar(v) ?? '') : undefined,
      });
    }
    filterGroups.push({ filters });
  }
  if (total > 18) return 'Too many filters: at most 18 are allowed across all groups';

  let properties: string[] | undefined;
  if (b.properties !== undefined) {
    if (!Array.isArray(b.properties) || b.properties.some((p) => typeof p !== 'string')) return 'properties must be an array of strings';
    properties = b.properties.length ? (b.properties as string[]) : undefined;
  }
  const sorts: Sort[] = [];
  if (b.sorts !== undefined) {
    if (!Array.isArray(b.sorts)) return 'sorts must be an array';
    for (const s of b.sorts) {
      // Both `"-createdate"` and `{propertyName, direction}` are accepted.
      if (typeof s === 'string') sorts.push(s.startsWith('-') ? { propertyName: s.slice(1), direction: 'DESCENDING' } : { propertyName: s, direction: 'ASCENDING' });
      else if (isRecord(s) && typeof s.propertyName === 'string') {
        sorts.push({ propertyName: s.propertyName, direction: s.direction === 'DESCENDING' ? 'DESCENDING' : 'ASCENDING' });
      } else return 'Each sort needs a propertyName';
    }
  }
  return { query: b.query as string | undefined, filterGroups, properties, sorts, limit, offset };
}

const tokens = (s: string) => s.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean);
const asNumber = (s: string): number | undefined => {
  if (s.trim() === '') return undefined;
  const n = Number(s);
  if (Number.isFinite(n)) return n;
  const t = Date.parse(s);
  return Number.isFinite(t) ? t : undefined;
};

function compare(a: string, b: string): number {
  const x = asNumber(a);
  const y = asNumber(b);
  if (x !== undefined && y !== undefined) return x - y;
  return a.toLowerCase().localeCompare(b.toLowerCase());
}

/** CONTAINS_TOKEN: every word of the value (with `*` wildcards) matches a word of the property. */
function containsToken(have: string, want: string): boolean {
  const words = tokens(have);
  const patterns = want.toLowerCase().split(/\s+/).filter(Boolean).map(
    (w) => new RegExp('^' + w.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*') + '$', 'u'),
  );
  return patterns.length > 0 && patterns.every((p) => words.some((w) => p.test(w)) || p.test(have.toLowerCase()));
}

function matches(o: StoredObject, f: Filter): boolean {
  const have = o.properties[f.propertyName];
  const present = have !== undefined && have !== '';
  switch (f.operator) {
    case 'HAS_PROPERTY': return present;
    case 'NOT_HAS_PROPERTY': return !present;
    case 'NEQ': return !present || f.value === undefined || compare(have, f.value) !== 0;
    case 'NOT_IN': return !present || !(f.values ?? []).some((v) => compare(have, v) === 0);
    case 'NOT_CONTAINS_TOKEN': return !present || f.value === undefined || !containsToken(have, f.value);
  }
  if (!present) return false;
  const v = f.value ?? '';
  switch (f.operator) {
    case 'EQ': return compare(have, v) === 0;
    case 'LT': return compare(have, v) < 0;
    case 'LTE': return compare(have, v) <= 0;
    case 'GT': return compare(have, v) > 0;
    case 'GTE': return compare(have, v) >= 0;
    case 'BETWEEN': return compare(have, v) >= 0 && compare(have, f.highValue ?? v) <= 0;
    case 'IN': return (f.values ?? []).some((x) => compare(have, x) === 0);
    case 'CONTAINS_TOKEN': return containsToken(have, v);
    default: return false;
  }
}

/** Free text: every word of the query is a prefix of a word (or of the whole value) of a searchable property. */
function matchesQuery(type: CrmObjectType, o: StoredObject, query: string): boolean {
  const terms = tokens(query);
  if (!terms.length) return true;
  const values = TYPES[type].searchable.map((p) => o.properties[p]).filter((v): v is string => !!v);
  const words = values.flatMap((v) => [v.toLowerCase(), ...tokens(v)]);
  return terms.every((t) => words.some((w) => w.startsWith(t)));
}

/** Runs a validated search: matching records in order, one page of them, and the total. */
export function runSearch(type: CrmObjectType, all: Iterable<StoredObject>, req: SearchRequest): { total: number; page: StoredObject[]; nextAfter?: string } {
  const hits = [...all].filter((o) =>
    !o.archived
    && (req.query === undefined || matchesQuery(type, o, req.query))
    && (req.filterGroups.length === 0 || req.filterGroups.some((g) => g.filters.every((f) => matches(o, f)))),
  );
  hits.sort((a, b) => {
    for (const s of req.sorts) {
      const c = compare(a.properties[s.propertyName] ?? '', b.properties[s.propertyName] ?? '');
      if (c !== 0) return s.direction === 'DESCENDING' ? -c : c;
    }
    return Number(a.id) - Number(b.id);
  });
  const page = hits.slice(req.offset, req.offset + req.limit);
  const end = req.offset + req.limit;
  return { total: hits.length, page, nextAfter: req.limit > 0 && end < hits.length ? String(end) : undefined };
}
