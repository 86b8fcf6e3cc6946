// The HubSpot CRM emulator on the wire: paths, parameters, paging, bodies and HubSpot's error
// formats, read with raw fetch as any HubSpot client would.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { startCrmEmulator } from '../../src/sandbox/crm/emulator.js';
import type { CrmEmulator } from '../../src/sandbox/crm/emulator.js';
import { DEMO_USER, prng, seedCrm } from '../../src/sandbox/crm/seed.js';
import type { BearerCheck, TokenVerifier } from '../../src/sandbox/http.js';
import { DEFAULT_PIPELINE_STAGES } from '../../src/connectors/crm.js';

const TOKEN = 'sandbox-token';
const FIXED_NOW = new Date('2025-06-10T12:00:00.000Z');

async function call(emu: CrmEmulator, method: string, path: string, body?: unknown, token: string | null = TOKEN) {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let payload: string | undefined;
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = typeof body === 'string' ? body : JSON.stringify(body);
  }
  const res = await fetch(emu.url + path, { method, headers, body: payload });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, any> };
}

describe('CRM emulator: seed', () => {
  it('is deterministic and large enough for demos', () => {
    const a = seedCrm();
    const b = seedCrm();
    expect(a.contacts.size).toBeGreaterThanOrEqual(60);
    expect(a.deals.size).toBeGreaterThanOrEqual(25);
    expect([...a.contacts.values()]).toEqual([...b.contacts.values()]);
    expect([...a.deals.values()]).toEqual([...b.deals.values()]);
    const c = [...a.contacts.values()];
    expect(new Set(c.map((x) => x.properties.email)).size).toBe(c.length);
    expect(new Set(c.map((x) => x.properties.email!.split('@')[1])).size).toBeGreaterThanOrEqual(5);
    for (const x of c) for (const p of ['firstname', 'lastname', 'email', 'company', 'phone', 'lifecyclestage']) expect(x.properties[p]).toBeTruthy();
    const stages = new Set([...a.deals.values()].map((d) => d.properties.dealstage));
    expect([...stages].sort()).toEqual([...DEFAULT_PIPELINE_STAGES].sort());
    for (const d of a.deals.values()) {
      expect(d.properties.pipeline).toBe('default');
      expect(Number(d.properties.amount)).toBeGreaterThan(0);
      expect(Date.parse(d.properties.closedate!)).not.toBeNaN();
      expect(a.associations.some((x) => x.from.type === 'deals' && x.from.id === d.id && x.to.type === 'contacts')).toBe(true);
    }
    expect(DEMO_USER).toMatchObject({ id: 'demo-user', name: 'Dana Demo', email: 'dana@example.com' });
  });

  it('uses a seeded PRNG, not Math.random', () => {
    const r1 = prng(7);
    const r2 = prng(7);
    const xs = Array.from({ length: 5 }, () => r1());
    expect(xs).toEqual(Array.from({ length: 5 }, () => r2()));
    expect(new Set(xs).size).toBe(5);
  });
});

