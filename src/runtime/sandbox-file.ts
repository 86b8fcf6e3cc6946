// Where a running sandbox says what it serves, so `mandate sandbox token` (another process)
// can reach its authorization server. Holds URLs only, never a secret.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const sandboxInfoSchema = z.object({
  pid: z.number().int(),
  issuer: z.url(),
  mcpResource: z.string(),
  baseUrls: z.object({ slack: z.url(), crm: z.url(), calendar: z.url() }),
});
export type SandboxInfo = z.infer<typeof sandboxInfoSchema>;

const file = (home: string) => path.join(home, 'sandbox.json');

export function writeSandboxInfo(home: string, info: SandboxInfo): void {
  fs.writeFileSync(file(home), JSON.stringify(info, null, 2), { mode: 0o600 });
}

export function removeSandboxInfo(home: string, pid = process.pid): void {
  const info = readSandboxInfo(home);
  if (info?.pid === pid) fs.rmSync(file(home), { force: true });
}

/** The running sandbox's info, or null when none runs (a stale file of a dead process counts as none). */
export function readSandboxInfo(home: string): SandboxInfo | null {
  try {
    const info = sandboxInfoSchema.parse(JSON.parse(fs.readFileSync(file(home), 'utf8')));
    process.kill(info.pid, 0);
    return info;
  } catch {
    return null;
  }
}
