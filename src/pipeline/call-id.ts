// The tool-call ID: a ULID (sortable by time, 80 random bits). ulid's own random source asks
// WebCrypto for one byte per character, 16 calls of about 2 µs each per ID; here the bytes
// come from a pool refilled by the same CSPRNG, so an ID costs well under a microsecond.
import { randomFillSync } from 'node:crypto';
import { ulid } from 'ulid';

const pool = Buffer.alloc(4096);
let next = pool.length;

/** A random number in [0, 1) with 8 bits of CSPRNG entropy (ulid uses 5 per character). */
function pooledRandom(): number {
  if (next >= pool.length) {
    randomFillSync(pool);
    next = 0;
  }
  return pool[next++]! / 256;
}

/** A new `call_id`. */
export function newCallId(): string {
  return ulid(undefined, pooledRandom);
}
