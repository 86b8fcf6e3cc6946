// The HubSpot connector against the CRM emulator: each method's happy path, paging, and every
// error HubSpot can answer turned into the right MandateError (with no token in any message).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CrmConnector, paginate } from '../../src/connectors/crm.js';
import { staticTokenSource } from '../../src/connectors/http.js';
import type { TokenSource } from '../../src/connectors/http.js';
import { MandateError } from '../../src/errors.js';
import { startCrmEmulator } from '../../src/sandbox/crm/emulator.js';
import type { CrmEmulator } from '../../src/sandbox/crm/emulator.js';
import type { TokenVerifier } from '../../src/sandbox/http.js';

const TOKEN = ['pat', 'na1', '11111111', '2222', '3333', '4444', '555555555555'].join('-'); // assembled: no secret-shaped literal

async function failure(p: Promise<unknown>): Promise<MandateError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(MandateError);
    expect((err as MandateError).message).not.toContain(TOKEN);
    return err as MandateError;
  }
  throw new Error('expected the call to fail');
}

describe('CrmConnector: methods', () => {
  let emu: CrmEmulator;
  let crm: CrmConnector;
  beforeAll(async () => {
    emu = await startCrmEmulator();
    crm = new CrmConnector({ baseUrl: emu.url + '/', tokens: staticTokenSource(TOKEN) });
  });
  afterAll(async () => { await emu.close(); });

  it('searchContacts sends the token and returns HubSpot\'s page with its cursor', async () => {
    const page = await crm.searchContacts({ query: 'northwind', properties: ['email', 'company'], limit: 3 });
    expect(page.total).toBeGreaterThan(3);
    expect(page.results).toHaveLength(3);
    for (const c of page.results) expect(c.properties.company).toBe('Northwind Traders');
    expect(page.paging?.next?.after).toBe('3');
    expect(emu.requests.at(-1)).toMatchObject({ method: 'POST', path: '/crm/v3/objects/contacts/search', token: TOKEN });
  });

  it('getContact reads by ID and by email, with associations', async () => {
    const [first] = emu.state.contacts.values();
    const byId = await crm.getContact(first!.id, { properties: ['email', 'firstname'], associations: ['deals', 'notes'] });
    expect(byId.properties.email).toBe(first!.properties.email);
    const byEmail = await crm.getContact(first!.properties.email!, { idProperty: 'email' });
    expect(byEmail.id).toBe(first!.id);
  });

  it('createContact creates a record the emulator then holds', async () => {
    const c = await crm.createContact({ email: 'ops@fabrikam.example', firstname: 'Ops', lastname: 'Team' });
    expect(c.id).toMatch(/^\d+$/);
    expect(emu.state.contacts.get(c.id)?.properties.email).toBe('ops@fabrikam.example');
  });

  it('listDeals and paginate walk every deal once', async () => {
    const first = await crm.listDeals({ limit: 7, properties: ['dealname', 'dealstage'] });
    expect(first.results).toHaveLength(7);
    expect(first.paging?.next?.after).toBeTruthy();
    const ids: string[] = [];
    for await (const d of paginate((after) => crm.listDeals({ limit: 7, after }))) ids.push(d.id);
    expect(ids).toHaveLength(emu.state.deals.size);
    expect(new Set(ids).size).toBe(ids.length);
    // A search pages the same way, by offset.
    const stage: string[] = [];
    for await (const d of paginate((after) => crm.searchDeals({
      filterGroups: [{ filters: [{ propertyName: 'dealstage', operator: 'EQ', value: 'contractsent' }] }], limit: 1, after,
    }))) stage.push(d.properties.dealstage ?? '');
    expect(stage.length).toBe([...emu.state.deals.values()].filter((d) => d.properties.dealstage === 'contractsent').length);
    expect(new Set(stage)).toEqual(new Set(['contractsent']));
  });

  it('paginate stops after maxPages', async () => {
    let calls = 0;
    const seen: string[] = [];
    for await (const d of paginate((after) => { calls++; return crm.listDeals({ limit: 2, after }); }, { maxPages: 3 })) seen.push(d.id);
    expect(calls).toBe(3);
    expect(seen).toHaveLength(6);
  });

  it('getDeal, updateDeal and createNote round-trip', async () => {
    const [deal] = emu.state.deals.values();
    const d = await crm.getDeal(deal!.id, { associations: ['contacts'] });
    expect(d.associations?.contacts?.results.length).toBeGreaterThan(0);
    const updated = await crm.updateDeal(deal!.id, { dealstage: 'presentationscheduled' });
    expect(updated.properties.dealstage).toBe('presentationscheduled');
    expect((await crm.getDeal(deal!.id)).properties.dealstage).toBe('presentationscheduled');
    const contactId = d.associations!.contacts!.results[0]!.id;
    const note = await crm.createNote({ body: 'Sent the proposal.', timestamp: '2025-06-01T10:00:00Z', contactId });
    expect(note.properties.hs_note_body).toBe('Sent the proposal.');
    const contact = await crm.getContact(contactId, { associations: ['notes'] });
    expect(contact.associations?.notes?.results.map((r) => r.id)).toContain(note.id);
  });
});

