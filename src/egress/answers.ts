// The egress gate's refusals, each in its provider's own error shape, so a connector (and any
// client written for the real API) reads a refusal by the gate as it would read the provider's:
// Slack `{ok:false,error:"missing_scope",needed,provided}` (HTTP 200), HubSpot's JSON error
// with its category, Google's error envelope with status and reason.
import { randomUUID } from 'node:crypto';
import type { UpstreamProvider } from '../resources.js';

/** Why the gate refused: as the emulators' verifiers say it. */
export type GateRefusal = 'missing' | 'invalid' | 'expired' | 'wrong_audience' | 'revoked' | 'insufficient_scope' | 'not_allowed';

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } });

/** The provider's answer to a request the gate refused. */
export function refusalResponse(provider: UpstreamProvider, why: GateRefusal, needed: readonly string[], provided: readonly string[]): Response {
  switch (provider) {
    case 'slack': {
      if (why === 'insufficient_scope' || why === 'not_allowed') return json(200, { ok: false, error: 'missing_scope', needed: needed.join(','), provided: provided.join(',') });
      return json(200, { ok: false, error: why === 'missing' ? 'not_authed' : why === 'expired' ? 'token_expired' : 'invalid_auth' });
    }
    case 'crm': {
      const correlationId = randomUUID();
      if (why === 'insufficient_scope' || why === 'not_allowed') {
        return json(403, {
          status: 'error',
          message: "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.",
          correlationId, category: 'MISSING_SCOPES',
          errors: [{ message: 'One or more of the following scopes are required.', context: { requiredGranularScopes: [...needed] } }],
        }, { 'x-hubspot-correlation-id': correlationId });
      }
      return json(401, {
        status: 'error', correlationId,
        message: why === 'expired' ? 'The OAuth token used to make this call expired.' : 'Authentication credentials not found. This API supports OAuth 2.0 authentication.',
        category: why === 'expired' ? 'EXPIRED_AUTHENTICATION' : 'INVALID_AUTHENTICATION',
      }, { 'x-hubspot-correlation-id': correlationId });
    }
    case 'calendar': {
      if (why === 'insufficient_scope' || why === 'not_allowed') {
        return json(403, {
          error: { code: 403, message: 'Request had insufficient authentication scopes.', errors: [{ message: 'Insufficient Permission', domain: 'global', reason: 'insufficientPermissions' }], status: 'PERMISSION_DENIED' },
        }, { 'www-authenticate': `Bearer realm="https://accounts.google.com/", error="insufficient_scope", scope="${needed.join(' ')}"` });
      }
      return json(401, {
        error: {
          code: 401,
          message: 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
          errors: [{ message: 'Invalid Credentials', domain: 'global', reason: 'authError', location: 'Authorization', locationType: 'header' }],
          status: 'UNAUTHENTICATED',
        },
      }, { 'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"' });
    }
  }
}
