// Resource identifiers (RFC 8707) of the upstream APIs: the audience of each per-tool token.
// They name the API, not where it runs, so a sandbox token is bound the same way a real one is.
import type { Provider } from '../tools/define.js';

export type UpstreamProvider = Exclude<Provider, 'mandate'>;

export const RESOURCES: Record<UpstreamProvider, string> = {
  slack: 'https://slack.com/api',
  crm: 'https://api.hubapi.com',
  calendar: 'https://www.googleapis.com/calendar/v3',
};

/** Every scope each upstream knows, as its authorization server advertises them. */
export const PROVIDER_SCOPES: Record<UpstreamProvider, readonly string[]> = {
  slack: ['channels:read', 'channels:history', 'chat:write', 'reactions:write', 'users:read'],
  crm: ['crm.objects.contacts.read', 'crm.objects.contacts.write', 'crm.objects.deals.read', 'crm.objects.deals.write'],
  calendar: [
    'https://www.googleapis.com/auth/calendar.events.readonly',
    'https://www.googleapis.com/auth/calendar.events',
    'https://www.googleapis.com/auth/calendar.freebusy',
  ],
};
