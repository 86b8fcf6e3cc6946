// Plain words for what a consent page grants: each resource's name and each scope's meaning,
// so a user reads "post messages in Slack", not "chat:write".
import { RESOURCES } from '../resources.js';

const RESOURCE_NAMES: Record<string, string> = {
  [RESOURCES.slack]: 'Slack',
  [RESOURCES.crm]: 'HubSpot CRM',
  [RESOURCES.calendar]: 'Google Calendar',
};

const SCOPE_WORDS: Record<string, string> = {
  'channels:read': 'see the list of channels',
  'channels:history': 'read messages in channels',
  'chat:write': 'post messages as you',
  'reactions:write': 'add emoji reactions',
  'users:read': 'see people in your workspace',
  'crm.objects.contacts.read': 'read contacts',
  'crm.objects.contacts.write': 'create and change contacts',
  'crm.objects.deals.read': 'read deals',
  'crm.objects.deals.write': 'change deals',
  'https://www.googleapis.com/auth/calendar.events.readonly': 'read your events',
  'https://www.googleapis.com/auth/calendar.events': 'create, change and delete your events',
  'https://www.googleapis.com/auth/calendar.freebusy': 'see when you are free or busy',
  'mandate:tools': 'call tools through Mandate, each under the rules set for this agent',
};

/** The human name of a resource (the Mandate MCP endpoint is named by the caller). */
export function resourceName(resource: string, mcpResource: string): string {
  if (resource === mcpResource) return 'Mandate';
  return RESOURCE_NAMES[resource] ?? resource;
}

/** One scope in plain words (the scope itself when it has none). */
export function scopeWords(scope: string): string {
  return SCOPE_WORDS[scope] ?? scope;
}
