// The vault's refresh, per provider, against the emulators speaking each provider's OAuth:
// Slack rotation (a new refresh token stored before use; a spent refresh token used again is
// refused and ends the connection), HubSpot's 30-minute tokens, Google's refresh with a subset
// of the granted scopes and its revocation; single flight, refresh ahead, bounded retry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountUnavailable } from '../../src/errors.js';
import { APP, consentAndExchange, elide, grantFrom, providerConfig, startRealEmulators, tempSecrets, vaultFor, type RealEmulators } from './helpers.js';

const GCAL = 'https://www.googleapis.com/auth/calendar';
let emus: RealEmulators;
beforeAll(async () => {
  emus = await startRealEmulators({ slack: { accessTtlSeconds: 60 } });
});
afterAll(async () => { await Promise.all(Object.values(emus).map((e) => e.close())); });

describe('Slack token rotation', () => {
  it('refreshes ahead of expiry once for concurrent callers, stores the new refresh token first, and a spent refresh token ends the connection', async () => {
    const { grants } = await tempSecrets();
    const body = await consentAndExchange('slack', emus.slack.url, ['channels:read', 'chat:write']);
    expect(body).toMatchObject({ ok: true, authed_user: { token_type: 'user', expires_in: 60 }, team: { id: 'T0MANDATE1' } });
    await grants.put(grantFrom('slack', 'work', body, { id: 'T0MANDATE1' }));
    const vault = vaultFor(grants, emus);
    const first = (await grants.get('slack', 'work'))!;

    // 60 s left < 120 s ahead: refreshed, once, however many callers ask at the same moment.
    const creds = await Promise.all([1, 2, 3].map(() => vault.credential('slack', 'work', ['chat:write'])));
    expect(new Set(creds.map((c) => c.token)).size).toBe(1);
    expect(vault.stats().refreshes).toBe(1);
    const stored = (await grants.get('slack', 'work'))!;
    expect(stored.refreshToken).toMatch(/^xoxe-1-/);
    expect(stored.refreshToken).not.toBe(first.refreshToken);
    expect(stored.accessToken).toBe(creds[0]!.token);
    expect(creds[0]!.token).toMatch(/^xoxe\.xoxp-1-/);
    const log = emus.slack.oauth!.log.filter((l) => l.grantType === 'refresh_token');
    console.log('Slack refresh (oauth.v2.access):', JSON.stringify(elide(log.at(-1)), null, 1));

    // The spent refresh token, used a second time: Slack's own refusal.
    const replay = await fetch(providerConfig('slack', emus.slack.url).tokenUrl, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: first.refreshToken!, client_id: APP.clientId, client_secret: APP.clientSecret }),
    });
    expect(await replay.json()).toEqual({ ok: false, error: 'invalid_refresh_token' });

    // A vault holding a spent refresh token (a restored backup): the connection ends, named.
    await grants.put({ ...first, expiresAt: 0 });
    const err = await vault.credential('slack', 'work', ['chat:write']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AccountUnavailable);
    expect((err as Error).message).toContain('run "mandate connect slack --account work"');
    expect(await grants.get('slack', 'work')).toBeNull();
  });

  it('a scope the grant lacks is account_unavailable naming the connect command, before any request', async () => {
    const { grants } = await tempSecrets();
    await grants.put(grantFrom('slack', 'work', await consentAndExchange('slack', emus.slack.url, ['channels:read']), { id: 'T0MANDATE1' }));
    const err = await vaultFor(grants, emus).credential('slack', 'work', ['chat:write']).catch((e: unknown) => e);
    expect((err as AccountUnavailable).code).toBe('account_unavailable');
    expect((err as Error).message).toMatch(/was not granted chat:write: run "mandate connect slack --account work"/);
  });
});

describe('HubSpot 30-minute tokens', () => {
  it('keeps the access token while it is fresh, refreshes it near the 30 minutes, and keeps the same refresh token', async () => {
    const { grants } = await tempSecrets();
    let clock = Date.now();
    const body = await consentAndExchange('crm', emus.crm.url, ['crm.objects.contacts.read']);
    expect(body).toMatchObject({ token_type: 'bearer', expires_in: 1800 });
    await grants.put(grantFrom('crm', 'main', body, { id: '20240601' }, clock));
    const vault = vaultFor(grants, emus, { now: () => clock });
    const a = await vault.credential('crm', 'main', ['crm.objects.contacts.read']);
    expect(vault.stats().refreshes).toBe(0);
    clock += 29 * 60_000; // within the 120 s ahead of expiry
    const b = await vault.credential('crm', 'main', ['crm.objects.contacts.read']);
    expect(b.token).not.toBe(a.token);
    expect(vault.stats().refreshes).toBe(1);
    expect((await grants.get('crm', 'main'))!.refreshToken).toBe(body.refresh_token);
    console.log('HubSpot refresh (/oauth/v1/token):', JSON.stringify(elide(emus.crm.oauth!.log.at(-1)), null, 1));
  });

  it('retries a transient 5xx of the token endpoint, then a revoked refresh token ends the connection', async () => {
    const { grants } = await tempSecrets();
    await grants.put({ ...grantFrom('crm', 'main', await consentAndExchange('crm', emus.crm.url, ['crm.objects.deals.read']), { id: '20240601' }), expiresAt: 0 });
    const vault = vaultFor(grants, emus);
    emus.crm.inject({ kind: 'status', status: 503, count: 1 });
    await expect(vault.credential('crm', 'main', ['crm.objects.deals.read'])).resolves.toMatchObject({ identity: { id: '20240601' } });
    emus.crm.oauth!.revokeAll();
    await grants.put({ ...(await grants.get('crm', 'main'))!, expiresAt: 0 });
    await expect(vault.credential('crm', 'main', ['crm.objects.deals.read'])).rejects.toThrow(/BAD_REFRESH_TOKEN.*run "mandate connect hubspot --account main"/);
  });
});

describe('Google: refresh with a subset of the granted scopes', () => {
  it('gives each scope set its own narrower access token; a revoked grant ends the connection', async () => {
    const { grants } = await tempSecrets();
    const all = [`${GCAL}.events.readonly`, `${GCAL}.events`, `${GCAL}.freebusy`];
    const body = await consentAndExchange('calendar', emus.calendar.url, all);
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3599, scope: all.join(' ') });
    await grants.put(grantFrom('calendar', 'main', body, { id: 'dana@example.com' }));
    const vault = vaultFor(grants, emus);
    const read = await vault.credential('calendar', 'main', [`${GCAL}.events.readonly`]);
    expect(emus.calendar.oauth!.scopesOf(read.token)).toEqual([`${GCAL}.events.readonly`]);
    const log = emus.calendar.oauth!.log.at(-1)!;
    expect(log.request.scope).toBe(`${GCAL}.events.readonly`);
    console.log('Google refresh with a scope subset (/token):', JSON.stringify(elide(log), null, 1));
    const again = await vault.credential('calendar', 'main', [`${GCAL}.events.readonly`]);
    expect(again.token).toBe(read.token); // cached per scope set
    const free = await vault.credential('calendar', 'main', [`${GCAL}.freebusy`]);
    expect(emus.calendar.oauth!.scopesOf(free.token)).toEqual([`${GCAL}.freebusy`]);

    // Revocation (the user removed access): the next refresh is invalid_grant.
    const rv = await fetch(`${emus.calendar.url}/revoke`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: body.refresh_token }) });
    expect(rv.status).toBe(200);
    await expect(vault.credential('calendar', 'main', [`${GCAL}.events`])).rejects.toThrow(/invalid_grant.*mandate connect google --account main/);
  });
});
