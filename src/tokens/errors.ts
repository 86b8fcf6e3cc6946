// Turns a failure to get a token into the contract's errors: only `invalid_grant` means the
// delegation is gone (delegation_revoked, the user must sign in again); every other refusal,
// and a server that cannot be reached, is token_unavailable with a plain reason. The token
// itself never appears; the technical cause goes to `detail` (audit record and log only).
import { DelegationRevoked, MandateError, TokenUnavailable } from '../errors.js';
import { scrubString } from '../log.js';
import { OAuthFailure } from './oauth.js';

/** Maps any error met while getting `what` (e.g. "a Slack token") to a MandateError. */
export function tokenError(err: unknown, what: string): MandateError {
  if (err instanceof MandateError) return err;
  if (err instanceof OAuthFailure) {
    const f = err.failure;
    if (f.kind === 'transient') {
      return new TokenUnavailable(`The authorization server could not be reached for ${what}; try again shortly.`, { detail: f.detail });
    }
    const detail = `${f.error}${f.description ? `: ${f.description}` : ''}`;
    if (f.error === 'invalid_grant') {
      return new DelegationRevoked('The user\'s delegation to this agent was revoked or has ended; the user must sign in again (mandate login).', { detail });
    }
    return new TokenUnavailable(`The authorization server refused ${what} (${detail}).`, { detail });
  }
  const message = err instanceof Error ? scrubString(err.message) : 'unknown failure';
  return new TokenUnavailable(`Could not obtain ${what}.`, { detail: message });
}
