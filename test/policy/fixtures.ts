// The contract's first tool set, as the policy sees it (name, access, destructive).
import type { PolicyTool } from '../../src/policy/decide.js';
import { parseAgentsConfig } from '../../src/policy/config.js';

export const TOOLS: readonly PolicyTool[] = [
  { name: 'slack_list_channels', access: 'read' },
  { name: 'slack_read_history', access: 'read' },
  { name: 'slack_read_thread', access: 'read' },
  { name: 'slack_get_user', access: 'read' },
  { name: 'slack_post_message', access: 'write' },
  { name: 'slack_reply_in_thread', access: 'write' },
  { name: 'slack_add_reaction', access: 'write' },
  { name: 'crm_search_contacts', access: 'read' },
  { name: 'crm_get_contact', access: 'read' },
  { name: 'crm_list_deals', access: 'read' },
  { name: 'crm_get_deal', access: 'read' },
  { name: 'crm_create_contact', access: 'write' },
  { name: 'crm_update_deal_stage', access: 'write' },
  { name: 'crm_create_note', access: 'write' },
  { name: 'calendar_list_events', access: 'read' },
  { name: 'calendar_find_free_time', access: 'read' },
  { name: 'calendar_create_event', access: 'write' },
  { name: 'calendar_respond_to_event', access: 'write' },
  { name: 'calendar_delete_event', access: 'write', destructive: true },
  { name: 'mandate_whoami', access: 'read' },
  { name: 'mandate_approval_status', access: 'read' },
];

export function tool(name: string): PolicyTool {
  const t = TOOLS.find((x) => x.name === name);
  if (!t) throw new Error(`no fixture tool ${name}`);
  return t;
}

/** The example config of ARCHITECTURE.md, parsed through the real schema. */
export const CONTRACT_AGENTS = parseAgentsConfig({
  reader: { readOnly: true },
  assistant: {
    tools: {
      slack_post_message: { capability: 'approve', channels: ['#support-updates'], rate: '10/hour' },
      calendar_create_event: { capability: 'approve', attendeeDomains: ['example.com'] },
      calendar_delete_event: 'deny',
      'crm_*': 'allow',
    },
  },
});

export const NOW = new Date('2025-06-02T10:00:00Z');
