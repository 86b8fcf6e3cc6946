// Passkey presence for the approval console: the operator's enrolled passkeys (id, public key,
// counter, label in `<home>/passkeys.json`, 0600) and the WebAuthn ceremonies around them.
// An approval is given only with an assertion whose challenge the server issued for exactly
// that approval: challenge = SHA-256(random nonce, approval id, args digest), single-use,
// bound to the console session that asked for it and valid for a few minutes; the assertion
// must carry user verification, come from the console's origin for RP ID `localhost`, and
// move the credential's counter forward. Enrolling a further passkey needs an assertion from
// one already enrolled, so a holder of the console link alone cannot add their own.
import fs from 'node:fs';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import {
  generateAuthenticationOptions, generateRegistrationOptions, verifyAuthenticationResponse, verifyRegistrationResponse,
  type AuthenticationResponseJSON, type PublicKeyCredentialCreationOptionsJSON, type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { writePrivateFile } from './sessions.js';

/** WebAuthn does not accept an IP address as RP ID: the console is served as http://localhost:PORT. */
export const RP_ID = 'localhost';
export const PASSKEYS_FILE = 'passkeys.json';
/** How long an issued challenge can be answered. */
const CHALLENGE_TTL_MS = 5 * 60_000;
/** How long after an assertion the same session may enrol another passkey. */
const ENROL_AFTER_PRESENCE_MS = 5 * 60_000;

export interface StoredPasskey {
  id: string;
  /** COSE public key, base64url. */
  publicKey: string;
  counter: number;
  label: string;
  transports?: string[];
  created_at: string;
}

/** What a challenge was issued for. */
type Purpose = { kind: 'approve'; approvalId: string; argsDigest: string } | { kind: 'enrol-presence' } | { kind: 'register' };

interface Pending {
  purpose: Purpose;
  /** The console session that asked (compared by identity). */
  session: object;
  expiresAt: number;
}

/** A refusal with a short reason the console may show. */
export class PasskeyRefused extends Error {
  constructor(message: string, readonly status: 400 | 403 | 409 = 403) {
    super(message);
    this.name = 'PasskeyRefused';
  }
}

function challengeFromClientData(response: { response?: { clientDataJSON?: unknown } }): string {
  try {
    const raw = response.response?.clientDataJSON;
    if (typeof raw !== 'string') throw new Error('no clientDataJSON');
    const c = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as { challenge?: unknown };
    if (typeof c.challenge !== 'string') throw new Error('no challenge');
    return c.challenge;
  } catch {
    throw new PasskeyRefused('the passkey response is malformed', 400);
  }
}

/** The enrolled passkeys of one state directory and the challenges in flight. */
export class Passkeys {
  private readonly pending = new Map<string, Pending>();
  /** The console's origin, `http://localhost:PORT` (set once the server listens). */
  origin = '';

  constructor(private readonly home: string, private readonly userName: string) {}

  private get file(): string {
    return path.join(this.home, PASSKEYS_FILE);
  }

  /** The enrolled passkeys (read each time: `mandate approvals enroll` may add one from another process). */
  list(): StoredPasskey[] {
    try {
      const parsed = JSON.parse(fs.readFileSync(this.file, 'utf8')) as { passkeys?: StoredPasskey[] };
      return Array.isArray(parsed.passkeys) ? parsed.passkeys : [];
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  private save(list: StoredPasskey[]): void {
    writePrivateFile(this.file, `${JSON.stringify({ passkeys: list }, null, 2)}\n`);
  }

  private issue(purpose: Purpose, session: object, challenge: Uint8Array): string {
    const now = Date.now();
    for (const [k, p] of this.pending) if (p.expiresAt <= now) this.pending.delete(k);
    const b64 = Buffer.from(challenge).toString('base64url');
    this.pending.set(b64, { purpose, session, expiresAt: now + CHALLENGE_TTL_MS });
    return b64;
  }

  /** Takes (once) the pending challenge the response answers, if it was issued to `session`. */
  private take(response: { response?: { clientDataJSON?: unknown } }, session: object): { challenge: string; purpose: Purpose } {
    const challenge = challengeFromClientData(response);
    const p = this.pending.get(challenge);
    this.pending.delete(challenge);
    if (!p || p.session !== session || p.expiresAt <= Date.now()) throw new PasskeyRefused('this passkey challenge is unknown, used or expired; try again');
    return { challenge, purpose: p.purpose };
  }

  /** Assertion options for approving one approval (the challenge names it and its arguments). */
  async approvalOptions(approval: { approval_id: string; args_digest: string }, session: object): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const creds = this.list();
    if (!creds.length) throw new PasskeyRefused('no passkey is enrolled: run "mandate approvals enroll"', 409);
    const nonce = randomBytes(32);
    const challenge = createHash('sha256')
      .update(nonce).update('\0').update(approval.approval_id).update('\0').update(approval.args_digest)
      .digest();
    this.issue({ kind: 'approve', approvalId: approval.approval_id, argsDigest: approval.args_digest }, session, challenge);
    return generateAuthenticationOptions({
      rpID: RP_ID, challenge, userVerification: 'required',
      allowCredentials: creds.map((c) => ({ id: c.id, ...(c.transports ? { transports: c.transports } : {}) })),
    });
  }

  /** Assertion options proving presence before enrolling a further passkey. */
  async presenceOptions(session: object): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const creds = this.list();
    const challenge = this.issue({ kind: 'enrol-presence' }, session, randomBytes(32));
    return generateAuthenticationOptions({
      rpID: RP_ID, challenge: Buffer.from(challenge, 'base64url'), userVerification: 'required',
      allowCredentials: creds.map((c) => ({ id: c.id })),
    });
  }

  /**
   * Verifies an assertion for `expected` (an approval, or presence before enrolling); returns the
   * passkey that made it, its counter moved forward. Anything else throws `PasskeyRefused`.
   */
  async verifyAssertion(
    response: AuthenticationResponseJSON,
    session: object,
    expected: { kind: 'approve'; approvalId: string; argsDigest: string } | { kind: 'enrol-presence' },
  ): Promise<StoredPasskey> {
    const { challenge, purpose } = this.take(response, session);
    if (purpose.kind !== expected.kind) throw new PasskeyRefused('this passkey assertion was made for something else');
    if (purpose.kind === 'approve' && expected.kind === 'approve'
      && (purpose.approvalId !== expected.approvalId || purpose.argsDigest !== expected.argsDigest)) {
      throw new PasskeyRefused('this passkey assertion was made for another approval');
    }
    const list = this.list();
    const cred = list.find((c) => c.id === response.id);
    if (!cred) throw new PasskeyRefused('this passkey is not enrolled');
    let result;
    try {
      result = await verifyAuthenticationResponse({
        response, expectedChallenge: challenge, expectedOrigin: this.origin, expectedRPID: RP_ID, requireUserVerification: true,
        credential: { id: cred.id, publicKey: Buffer.from(cred.publicKey, 'base64url'), counter: cred.counter },
      });
    } catch (err) {
      throw new PasskeyRefused(`the passkey assertion is not valid: ${(err as Error).message}`);
    }
    if (!result.verified || !result.authenticationInfo.userVerified) throw new PasskeyRefused('the passkey assertion is not valid');
    cred.counter = result.authenticationInfo.newCounter;
    this.save(list);
    if (expected.kind === 'enrol-presence') (session as { presenceAt?: number }).presenceAt = Date.now();
    return cred;
  }

  /** Registration options; refused when passkeys exist and this session has not just proven one. */
  async registrationOptions(session: { presenceAt?: number }): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const creds = this.list();
    if (creds.length && !((session.presenceAt ?? 0) > Date.now() - ENROL_AFTER_PRESENCE_MS)) {
      throw new PasskeyRefused('a passkey is already enrolled: confirm with it before adding another');
    }
    const challenge = this.issue({ kind: 'register' }, session, randomBytes(32));
    return generateRegistrationOptions({
      rpName: 'Mandate approvals', rpID: RP_ID, userName: this.userName, challenge: Buffer.from(challenge, 'base64url'),
      attestationType: 'none',
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
      excludeCredentials: creds.map((c) => ({ id: c.id })),
    });
  }

  /** Verifies a registration answering this session's challenge and stores the passkey. */
  async register(response: RegistrationResponseJSON, session: object, label: string): Promise<StoredPasskey> {
    const { challenge, purpose } = this.take(response, session);
    if (purpose.kind !== 'register') throw new PasskeyRefused('this passkey response was made for something else');
    let result;
    try {
      result = await verifyRegistrationResponse({
        response, expectedChallenge: challenge, expectedOrigin: this.origin, expectedRPID: RP_ID, requireUserVerification: true,
      });
    } catch (err) {
      throw new PasskeyRefused(`the passkey registration is not valid: ${(err as Error).message}`, 400);
    }
    if (!result.verified) throw new PasskeyRefused('the passkey registration is not valid', 400);
    const { credential } = result.registrationInfo;
    const list = this.list();
    const stored: StoredPasskey = {
      id: credential.id,
      publicKey: Buffer.from(credential.publicKey).toString('base64url'),
      counter: credential.counter,
      label: label.trim().slice(0, 60) || `passkey ${credential.id.slice(0, 8)}`,
      ...(credential.transports?.length ? { transports: credential.transports } : {}),
      created_at: new Date().toISOString(),
    };
    this.save([...list.filter((c) => c.id !== stored.id), stored]);
    return stored;
  }
}
