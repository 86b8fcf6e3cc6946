// Which scope each provider method or endpoint needs, per provider: the egress gate lets a
// request through only when its per-tool token carries one of them. A method or endpoint not
// in the table is refused: the gate opens exactly what Mandate's tools use, nothing more.
// Pure: a method, a path and the request's parameters in; the scopes (any one suffices) out.
import type { UpstreamProvider } from '../resources.js';

/** What a request needs: any one of `anyOf`; `name` is how the provider names the call. */
export interface EgressRule {
  name: string;
  anyOf: readonly string[];
}

const SLACK_TYPE_SCOPES: Record<string, string> = {
  public_channel: 'channels:read', private_channel: 'groups:read', mpim: 'mpim:read', im: 'im:read',
};

/** Slack Web API methods (https://api.slack.com/methods): the scope each needs. */
const SLACK_METHODS: Record<string, (params: URLSearchParams) => readonly string[] | null> = {
  'auth.test': () => [],
  'conversations.list': (p) => {
    const types = (p.get('types') ?? 'public_channel').split(',').map((t) => t.trim()).filter(Boolean);
    const scopes = types.map((t) => SLACK_TYPE_SCOPES[t]);
    // Every type asked for needs its own scope; one scope is then the only acceptable answer.
    return scopes.some((s) => s === undefined) ? null : scopes.length === 1 ? [scopes[0]!] : null;
  },
  'conversations.info': () => ['channels:read'],
  'conversations.history': () => ['channels:history'],
  'conversations.replies': () => ['channels:history'],
  'users.info': () => ['users:read'],
  'chat.postMessage': () => ['chat:write'],
  'reactions.add': () => ['reactions:write'],
};

const CRM_TYPES: Record<string, { read: string; write: string }> = {
  contacts: { read: 'crm.objects.contacts.read', write: 'crm.objects.contacts.write' },
  deals: { read: 'crm.objects.deals.read', write: 'crm.objects.deals.write' },
  notes: { read: 'crm.objects.contacts.read', write: 'crm.objects.contacts.write' },
};

const GCAL = 'https://www.googleapis.com/auth/calendar';

/**
 * The rule for one request, or null when the gate does not open it. `path` is relative to the
 * provider's base URL (`/chat.postMessage`, `/crm/v3/objects/contacts`, `/calendars/primary/events`).
 */
export function egressRule(provider: UpstreamProvider, method: string, path: string, params: URLSearchParams): EgressRule | null {
  const m = method.toUpperCase();
  switch (provider) {
    case 'slack': {
      const name = /^\/([a-zA-Z]+(?:\.[a-zA-Z]+)+)$/.exec(path)?.[1];
      if (!name || !Object.hasOwn(SLACK_METHODS, name) || (m !== 'GET' && m !== 'POST')) return null;
      const anyOf = SLACK_METHODS[name]!(params);
      return anyOf ? { name, anyOf } : null;
    }
    case 'crm': {
      const r = /^\/crm\/v3\/objects\/(contacts|deals|notes)(\/search|\/[^/]+)?$/.exec(path);
      if (!r) return null;
      const scopes = CRM_TYPES[r[1]!]!;
      const sub = r[2];
      const name = `${m} /crm/v3/objects/${r[1]}${sub === '/search' ? '/search' : sub ? '/{id}' : ''}`;
      if (m === 'GET' && sub !== '/search') return { name, anyOf: [scopes.read] };
      if (m === 'POST' && sub === '/search') return { name, anyOf: [scopes.read] };
      if (m === 'POST' && !sub) return { name, anyOf: [scopes.write] };
      if (m === 'PATCH' && sub && sub !== '/search') return { name, anyOf: [scopes.write] };
      return null;
    }
    case 'calendar': {
      if (m === 'POST' && path === '/freeBusy') return { name: 'POST /freeBusy', anyOf: [`${GCAL}.freebusy`, `${GCAL}.events.readonly`, `${GCAL}.events`] };
      const r = /^\/calendars\/[^/]+\/events(\/[^/]+)?$/.exec(path);
      if (!r) return null;
      const name = `${m} /calendars/{calendarId}/events${r[1] ? '/{eventId}' : ''}`;
      if (m === 'GET') return { name, anyOf: [`${GCAL}.events.readonly`, `${GCAL}.events`] };
      if ((m === 'POST' && !r[1]) || ((m === 'PATCH' || m === 'DELETE') && r[1])) return { name, anyOf: [`${GCAL}.events`] };
      return null;
    }
  }
}