describe('CRM emulator: endpoints', () => {
  let emu: CrmEmulator;
  beforeAll(async () => { emu = await startCrmEmulator({ now: () => FIXED_NOW }); });
  afterAll(async () => { await emu.close(); });

  it('POST /crm/v3/objects/contacts/search returns {total, results, paging} with HubSpot record shapes', async () => {
    const r = await call(emu, 'POST', '/crm/v3/objects/contacts/search', { filterGroups: [], limit: 5 });
    expect(r.status).toBe(200);
    expect(r.body.total).toBe(emu.state.contacts.size);
    expect(r.body.results).toHaveLength(5);
    expect(r.body.paging).toEqual({ next: { after: '5', link: '?after=5' } });
    const first = r.body.results[0];
    expect(Object.keys(first).sort()).toEqual(['archived', 'createdAt', 'id', 'properties', 'updatedAt']);
    expect(first.archived).toBe(false);
    // Default contact properties, all strings, as HubSpot sends them.
    expect(Object.keys(first.properties).sort()).toEqual(['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname']);
    expect(first.properties.hs_object_id).toBe(first.id);
    const next = await call(emu, 'POST', '/crm/v3/objects/contacts/search', { limit: 5, after: r.body.paging.next.after });
    expect(next.body.results[0].id).not.toBe(first.id);
    expect(next.body.results.map((x: { id: string }) => x.id)).not.toContain(first.id);
  });

  it('search filters by exact email (case-insensitive), company token and free text', async () => {
    const someone = [...emu.state.contacts.values()][3]!;
    const email = someone.properties.email!;
    const byEmail = await call(emu, 'POST', '/crm/v3/objects/contacts/search', {
      filterGroups: [{ filters: [{ propertyName: 'email', operator: 'EQ', value: email.toUpperCase() }] }],
      properties: ['email', 'company'],
    });
    expect(byEmail.body.total).toBe(1);
    expect(byEmail.body.results[0].id).toBe(someone.id);
    expect(byEmail.body.results[0].properties).toMatchObject({ email, company: someone.properties.company });
    expect(byEmail.body.paging).toBeUndefined();

    const byCompany = await call(emu, 'POST', '/crm/v3/objects/contacts/search', {
      filterGroups: [{ filters: [{ propertyName: 'company', operator: 'CONTAINS_TOKEN', value: 'northwind' }] }],
      properties: ['company'],
      limit: 100,
    });
    expect(byCompany.body.total).toBeGreaterThan(1);
    for (const c of byCompany.body.results) expect(c.properties.company).toBe('Northwind Traders');

    const byText = await call(emu, 'POST', '/crm/v3/objects/contacts/search', { query: someone.properties.lastname!.slice(0, 4).toLowerCase(), limit: 100 });
    expect(byText.body.results.map((x: { id: string }) => x.id)).toContain(someone.id);

    const none = await call(emu, 'POST', '/crm/v3/objects/contacts/search', { query: 'zzzznobody' });
    expect(none.body).toMatchObject({ total: 0, results: [] });
  });

  it('search ORs filter groups and rejects limits above 200 with VALIDATION_ERROR', async () => {
    const r = await call(emu, 'POST', '/crm/v3/objects/deals/search', {
      filterGroups: [
        { filters: [{ propertyName: 'dealstage', operator: 'EQ', value: 'closedwon' }] },
        { filters: [{ propertyName: 'dealstage', operator: 'EQ', value: 'closedlost' }] },
      ],
      limit: 200,
    });
    expect(r.status).toBe(200);
    expect(r.body.total).toBeGreaterThan(0);
    for (const d of r.body.results) expect(['closedwon', 'closedlost']).toContain(d.properties.dealstage);
    const bad = await call(emu, 'POST', '/crm/v3/objects/contacts/search', { limit: 201 });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR' });
    expect(bad.body.correlationId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('GET /crm/v3/objects/contacts/{id} returns asked-for properties (null when empty), by ID or by email', async () => {
    const c = [...emu.state.contacts.values()][0]!;
    const r = await call(emu, 'GET', `/crm/v3/objects/contacts/${c.id}?properties=email,company&properties=website,nosuchprop`);
    expect(r.status).toBe(200);
    expect(r.body.id).toBe(c.id);
    expect(r.body.properties).toEqual({
      email: c.properties.email, company: c.properties.company, website: null,
      createdate: c.createdAt, lastmodifieddate: c.updatedAt, hs_object_id: c.id,
    });
    const byEmail = await call(emu, 'GET', `/crm/v3/objects/contacts/${encodeURIComponent(c.properties.email!)}?idProperty=email`);
    expect(byEmail.body.id).toBe(c.id);
  });

  it('GET of a missing record answers 404 OBJECT_NOT_FOUND with the id in context', async () => {
    const r = await call(emu, 'GET', '/crm/v3/objects/contacts/999999');
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({
      status: 'error', message: 'Object not found.  objectId are usually numeric.', category: 'OBJECT_NOT_FOUND', context: { id: ['999999'] },
    });
    expect(r.headers.get('x-hubspot-correlation-id')).toBe(r.body.correlationId);
  });

  it('GET /crm/v3/objects/deals pages with limit and after, and returns deal default properties', async () => {
    const first = await call(emu, 'GET', '/crm/v3/objects/deals?limit=10');
    expect(first.status).toBe(200);
    expect(first.body.results).toHaveLength(10);
    expect(Object.keys(first.body.results[0].properties).sort()).toEqual(
      ['amount', 'closedate', 'createdate', 'dealname', 'dealstage', 'hs_lastmodifieddate', 'hs_object_id', 'pipeline'],
    );
    expect(typeof first.body.results[0].properties.amount).toBe('string');
    const after = first.body.paging.next.after as string;
    expect(first.body.paging.next.link).toContain(`after=${after}`);
    const seen = new Set<string>(first.body.results.map((d: { id: string }) => d.id));
    let cursor: string | undefined = after;
    while (cursor) {
      const page = await call(emu, 'GET', `/crm/v3/objects/deals?limit=10&after=${cursor}&properties=dealname`);
      for (const d of page.body.results) {
        expect(seen.has(d.id)).toBe(false);
        seen.add(d.id);
        expect(Object.keys(d.properties)).toContain('dealname');
      }
      cursor = page.body.paging?.next?.after;
    }
    expect(seen.size).toBe(emu.state.deals.size);
  });

  it('GET /crm/v3/objects/deals/{id}?associations=contacts lists associated contacts', async () => {
    const d = [...emu.state.deals.values()][0]!;
    const r = await call(emu, 'GET', `/crm/v3/objects/deals/${d.id}?associations=contacts`);
    expect(r.status).toBe(200);
    expect(r.body.associations.contacts.results.length).toBeGreaterThan(0);
    expect(r.body.associations.contacts.results[0]).toEqual({ id: expect.stringMatching(/^\d+$/), type: 'deal_to_contact' });
  });

  it('PATCH /crm/v3/objects/deals/{id} changes the stage, and a later read sees it', async () => {
    const d = [...emu.state.deals.values()].find((x) => x.properties.dealstage !== 'closedwon')!;
    const r = await call(emu, 'PATCH', `/crm/v3/objects/deals/${d.id}`, { properties: { dealstage: 'closedwon' } });
    expect(r.status).toBe(200);
    expect(r.body.properties.dealstage).toBe('closedwon');
    expect(r.body.updatedAt).toBe(FIXED_NOW.toISOString());
    const again = await call(emu, 'GET', `/crm/v3/objects/deals/${d.id}`);
    expect(again.body.properties).toMatchObject({ dealstage: 'closedwon', hs_lastmodifieddate: FIXED_NOW.toISOString() });
  });

  it('PATCH with a stage outside the pipeline or an unknown property answers VALIDATION_ERROR', async () => {
    const d = [...emu.state.deals.values()][1]!;
    const before = d.properties.dealstage;
    const bad = await call(emu, 'PATCH', `/crm/v3/objects/deals/${d.id}`, { properties: { dealstage: 'won-ish' } });
    expect(bad.status).toBe(400);
    expect(bad.body.category).toBe('VALIDATION_ERROR');
    expect(bad.body.message).toMatch(/^Property values were not valid: \[/);
    expect(JSON.parse(bad.body.message.slice('Property values were not valid: '.length))[0]).toMatchObject({ name: 'dealstage', error: 'INVALID_OPTION' });
    const unknown = await call(emu, 'PATCH', `/crm/v3/objects/deals/${d.id}`, { properties: { favourite_colour: 'blue' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toContain('PROPERTY_DOESNT_EXIST');
    expect(emu.state.deals.get(d.id)!.properties.dealstage).toBe(before);
  });

  it('POST /crm/v3/objects/contacts creates (201) and a duplicate email answers 409 CONFLICT', async () => {
    const r = await call(emu, 'POST', '/crm/v3/objects/contacts', { properties: { email: 'new.person@contoso.example', firstname: 'New', company: 'Contoso Ltd' } });
    expect(r.status).toBe(201);
    expect(r.body.properties).toMatchObject({ email: 'new.person@contoso.example', firstname: 'New', company: 'Contoso Ltd', hs_object_id: r.body.id });
    expect(r.body.createdAt).toBe(FIXED_NOW.toISOString());
    const found = await call(emu, 'POST', '/crm/v3/objects/contacts/search', {
      filterGroups: [{ filters: [{ propertyName: 'email', operator: 'EQ', value: 'new.person@contoso.example' }] }],
    });
    expect(found.body.results.map((x: { id: string }) => x.id)).toEqual([r.body.id]);
    const dup = await call(emu, 'POST', '/crm/v3/objects/contacts', { properties: { email: 'NEW.person@contoso.example' } });
    expect(dup.status).toBe(409);
    expect(dup.body).toMatchObject({ status: 'error', message: `Contact already exists. Existing ID: ${r.body.id}`, category: 'CONFLICT' });
    const badEmail = await call(emu, 'POST', '/crm/v3/objects/contacts', { properties: { email: 'not-an-email' } });
    expect(badEmail.status).toBe(400);
    expect(badEmail.body.message).toContain('INVALID_EMAIL');
  });

  it('POST /crm/v3/objects/notes with association type 202 attaches the note to the contact', async () => {
    const c = [...emu.state.contacts.values()][10]!;
    const r = await call(emu, 'POST', '/crm/v3/objects/notes', {
      properties: { hs_note_body: 'Called about the renewal.', hs_timestamp: '2025-06-09T15:00:00Z' },
      associations: [{ to: { id: c.id }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 202 }] }],
    });
    expect(r.status).toBe(201);
    expect(r.body.properties).toMatchObject({ hs_note_body: 'Called about the renewal.', hs_timestamp: '2025-06-09T15:00:00.000Z' });
    const contact = await call(emu, 'GET', `/crm/v3/objects/contacts/${c.id}?associations=notes`);
    expect(contact.body.associations.notes.results).toContainEqual({ id: r.body.id, type: 'contact_to_note' });
  });

  it('POST /crm/v3/objects/notes refuses a missing hs_timestamp and an association to no contact', async () => {
    const noTime = await call(emu, 'POST', '/crm/v3/objects/notes', { properties: { hs_note_body: 'x' } });
    expect(noTime.status).toBe(400);
    expect(noTime.body.category).toBe('VALIDATION_ERROR');
    const before = emu.state.notes.size;
    const ghost = await call(emu, 'POST', '/crm/v3/objects/notes', {
      properties: { hs_note_body: 'x', hs_timestamp: '1717245000000' },
      associations: [{ to: { id: '424242' }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 202 }] }],
    });
    expect(ghost.status).toBe(400);
    expect(ghost.body.category).toBe('VALIDATION_ERROR');
    expect(emu.state.notes.size).toBe(before);
  });

  it('an unknown path answers HubSpot\'s 404 and malformed JSON its 400', async () => {
    const nf = await call(emu, 'GET', '/crm/v3/objects/widgets');
    expect(nf.status).toBe(404);
    expect(nf.body).toMatchObject({ status: 'error', message: 'resource not found' });
    const bad = await call(emu, 'POST', '/crm/v3/objects/contacts', '{"properties": {');
    expect(bad.status).toBe(400);
    expect(bad.body.status).toBe('error');
    expect(bad.body.message).toMatch(/^Invalid input JSON on line \d+, column \d+/);
  });
});

describe('CRM emulator: auth failures in HubSpot format', () => {
  let emu: CrmEmulator;
  let outcome: BearerCheck = { ok: true, claims: {}, scopes: [] };
  const seen: { token: string | undefined; required: readonly string[] }[] = [];
  const verifier: TokenVerifier = async (token, required) => { seen.push({ token, required }); return outcome; };
  beforeAll(async () => { emu = await startCrmEmulator({ verifier, now: () => FIXED_NOW }); });
  afterAll(async () => { await emu.close(); });
  afterEach(() => { outcome = { ok: true, claims: {}, scopes: [] }; seen.length = 0; });

  it.each([
    ['POST', '/crm/v3/objects/contacts/search', 'crm.objects.contacts.read'],
    ['GET', '/crm/v3/objects/contacts/101', 'crm.objects.contacts.read'],
    ['POST', '/crm/v3/objects/contacts', 'crm.objects.contacts.write'],
    ['GET', '/crm/v3/objects/deals', 'crm.objects.deals.read'],
    ['GET', '/crm/v3/objects/deals/5001', 'crm.objects.deals.read'],
    ['PATCH', '/crm/v3/objects/deals/5001', 'crm.objects.deals.write'],
    ['POST', '/crm/v3/objects/deals/search', 'crm.objects.deals.read'],
    ['POST', '/crm/v3/objects/notes', 'crm.objects.contacts.write'],
  ])('%s %s asks the verifier for %s', async (method, path, scope) => {
    outcome = { ok: false, reason: 'insufficient_scope', provided: [] };
    const r = await call(emu, method, path, method === 'GET' ? undefined : { properties: {} });
    expect(seen).toEqual([{ token: TOKEN, required: [scope] }]);
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({
      status: 'error',
      category: 'MISSING_SCOPES',
      errors: [{ message: 'One or more of the following scopes are required.', context: { requiredGranularScopes: [scope] } }],
    });
    expect(r.body.message).toMatch(/^This app hasn't been granted all required scopes to make this call\./);
  });

  it.each(['missing', 'invalid', 'wrong_audience', 'revoked'] as const)('%s token → 401 INVALID_AUTHENTICATION', async (reason) => {
    outcome = { ok: false, reason };
    const before = emu.state.contacts.size;
    const r = await call(emu, 'POST', '/crm/v3/objects/contacts', { properties: { email: 'blocked@contoso.example' } }, reason === 'missing' ? null : TOKEN);
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ status: 'error', category: 'INVALID_AUTHENTICATION' });
    expect(r.body.message).toMatch(/^Authentication credentials not found\. /);
    expect(JSON.stringify(r.body)).not.toContain(TOKEN);
    expect(emu.state.contacts.size).toBe(before);
  });

  it('expired token → 401 EXPIRED_AUTHENTICATION saying how long ago', async () => {
    outcome = { ok: false, reason: 'expired' };
    const jwt = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(Math.floor(FIXED_NOW.getTime() / 1000) - 7)
      .sign(new TextEncoder().encode('x'.repeat(32)));
    const r = await call(emu, 'GET', '/crm/v3/objects/deals', undefined, jwt);
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ category: 'EXPIRED_AUTHENTICATION', message: 'The OAuth token used to make this call expired 7 second(s) ago.' });
  });

  it('injected 429 carries Retry-After and HubSpot\'s rate-limit body; 503 a HubSpot error body', async () => {
    emu.inject({ kind: 'status', status: 429, count: 1, retryAfter: 2 });
    const r = await call(emu, 'GET', '/crm/v3/objects/deals');
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('2');
    expect(r.body).toMatchObject({ status: 'error', message: 'You have reached your ten_secondly_rolling limit.', errorType: 'RATE_LIMIT', policyName: 'TEN_SECONDLY_ROLLING' });
    emu.inject({ kind: 'status', status: 503, count: 1 });
    const down = await call(emu, 'GET', '/crm/v3/objects/deals');
    expect(down.status).toBe(503);
    expect(down.body.status).toBe('error');
    expect((await call(emu, 'GET', '/crm/v3/objects/deals')).status).toBe(200);
  });
});