describe('CrmConnector: errors', () => {
  let emu: CrmEmulator;
  let refuse = new Set<string>();
  let scopeless = false;
  const verifier: TokenVerifier = async (token) => {
    if (!token || refuse.has(token)) return { ok: false, reason: 'expired' };
    if (scopeless) return { ok: false, reason: 'insufficient_scope', provided: [] };
    return { ok: true, claims: {}, scopes: [] };
  };
  const connector = (tokens: TokenSource = staticTokenSource(TOKEN), extra: { timeoutMs?: number; maxRetryAfterSeconds?: number } = {}) =>
    new CrmConnector({ baseUrl: emu.url, tokens, ...extra });
  beforeAll(async () => { emu = await startCrmEmulator({ verifier }); });
  afterAll(async () => { await emu.close(); });

  it('a refused token is refreshed once and the call then succeeds', async () => {
    refuse = new Set(['stale-token']);
    let refreshes = 0;
    const tokens: TokenSource = { token: async () => 'stale-token', refresh: async () => { refreshes++; return 'fresh-token'; } };
    const from = emu.requests.length;
    const page = await connector(tokens).listDeals({ limit: 1 });
    expect(page.results).toHaveLength(1);
    expect(refreshes).toBe(1);
    expect(emu.requests.slice(from).map((r) => r.token)).toEqual(['stale-token', 'fresh-token']);
    refuse = new Set();
  });

  it('a token refused again after the refresh → upstream_unauthorized', async () => {
    refuse = new Set([TOKEN]);
    const from = emu.requests.length;
    const err = await failure(connector().getDeal('5001'));
    expect(err.code).toBe('upstream_unauthorized');
    expect(err.message).toContain('EXPIRED_AUTHENTICATION');
    expect(emu.requests.length - from).toBe(2);
    refuse = new Set();
  });

  it('missing scopes (403 MISSING_SCOPES) → upstream_unauthorized', async () => {
    scopeless = true;
    const err = await failure(connector().searchContacts({ query: 'x' }));
    expect(err.code).toBe('upstream_unauthorized');
    expect(err.message).toContain('MISSING_SCOPES');
    scopeless = false;
  });

  it('a missing record (404) → upstream_error naming OBJECT_NOT_FOUND', async () => {
    const err = await failure(connector().getContact('987654321'));
    expect(err.code).toBe('upstream_error');
    expect(err.message).toBe('HubSpot: OBJECT_NOT_FOUND: Object not found.  objectId are usually numeric.');
  });

  it('a duplicate email (409) → upstream_error with the existing ID', async () => {
    const [c] = emu.state.contacts.values();
    const err = await failure(connector().createContact({ email: c!.properties.email! }));
    expect(err.code).toBe('upstream_error');
    expect(err.message).toBe(`HubSpot: CONFLICT: Contact already exists. Existing ID: ${c!.id}`);
  });

  it('a validation error (400) → upstream_error with HubSpot\'s reason, readable', async () => {
    const err = await failure(connector().updateDeal('5001', { dealstage: 'nope' }));
    expect(err.code).toBe('upstream_error');
    expect(err.message).toMatch(/^HubSpot: VALIDATION_ERROR: Property values were not valid: nope was not one of the allowed options/);
    expect(err.message).not.toContain('isValid');
  });

  it('an injected 500 → upstream_error', async () => {
    emu.inject({ kind: 'status', status: 500, count: 1 });
    const err = await failure(connector().listDeals());
    expect(err.code).toBe('upstream_error');
    expect(err.message).toBe('HubSpot: HTTP 500: internal error');
  });

  it('a 429 with Retry-After: 1 is waited out and the call succeeds', async () => {
    emu.inject({ kind: 'status', status: 429, count: 1, retryAfter: 1 });
    const started = Date.now();
    const page = await connector().listDeals({ limit: 2 });
    const waited = Date.now() - started;
    expect(page.results).toHaveLength(2);
    expect(waited).toBeGreaterThanOrEqual(900);
    expect(waited).toBeLessThan(4000);
  });

  it('a Retry-After beyond the bound → upstream_error at once, saying when to retry', async () => {
    emu.inject({ kind: 'status', status: 429, count: 1, retryAfter: 30 });
    const started = Date.now();
    const err = await failure(connector(undefined, { maxRetryAfterSeconds: 5 }).listDeals());
    expect(Date.now() - started).toBeLessThan(1000);
    expect(err.code).toBe('upstream_error');
    expect(err.extras.retry_after_seconds).toBe(30);
  });

  it('an upstream that never answers → upstream_error after the timeout', async () => {
    emu.inject({ kind: 'hang', count: 1 });
    const started = Date.now();
    const err = await failure(connector(undefined, { timeoutMs: 200 }).getDeal('5001'));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(err.code).toBe('upstream_error');
    expect(err.message).toMatch(/did not answer within 200 ms/);
  });
});
