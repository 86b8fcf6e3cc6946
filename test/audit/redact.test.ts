import { describe, expect, test } from 'vitest';
import { sha256Hex } from '../../src/audit/canonical.js';
import { auditRedactConfigSchema, redactArgs, redactSecrets, scrubTokens } from '../../src/audit/redact.js';

const JWT =
  'eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJkZW1vLXVzZXIiLCJhdWQiOiJodHRwczovL3NsYWNrLmNvbS9hcGkifQ.MEUCIQDx1kqYkZ8wqv3Q0mXb5P1y';
// Token-shaped fakes are assembled at run time, so no tracked file looks like it holds a secret.
const SLACK = ['xoxb', '1234567890', '0987654321', 'AbCdEfGhIjKlMnOpQrStUvWx'].join('-');
const HUBSPOT = ['pat', 'na1', '4f8c2a1e', '9b7d', '4c3a', '8e2f', '1a2b3c4d5e6f'].join('-');
const GOOGLE = 'ya29.a0AfB_byC1d2E3f4G5h6I7j8K9l0M1n2O3p4Q5r6S7t8U9v0W';
const RANDOM = 'Q2x7VbN0pLk3Rz9TfH1sWm4YcJ8dGa6Ue5Xo-_iK'; // shaped like randomBytes(30).toString('base64url')

describe('secrets are always redacted', () => {
  test('values under secret-named keys, at any depth and in any spelling', () => {
    const out = redactSecrets({
      token: 'abc',
      password: 'hunter2',
      client_secret: 's3cr3t',
      Authorization: 'Bearer whatever',
      'X-Api-Key': 'k',
      api_key: 12345,
      refresh_token: { nested: 'value' },
      cookie: 'sid=1',
      nested: { deeper: [{ accessToken: 'zzz', keep: 'visible' }] },
      use_token: false,
      channel: '#general',
    });
    expect(out).toEqual({
      token: '[redacted]',
      password: '[redacted]',
      client_secret: '[redacted]',
      Authorization: '[redacted]',
      'X-Api-Key': '[redacted]',
      api_key: '[redacted]',
      refresh_token: '[redacted]',
      cookie: '[redacted]',
      nested: { deeper: [{ accessToken: '[redacted]', keep: 'visible' }] },
      use_token: false,
      channel: '#general',
    });
  });

  test.each([
    ['a JWT', JWT],
    ['a Slack token', SLACK],
    ['a HubSpot private app token', HUBSPOT],
    ['a Google access token', GOOGLE],
    ['a Google refresh token', '1//0gAbCdEfGhIjKlMnOpQrStUvWxYz0123456789'],
    ['a random base64url key', RANDOM],
  ])('%s as a whole value or inside text', (_name, secret) => {
    expect(redactSecrets({ note: secret })).toEqual({ note: '[redacted]' });
    const out = JSON.stringify(redactSecrets({ text: `here it is: ${secret} (do not share)`, list: [secret] }));
    expect(out).not.toContain(secret);
    expect(out).toContain('here it is: [redacted] (do not share)');
  });

  test('a pasted Authorization header keeps its scheme only', () => {
    expect(scrubTokens('curl -H "Authorization: Bearer abcdefghijklmnop1234"')).toBe('curl -H "Authorization: Bearer [redacted]"');
    expect(scrubTokens('Authorization: Basic dXNlcjpwYXNzd29yZA==')).toBe('Authorization: Basic [redacted]');
    expect(scrubTokens('Basic authentication is required')).toBe('Basic authentication is required');
  });

  test('ordinary values stay readable: ids, UUIDs, hex digests, slugs, e-mails, URLs', () => {
    const ordinary = {
      channel: 'C0123ABCDEF',
      thread_ts: '1712345678.123456',
      event_id: '4hj2k3l4m5n6o7p8q9r0s1t2u3v4w5x6',
      contact: '7b0e3f0a-64f5-4a4e-9d8b-3c2a1b0f9e8d',
      digest: sha256Hex('x'),
      slug: 'quarterly-business-review-with-the-northwind-team',
      email: 'dana.smith@example.com',
      url: 'https://example.com/docs/getting-started/install?ref=newsletter',
      text: 'Deploy finished: 42 services updated, 0 failures.',
      count: 3,
    };
    expect(redactSecrets(ordinary)).toEqual(ordinary);
  });

  test('redaction is idempotent and never changes its input', () => {
    const input = { text: `token ${SLACK}`, password: 'p' };
    const once = redactSecrets(input);
    expect(redactSecrets(once)).toEqual(once);
    expect(input.password).toBe('p');
  });
});

describe('per-tool rules (audit.redact)', () => {
  const rules = auditRedactConfigSchema.parse({
    'slack_*': { text: 'hash' },
    slack_post_message: { 'blocks.*.text': 'drop' },
    crm_create_contact: { email: 'mask', phone: 'mask', 'properties.notes': 'drop' },
    calendar_create_event: { 'attendees.email': 'mask' },
  });

  test('hash keeps sha256 of the text only', () => {
    const out = redactArgs('slack_post_message', { channel: '#general', text: 'customer Ann is unhappy' }, rules) as Record<string, unknown>;
    expect(out).toEqual({ channel: '#general', text: `sha256:${sha256Hex('customer Ann is unhappy')}` });
  });

  test('a prefix rule and an exact rule both apply; drop removes fields', () => {
    const out = redactArgs('slack_post_message', { text: 'x', blocks: [{ type: 'section', text: 'secret plan' }] }, rules);
    expect(out).toEqual({ text: `sha256:${sha256Hex('x')}`, blocks: [{ type: 'section' }] });
  });

  test('mask keeps the shape of an e-mail, or the first characters of anything else', () => {
    const out = redactArgs(
      'crm_create_contact',
      { email: 'dana@example.com', phone: '+1 555 0100', firstname: 'Dana', properties: { notes: 'VIP', city: 'Oslo' } },
      rules,
    );
    expect(out).toEqual({ email: 'd***@example.com', phone: '+1 …', firstname: 'Dana', properties: { city: 'Oslo' } });
  });

  test('arrays along a path apply the rule to every element', () => {
    const out = redactArgs('calendar_create_event', { attendees: [{ email: 'a@x.org' }, { email: 'bob@y.org', optional: true }] }, rules);
    expect(out).toEqual({ attendees: [{ email: '***@x.org' }, { email: 'b***@y.org', optional: true }] });
  });

  test('other tools are untouched by these rules, and secrets go even without rules', () => {
    expect(redactArgs('crm_get_contact', { email: 'dana@example.com', token: 't' }, rules)).toEqual({
      email: 'dana@example.com',
      token: '[redacted]',
    });
    expect(redactArgs('anything', { password: 'p' })).toEqual({ password: '[redacted]' });
  });

  test('the config schema refuses unknown actions and malformed tool keys', () => {
    expect(auditRedactConfigSchema.safeParse({ slack_post_message: { text: 'encrypt' } }).success).toBe(false);
    expect(auditRedactConfigSchema.safeParse({ 'slack*post': { text: 'hash' } }).success).toBe(false);
  });
});
