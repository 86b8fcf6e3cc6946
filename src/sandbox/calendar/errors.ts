// Google API error bodies, exactly as Calendar v3 sends them: the classic
// `{error: {errors: [{domain, reason, message, ...}], code, message}}` envelope, and the
// newer auth-layer form (with `status`) used for 401 and 403 scope failures.
import type { SandboxResponse } from '../http.js';

/** One entry of a Google error's `errors` array. */
export interface GoogleErrorItem {
  domain: string;
  reason: string;
  message: string;
  location?: string;
  locationType?: string;
}

/** The body of every Google API error response. */
export interface GoogleErrorBody {
  error: { code: number; message: string; errors: GoogleErrorItem[]; status?: string };
}

/** A classic Calendar v3 error (what the API's own handlers answer). */
export function googleError(
  code: number,
  reason: string,
  message: string,
  more: { domain?: string; location?: string; locationType?: string; headers?: Record<string, string> } = {},
): SandboxResponse {
  const item: GoogleErrorItem = { domain: more.domain ?? 'global', reason, message };
  if (more.location) { item.location = more.location; item.locationType = more.locationType ?? 'parameter'; }
  const body: GoogleErrorBody = { error: { errors: [item], code, message } };
  return { status: code, body, ...(more.headers ? { headers: more.headers } : {}) };
}

const AUTH_HINT =
  'Expected OAuth 2 access token, login cookie or other valid authentication credential. ' +
  'See https://developers.google.com/identity/sign-in/web/devconsole-project.';
const REALM = 'Bearer realm="https://accounts.google.com/"';

/** 401 for a request with no bearer token at all (Google says "Login Required"). */
export function loginRequired(): SandboxResponse {
  const body: GoogleErrorBody = {
    error: {
      code: 401,
      message: `Request is missing required authentication credential. ${AUTH_HINT}`,
      errors: [{ message: 'Login Required.', domain: 'global', reason: 'required', location: 'Authorization', locationType: 'header' }],
      status: 'UNAUTHENTICATED',
    },
  };
  return { status: 401, body, headers: { 'www-authenticate': REALM } };
}

/** 401 for a token that is invalid, expired, revoked or meant for another API. */
export function invalidCredentials(): SandboxResponse {
  const body: GoogleErrorBody = {
    error: {
      code: 401,
      message: `Request had invalid authentication credentials. ${AUTH_HINT}`,
      errors: [{ message: 'Invalid Credentials', domain: 'global', reason: 'authError', location: 'Authorization', locationType: 'header' }],
      status: 'UNAUTHENTICATED',
    },
  };
  return { status: 401, body, headers: { 'www-authenticate': `${REALM}, error="invalid_token"` } };
}

/** 403 for a valid token that lacks every scope the endpoint accepts. */
export function insufficientScopes(requiredAnyOf: readonly string[]): SandboxResponse {
  const body: GoogleErrorBody = {
    error: {
      code: 403,
      message: 'Request had insufficient authentication scopes.',
      errors: [{ message: 'Insufficient Permission', domain: 'global', reason: 'insufficientPermissions' }],
      status: 'PERMISSION_DENIED',
    },
  };
  return {
    status: 403,
    body,
    headers: { 'www-authenticate': `${REALM}, error="insufficient_scope", scope="${requiredAnyOf.join(' ')}"` },
  };
}

export const notFound = (): SandboxResponse => googleError(404, 'notFound', 'Not Found');
export const deleted = (): SandboxResponse => googleError(410, 'deleted', 'Resource has been deleted');
export const parseError = (): SandboxResponse => googleError(400, 'parseError', 'Parse Error');
export const badRequest = (): SandboxResponse => googleError(400, 'badRequest', 'Bad Request');
export const invalidParam = (location: string, message = 'Invalid Value'): SandboxResponse =>
  googleError(400, 'invalid', message, { location });
export const required = (message: string, location?: string): SandboxResponse =>
  googleError(400, 'required', message, location ? { location } : {});
export const timeRangeEmpty = (location = 'timeMax'): SandboxResponse =>
  googleError(400, 'timeRangeEmpty', 'The specified time range is empty.', { domain: 'calendar', location });

/** The body Google sends with an injected 429 or 5xx. */
export function faultBody(status: number): GoogleErrorBody {
  if (status === 429) {
    return { error: { errors: [{ domain: 'usageLimits', reason: 'rateLimitExceeded', message: 'Rate Limit Exceeded' }], code: 429, message: 'Rate Limit Exceeded' } };
  }
  if (status === 503) {
    const message = 'The service is currently unavailable.';
    return { error: { code: 503, message, errors: [{ message, domain: 'global', reason: 'backendError' }], status: 'UNAVAILABLE' } };
  }
  if (status >= 500) {
    return { error: { errors: [{ domain: 'global', reason: 'backendError', message: 'Backend Error' }], code: status, message: 'Backend Error' } };
  }
  const byStatus: Record<number, () => SandboxResponse> = {
    401: invalidCredentials, 403: () => insufficientScopes([]), 404: notFound, 410: deleted,
  };
  return (byStatus[status] ?? badRequest)().body as GoogleErrorBody;
}
