// The embedded sandbox: the three emulators on 127.0.0.1, seeded with demo data.
import type { Emulator, TokenVerifier } from './http.js';
import type { UpstreamProvider } from '../resources.js';
import { startSlackEmulator } from './slack/emulator.js';
import { startCrmEmulator } from './crm/emulator.js';
import { startCalendarEmulator } from './calendar/emulator.js';

export interface Sandbox {
  emulators: Record<UpstreamProvider, Emulator>;
  /** Connector base URLs, as the real APIs' base URLs would be configured. */
  baseUrls: Record<UpstreamProvider, string>;
  close(): Promise<void>;
}

/** The demo user every sandbox delegation is for. */
export const DEMO_USER = { id: 'demo-user', name: 'Dana Demo', email: 'dana@example.com' } as const;
export const DEMO_AGENT = 'demo-agent';

/** Starts the emulators; `verifiers` check bearer tokens per provider (the authorization server's JWKS). */
export async function startSandbox(verifiers: Partial<Record<UpstreamProvider, TokenVerifier>> = {}): Promise<Sandbox> {
  const [slack, crm, calendar] = await Promise.all([
    startSlackEmulator({ verifier: verifiers.slack }),
    startCrmEmulator({ verifier: verifiers.crm }),
    startCalendarEmulator({ verifier: verifiers.calendar }),
  ]);
  return {
    emulators: { slack, crm, calendar },
    baseUrls: { slack: `${slack.url}/api`, crm: crm.url, calendar: `${calendar.url}/calendar/v3` },
    close: async () => { await Promise.all([slack.close(), crm.close(), calendar.close()]); },
  };
}
