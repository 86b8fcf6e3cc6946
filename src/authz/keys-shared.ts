// The signing keys of a team deployment, kept in the shared store (sealed with
// `MANDATE_STORE_KEY`) instead of `<home>/keys`: the first instance creates the key, every
// other one reads it, so a token signed by one instance verifies on all. The newest key signs;
// a rotation by any instance (compare-and-set, so two at once keep one) reaches the others when
// they next refresh (on an unknown `kid`, on `/jwks`, and every `REFRESH_MS`). Every key stays
// published until the tokens it may have signed have all expired (`retainSeconds` after it was
// superseded), then it is dropped.
import type { AuthzStateStore } from '../store/postgres/authz.js';
import { importCurrent, newKey, parseKeys, toPublic, type CurrentKey, type KeyRing, type PrivateEcJwk } from './keys.js';

/** The stored document: keys newest first, and when each was created (epoch seconds). */
interface Stored {
  keys: PrivateEcJwk[];
  created: Record<string, number>;
}

const WHERE = 'the signing keys in the store';

function parse(text: string): Stored {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error(`${WHERE} are not valid JSON`);
  }
  const created = (raw as { created?: unknown }).created;
  return { keys: parseKeys(raw, WHERE), created: typeof created === 'object' && created ? (created as Record<string, number>) : {} };
}

/** Keys still published at `now`: the newest, and each older one until `retainSeconds` after its successor was created. */
export function liveKeys(doc: Stored, now: number, retainSeconds: number): PrivateEcJwk[] {
  return doc.keys.filter((_k, i) => {
    if (i === 0) return true;
    const successor = doc.keys[i - 1]!;
    const since = doc.created[successor.kid];
    return since === undefined || since + retainSeconds > now;
  });
}

/** Loads (or, on the first start of a deployment, creates) the key ring kept in the shared store. */
export async function loadSharedKeyRing(state: AuthzStateStore, opts: { retainSeconds: number; now?: () => number }): Promise<KeyRing> {
  const now = opts.now ?? (() => Math.floor(Date.now() / 1000));
  let text = await state.getSecret('jwks');
  if (text === null) {
    const k = await newKey();
    text = await state.putSecret('jwks', JSON.stringify({ keys: [k], created: { [k.kid]: now() } }), { onlyIfMissing: true });
  }
  let stored = text;
  let doc = parse(text);
  let current: Promise<CurrentKey> | undefined;
  const published = () => liveKeys(doc, now(), opts.retainSeconds);

  const adopt = (next: string): boolean => {
    if (next === stored) return false;
    const before = doc.keys[0]?.kid;
    stored = next;
    doc = parse(next);
    if (doc.keys[0]?.kid !== before) current = undefined;
    return true;
  };

  return {
    file: WHERE,
    privateJwks: () => ({ keys: published().map((k) => ({ ...k })) }),
    publicJwks: () => ({ keys: published().map(toPublic) }),
    current: () => (current ??= importCurrent(doc.keys[0]!)),
    async rotate() {
      for (;;) {
        const k = await newKey();
        const t = now();
        const kept = liveKeys(doc, t, opts.retainSeconds);
        const next = JSON.stringify({
          keys: [k, ...kept],
          created: Object.fromEntries([[k.kid, t], ...kept.flatMap((x) => (doc.created[x.kid] === undefined ? [] : [[x.kid, doc.created[x.kid]!]]))]),
        });
        const after = await state.putSecret('jwks', next, { expected: stored });
        adopt(after);
        if (after === next) return;
        // Another instance rotated first: rotate again on top of its keys (a rotation asked is a new key).
      }
    },
    async refresh() {
      const next = await state.getSecret('jwks');
      return next !== null && adopt(next);
    },
  };
}
