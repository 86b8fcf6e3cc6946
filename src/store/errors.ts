// Typed errors of the store, so callers can `switch (err.code)` (an approval already decided,
// expired, or unknown) instead of matching messages. Messages never carry secrets.

export type StoreErrorCode = 'not_found' | 'not_pending' | 'expired' | 'invalid' | 'closed' | 'io';

/** A refused store operation. */
export class StoreError extends Error {
  readonly code: StoreErrorCode;
  constructor(code: StoreErrorCode, message: string) {
    super(message);
    this.name = 'StoreError';
    this.code = code;
  }
}
