// Approval receipts: a compact JWS (EdDSA, Ed25519, signed with the audit key of
// `<home>/keys/audit-key.json`) over one human decision and the exact call it answers. The
// `approval_decided` record carries the receipt; the records of the call that spent it carry
// its reference (`sha256:<hex of the JWS>`), so `audit verify` finds and checks it.
import { CompactSign, compactVerify, decodeProtectedHeader, importJWK } from 'jose';
import type { CryptoKey, JWK, KeyObject, ProtectedHeaderParameters } from 'jose';
import { z } from 'zod';
import { canonicalJson, sha256Hex } from './canonical.js';
import { loadOrCreateAuditKey } from './checkpoint.js';
import type { AuditKey } from './checkpoint.js';

/** The `typ` header of a receipt JWS. */
export const RECEIPT_TYP = 'mandate-approval-receipt+jws';
const ALG = 'EdDSA';

const receiptSchema = z.strictObject({
  approval_id: z.string().min(1),
  /** The `call_id` of the call that asked for the approval. */
  call_id: z.string().min(1),
  user: z.string(),
  agent: z.string(),
  client: z.string().nullable(),
  tool: z.string(),
  args_digest: z.string(),
  decision: z.enum(['approved', 'rejected']),
  approver: z.string().min(1),
  method: z.enum(['console', 'passkey', 'oidc', 'cli', 'elicitation']),
  decided_at: z.iso.datetime(),
  expires_at: z.iso.datetime(),
});

/** What a receipt asserts: who decided what, how and when, about which exact call. */
export type ApprovalReceipt = z.output<typeof receiptSchema>;

/** Thrown when a receipt is malformed, not signed by the audit key, or not a receipt. */
export class ReceiptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReceiptError';
  }
}

/** Signs receipts. */
export interface ReceiptSigner {
  sign(receipt: ApprovalReceipt): Promise<string>;
}

/** Signs a receipt as a compact JWS with the audit key. */
export async function signReceipt(receipt: ApprovalReceipt, key: Pick<AuditKey, 'privateKey'> & { kid?: string }): Promise<string> {
  const payload = receiptSchema.parse(receipt);
  return new CompactSign(new TextEncoder().encode(canonicalJson(payload)))
    .setProtectedHeader({ alg: ALG, typ: RECEIPT_TYP, ...(key.kid ? { kid: key.kid } : {}) })
    .sign(key.privateKey);
}

/** A signer over the state directory's audit key, loaded (or created) on first use. */
export function homeReceiptSigner(home: string): ReceiptSigner {
  let key: Promise<AuditKey> | null = null;
  return {
    sign(receipt) {
      key ??= loadOrCreateAuditKey(home);
      key.catch(() => { key = null; }); // a failed load is tried again next time
      return key.then((k) => signReceipt(receipt, k));
    },
  };
}

/** Verifies a receipt JWS against the audit public key and returns what it asserts; throws `ReceiptError` otherwise. */
export async function verifyReceipt(jws: string, publicKey: CryptoKey | KeyObject | JWK): Promise<ApprovalReceipt> {
  const key = isJwk(publicKey) ? await importJWK(publicKey, ALG) : publicKey;
  let result;
  try {
    result = await compactVerify(jws, key, { algorithms: [ALG] });
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new ReceiptError(
      code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' ? 'signature does not verify' : 'it is not a compact JWS signed with EdDSA',
    );
  }
  if (result.protectedHeader.typ !== RECEIPT_TYP) throw new ReceiptError(`it is not an approval receipt (typ must be ${RECEIPT_TYP})`);
  const parsed = receiptSchema.safeParse(parseJson(new TextDecoder().decode(result.payload)));
  if (!parsed.success) throw new ReceiptError('its payload is not an approval receipt');
  return parsed.data;
}

/** A receipt's header and payload as they are written, without checking the signature (for display). */
export function decodeReceipt(jws: string): { header: ProtectedHeaderParameters; payload: unknown } {
  try {
    const header = decodeProtectedHeader(jws);
    const payload = parseJson(Buffer.from(jws.split('.')[1] ?? '', 'base64url').toString('utf8'));
    return { header, payload };
  } catch {
    throw new ReceiptError('it is not a compact JWS');
  }
}

/** How the records of a call reference a receipt: `sha256:` and the hex SHA-256 of the JWS text. */
export function receiptRef(jws: string): string {
  return `sha256:${sha256Hex(jws)}`;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isJwk(k: unknown): k is JWK {
  return typeof k === 'object' && k !== null && typeof (k as { kty?: unknown }).kty === 'string';
}
