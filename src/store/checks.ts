// Input checks both backends share: audit inputs validated into records to seal, times as
// ISO 8601 UTC, rate windows. Each refusal is a `StoreError` (`invalid`) naming what is wrong.
import { normalizeAuditInput } from '../audit/record.js';
import type { AuditInput, NormalizedAuditInput } from '../audit/record.js';
import { StoreError } from './errors.js';

/** Validates audit inputs; a `StoreError` (`invalid`) names the bad fields. */
export function normalizeAll(inputs: AuditInput[]): NormalizedAuditInput[] {
  try {
    return inputs.map(normalizeAuditInput);
  } catch (err) {
    const issues = (err as { issues?: { path: PropertyKey[]; message: string }[] }).issues;
    const what = issues ? issues.map((i) => `${i.path.map(String).join('.') || '(record)'}: ${i.message}`).join('; ') : String(err);
    throw new StoreError('invalid', `invalid audit record: ${what}`);
  }
}

/** Refuses a rate window or clock that is not a positive / finite number. */
export function checkRate(windowMs: number, now: number): void {
  if (!Number.isFinite(windowMs) || windowMs <= 0) throw new StoreError('invalid', 'windowMs must be a positive number');
  if (!Number.isFinite(now)) throw new StoreError('invalid', 'now must be a number (epoch ms)');
}

/** An ISO time from a Date, epoch ms or now; a `StoreError` for an invalid one. */
export function toIso(now: Date | number | undefined): string {
  const d = now === undefined ? new Date() : typeof now === 'number' ? new Date(now) : now;
  if (Number.isNaN(d.getTime())) throw new StoreError('invalid', 'invalid time');
  return d.toISOString();
}

/** A caller's ISO time, normalised; a `StoreError` naming the field when it is not one. */
export function isoField(value: string, name: string): string {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new StoreError('invalid', `${name} is not a valid ISO 8601 time`);
  return d.toISOString();
}
