// One token kept until shortly before it expires, renewed by one request at a time: concurrent
// callers during a renewal share it. Used for the user's subject token (refresh grant) and
// the agent's actor token (client credentials).

/** A token and when it expires (epoch seconds). */
export interface Expiring {
  token: string;
  exp: number;
}

/** Returns a getter that reuses the token until `renewBeforeSeconds` before `exp`. */
export function cachedToken(
  obtain: () => Promise<Expiring>,
  opts: { renewBeforeSeconds: number; now: () => number },
): () => Promise<string> {
  let current: Expiring | undefined;
  let renewing: Promise<Expiring> | undefined;
  return async () => {
    const nowSec = Math.floor(opts.now() / 1000);
    if (current && current.exp - opts.renewBeforeSeconds > nowSec) return current.token;
    renewing ??= obtain()
      .then((t) => {
        current = t;
        return t;
      })
      .finally(() => {
        renewing = undefined;
      });
    return (await renewing).token;
  };
}

/** Expiry of a token response: `expires_in` when given, else the JWT's `exp`, else 60 s. */
export function expiryOf(nowMs: number, expiresIn: number | undefined, jwtExp: number | undefined): number {
  const nowSec = Math.floor(nowMs / 1000);
  const candidates = [expiresIn !== undefined ? nowSec + expiresIn : undefined, jwtExp].filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  return candidates.length ? Math.min(...candidates) : nowSec + 60;
}
