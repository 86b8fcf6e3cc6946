// Whole-inventory invariants: every tool is defined the same way (name, annotations derived
// from access, minimal provider scopes, object schemas without a top-level union), the
// listing matches the contract's table, and each tool's listed schemas are snapshotted so a
// change to what models see is a reviewed change.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { allTools } from '../tools/index.js';
import { annotationsFor } from '../tools/define.js';
import { jsonSchemasOf } from '../src/server/mcp.js';
import { PROVIDER_SCOPES, RESOURCES } from '../src/resources.js';

const CONTRACT: Record<string, { access: 'read' | 'write'; destructive?: boolean }> = {
  slack_list_channels: { access: 'read' }, slack_read_history: { access: 'read' }, slack_read_thread: { access: 'read' },
  slack_get_user: { access: 'read' }, slack_post_message: { access: 'write' }, slack_reply_in_thread: { access: 'write' },
  slack_add_reaction: { access: 'write' }, crm_search_contacts: { access: 'read' }, crm_get_contact: { access: 'read' },
  crm_list_deals: { access: 'read' }, crm_get_deal: { access: 'read' }, crm_create_contact: { access: 'write' },
  crm_update_deal_stage: { access: 'write' }, crm_create_note: { access: 'write' }, calendar_list_events: { access: 'read' },
  calendar_find_free_time: { access: 'read' }, calendar_create_event: { access: 'write' },
  calendar_respond_to_event: { access: 'write' }, calendar_delete_event: { access: 'write', destructive: true },
  mandate_whoami: { access: 'read' }, mandate_approval_status: { access: 'read' },
};

describe('the tool inventory', () => {
  it('holds exactly the contract\'s 21 tools, with its access and destructiveness', () => {
    expect(Object.fromEntries(allTools.map((t) => [t.name, { access: t.access, ...(t.destructive ? { destructive: true } : {}) }]))).toEqual(CONTRACT);
  });

  it.each(allTools.map((t) => [t.name, t] as const))('MCP-TOOL-NAME MCP-TOOL-ANNOT %s: valid name, explicit annotations from access', (_n, tool) => {
    expect(tool.name).toMatch(/^[A-Za-z0-9_.-]{1,128}$/);
    const a = annotationsFor(tool);
    expect(a.readOnlyHint).toBe(tool.access === 'read');
    expect(typeof a.openWorldHint).toBe('boolean');
    if (!a.readOnlyHint) {
      expect(a.destructiveHint).toBe(tool.destructive === true);
      expect(typeof a.idempotentHint).toBe('boolean');
    }
    expect(tool.title.length).toBeGreaterThan(3);
    expect(tool.description.length).toBeGreaterThan(60);
  });

  it.each(allTools.map((t) => [t.name, t] as const))('%s: its API as resource (token audience), minimal real provider scopes; reads carry no write scope', (_n, tool) => {
    if (tool.provider === 'mandate') {
      expect(tool.resource).toBeNull();
      return expect(tool.scopes).toEqual([]);
    }
    expect(tool.resource).toBe(RESOURCES[tool.provider]);
    expect(tool.scopes.length).toBeGreaterThan(0);
    for (const s of tool.scopes) expect(PROVIDER_SCOPES[tool.provider]).toContain(s);
    if (tool.access === 'read') for (const s of tool.scopes) expect(s).not.toMatch(/write|chat:write|calendar\.events$/);
  });

  it.each(allTools.map((t) => [t.name, t] as const))('MCP-TOOL-OUT %s: object schemas, no top-level union in the input, snapshot', (_n, tool) => {
    const { input, output } = jsonSchemasOf(tool);
    expect(input.type).toBe('object');
    expect(input).not.toHaveProperty('anyOf');
    expect(input).not.toHaveProperty('oneOf');
    expect(output?.type).toBe('object');
    expect(z.toJSONSchema(tool.output).type).toBe('object');
    expect({ input, output }).toMatchSnapshot();
  });
});
