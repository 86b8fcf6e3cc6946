// HubSpot's error bodies, as api.hubapi.com sends them: {status:"error", message, correlationId,
// category, ...}. Every failure the CRM emulator answers is built here, so the connector reads
// the emulator exactly as it reads HubSpot.
import { randomUUID } from 'node:crypto';
import { decodeJwt } from 'jose';
import type { BearerCheck, SandboxResponse } from '../http.js';

/** The common shape of a HubSpot error body. */
export interface HubSpotError {
  status: 'error';
  message: string;
  correlationId: string;
  category?: string;
  [extra: string]: unknown;
}

/** One entry of a "Property values were not valid" message. */
export interface PropertyProblem {
  name: string;
  error: 'PROPERTY_DOESNT_EXIST' | 'INVALID_OPTION' | 'INVALID_EMAIL' | 'INVALID_INTEGER' | 'INVALID_DATE' | 'READ_ONLY_VALUE' | 'REQUIRED';
  message: string;
}

function body(message: string, category: string | undefined, extra: Record<string, unknown> = {}): HubSpotError {
  const b: HubSpotError = { status: 'error', message, correlationId: randomUUID() };
  Object.assign(b, extra);
  if (category) b.category = category;
  return b;
}

/** A HubSpot error response with the correlation ID also in its header, as HubSpot does. */
export function hubspotError(status: number, message: string, category?: string, extra: Record<string, unknown> = {}): SandboxResponse {
  const b = body(message, category, extra);
  return { status, body: b, headers: { 'x-hubspot-correlation-id': b.correlationId } };
}

/** 404 for a record ID that does not exist. */
export const objectNotFound = (id: string): SandboxResponse =>
  hubspotError(404, 'Object not found.  objectId are usually numeric.', 'OBJECT_NOT_FOUND', { context: { id: [id] } });

/** 404 for a path HubSpot does not serve. */
export const resourceNotFound = (): SandboxResponse => hubspotError(404, 'resource not found');

/** 400 for a body that is not JSON (HubSpot's Jackson parser wording; no category). */
export const invalidJson = (detail: string): SandboxResponse =>
  hubspotError(400, `Invalid input JSON on line 1, column 1: ${detail}`);

/** 400 VALIDATION_ERROR with a plain message. */
export const validationError = (message: string, extra: Record<string, unknown> = {}): SandboxResponse =>
  hubspotError(400, message, 'VALIDATION_ERROR', extra);

/** 400 VALIDATION_ERROR listing bad property values, JSON inside the message as HubSpot writes it. */
export function invalidProperties(problems: PropertyProblem[]): SandboxResponse {
  const items = problems.map((p) => ({ isValid: false, message: p.message, error: p.error, name: p.name, localizedErrorMessage: p.message }));
  return validationError(`Property values were not valid: ${JSON.stringify(items)}`);
}

/** 409 CONFLICT for a second contact with an email already on file. */
export const contactExists = (existingId: string): SandboxResponse =>
  hubspotError(409, `Contact already exists. Existing ID: ${existingId}`, 'CONFLICT');

const AUTH_NOT_FOUND =
  'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview';

/** "expired 7 second(s) ago", in the largest whole unit, from the token's own `exp` when it has one. */
function expiredAgo(token: string | undefined, now: Date): string {
  let seconds = 0;
  try {
    const exp = token ? decodeJwt(token).exp : undefined;
    if (typeof exp === 'number') seconds = Math.max(0, Math.floor(now.getTime() / 1000 - exp));
  } catch {
    // not a JWT: the age is unknown
  }
  const units: [number, string][] = [[86400, 'day'], [3600, 'hour'], [60, 'minute'], [1, 'second']];
  const [size, unit] = units.find(([s]) => seconds >= s) ?? [1, 'second'];
  return `${Math.floor(seconds / size)} ${unit}(s) ago`;
}

/** A failed bearer check in HubSpot's words: 403 MISSING_SCOPES, 401 EXPIRED_ or INVALID_AUTHENTICATION. */
export function authFailure(
  check: Extract<BearerCheck, { ok: false }>,
  required: readonly string[],
  token: string | undefined,
  now: Date,
): SandboxResponse {
  if (check.reason === 'insufficient_scope') {
    return hubspotError(
      403,
      "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.",
      'MISSING_SCOPES',
      {
        errors: [{ message: 'One or more of the following scopes are required.', context: { requiredGranularScopes: [...required] } }],
        links: { scopes: 'https://developers.hubspot.com/scopes' },
      },
    );
  }
  if (check.reason === 'expired') {
    return hubspotError(401, `The OAuth token used to make this call expired ${expiredAgo(token, now)}.`, 'EXPIRED_AUTHENTICATION');
  }
  // missing, invalid, wrong audience and revoked all read the same at HubSpot.
  return hubspotError(401, AUTH_NOT_FOUND, 'INVALID_AUTHENTICATION');
}

/** The body of an injected fault: HubSpot's rate-limit answer for 429, its generic error otherwise. */
export function faultBody(status: number): HubSpotError {
  if (status === 429) {
    const b = body('You have reached your ten_secondly_rolling limit.', undefined, { errorType: 'RATE_LIMIT' });
    b.policyName = 'TEN_SECONDLY_ROLLING';
    return b;
  }
  if (status >= 500) return body('internal error', undefined);
  return body(`HTTP ${status}`, undefined);
}
