// The crm_* tools against the CRM emulator through their connector: what the model gets back,
// writes that later reads see, annotations from `access`, and names exactly as the contract lists them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { crmTools } from '../../tools/crm/index.js';
import { annotationsFor } from '../../tools/define.js';
import type { AnyTool, ToolContext } from '../../tools/define.js';
import { CrmConnector } from '../../src/connectors/crm.js';
import { staticTokenSource } from '../../src/connectors/http.js';
import { PROVIDER_SCOPES } from '../../src/resources.js';
import { silentLogger } from '../../src/log.js';
import { MandateError } from '../../src/errors.js';
import { startCrmEmulator } from '../../src/sandbox/crm/emulator.js';
import type { CrmEmulator } from '../../src/sandbox/crm/emulator.js';

// The contract's table (ARCHITECTURE.md, "Tool names"), HubSpot CRM v3 row.
const CONTRACT_READ = ['crm_search_contacts', 'crm_get_contact', 'crm_list_deals', 'crm_get_deal'];
const CONTRACT_WRITE = ['crm_create_contact', 'crm_update_deal_stage', 'crm_create_note'];

const tool = (name: string): AnyTool => {
  const t = crmTools.find((x) => x.name === name);
  if (!t) throw new Error(`no tool ${name}`);
  return t;
};

let emu: CrmEmulator;
let ctx: ToolContext<CrmConnector>;

/** Validates arguments as the pipeline does, runs the handler, and checks the result against the output schema. */
async function run(name: string, args: Record<string, unknown>): Promise<Record<string, any>> {
  const t = tool(name);
  const parsed = t.input.parse(args);
  const out = await t.handler(parsed, ctx);
  return t.output.parse(out) as Record<string, any>;
}

beforeAll(async () => {
  emu = await startCrmEmulator();
  ctx = {
    connector: new CrmConnector({ baseUrl: emu.url, tokens: staticTokenSource('tool-test-token') }),
    callId: '01JTESTCALL0000000000000000',
    log: silentLogger(),
    signal: new AbortController().signal,
  };
});
afterAll(async () => { await emu.close(); });

describe('crm tools: inventory', () => {
  it('has exactly the contract\'s CRM tools, in its order', () => {
    expect(crmTools.map((t) => t.name)).toEqual([...CONTRACT_READ, ...CONTRACT_WRITE]);
  });

  it('derives annotations from access: reads are read-only, writes say whether they repeat or destroy', () => {
    for (const name of CONTRACT_READ) {
      const t = tool(name);
      expect(t.access).toBe('read');
      expect(annotationsFor(t)).toMatchObject({ readOnlyHint: true, openWorldHint: true });
    }
    for (const name of CONTRACT_WRITE) {
      const t = tool(name);
      expect(t.access).toBe('write');
      expect(annotationsFor(t)).toMatchObject({ readOnlyHint: false, destructiveHint: false });
    }
    expect(annotationsFor(tool('crm_update_deal_stage')).idempotentHint).toBe(true);
    expect(annotationsFor(tool('crm_create_note')).idempotentHint).toBe(false);
  });

  it('asks for one real HubSpot scope each, the minimal one for its endpoint', () => {
    const expected: Record<string, string> = {
      crm_search_contacts: 'crm.objects.contacts.read', crm_get_contact: 'crm.objects.contacts.read',
      crm_list_deals: 'crm.objects.deals.read', crm_get_deal: 'crm.objects.deals.read',
      crm_create_contact: 'crm.objects.contacts.write', crm_update_deal_stage: 'crm.objects.deals.write',
      crm_create_note: 'crm.objects.contacts.write',
    };
    for (const t of crmTools) {
      expect(t.provider).toBe('crm');
      expect(t.scopes).toEqual([expected[t.name]]);
      expect(PROVIDER_SCOPES.crm).toContain(t.scopes[0]);
    }
  });

  it('describes every input and output field, and keeps output top levels plain objects', () => {
    for (const t of crmTools) {
      expect(t.description.length).toBeGreaterThan(80);
      for (const schema of [t.input, t.output]) {
        const json = (schema as z.ZodObject).toJSONSchema() as { type: string; anyOf?: unknown; properties: Record<string, { description?: string }> };
        expect(json.type).toBe('object');
        expect(json.anyOf).toBeUndefined();
        for (const [field, s] of Object.entries(json.properties)) expect(s.description, `${t.name}.${field}`).toBeTruthy();
      }
    }
  });
});

describe('crm tools: handlers against the emulator', () => {
  it('crm_search_contacts finds by company, pages with next_cursor, and filters by email', async () => {
    const first = await run('crm_search_contacts', { company: 'Contoso', limit: 2 });
    expect(first.total).toBeGreaterThan(2);
    expect(first.contacts).toHaveLength(2);
    expect(first.contacts[0]).toMatchObject({ company: 'Contoso Ltd', id: expect.stringMatching(/^\d+$/) });
    expect(first.next_cursor).toBeDefined();
    const second = await run('crm_search_contacts', { company: 'Contoso', limit: 2, cursor: first.next_cursor });
    expect(second.contacts[0].id).not.toBe(first.contacts[0].id);

    const target = first.contacts[1];
    const byEmail = await run('crm_search_contacts', { email: target.email });
    expect(byEmail).toMatchObject({ total: 1, contacts: [{ id: target.id, email: target.email }] });
    expect(byEmail.next_cursor).toBeUndefined();
  });

  it('crm_search_contacts refuses an out-of-range limit before anything reaches HubSpot', () => {
    expect(tool('crm_search_contacts').input.safeParse({ limit: 500 }).success).toBe(false);
    expect(tool('crm_search_contacts').input.safeParse({ limit: 0 }).success).toBe(false);
    expect(tool('crm_search_contacts').input.parse({})).toMatchObject({ limit: 10 });
  });

  it('crm_get_contact reads by ID or email, with deal and note IDs', async () => {
    const dealLink = emu.state.associations.find((a) => a.from.type === 'deals' && a.to.type === 'contacts')!;
    const contactId = dealLink.to.id;
    const c = await run('crm_get_contact', { id_or_email: contactId });
    expect(c.id).toBe(contactId);
    expect(c.deal_ids).toContain(dealLink.from.id);
    const again = await run('crm_get_contact', { id_or_email: c.email });
    expect(again.id).toBe(contactId);
    expect(tool('crm_get_contact').input.safeParse({ id_or_email: 'Dana from Contoso' }).success).toBe(false);
  });

  it('crm_get_contact on a missing contact → upstream_error', async () => {
    await expect(run('crm_get_contact', { id_or_email: '99999999' })).rejects.toMatchObject({ code: 'upstream_error' });
  });

  it('crm_list_deals lists all deals or one stage, with next_cursor', async () => {
    const all = await run('crm_list_deals', { limit: 5 });
    expect(all.deals).toHaveLength(5);
    expect(all.deals[0]).toMatchObject({ id: expect.any(String), name: expect.any(String), amount: expect.any(Number), pipeline: 'default' });
    expect(all.next_cursor).toBeDefined();
    const next = await run('crm_list_deals', { limit: 5, cursor: all.next_cursor });
    expect(next.deals.map((d: { id: string }) => d.id)).not.toContain(all.deals[0].id);

    const lost = await run('crm_list_deals', { stage: 'closedlost', limit: 100 });
    const expected = [...emu.state.deals.values()].filter((d) => d.properties.dealstage === 'closedlost').length;
    expect(lost.total).toBe(expected);
    expect(lost.deals).toHaveLength(expected);
    for (const d of lost.deals) expect(d).toMatchObject({ stage: 'closedlost', stage_label: 'Closed Lost' });
    expect(emu.requests.at(-1)?.path).toBe('/crm/v3/objects/deals/search');
  });

  it('crm_get_deal returns the deal and its contact IDs', async () => {
    const [deal] = emu.state.deals.values();
    const d = await run('crm_get_deal', { deal_id: deal!.id });
    expect(d).toMatchObject({ id: deal!.id, name: deal!.properties.dealname, amount: Number(deal!.properties.amount), close_date: deal!.properties.closedate });
    expect(d.contact_ids.length).toBeGreaterThan(0);
  });

  it('crm_create_contact creates a contact that crm_search_contacts then finds; a duplicate is refused', async () => {
    const created = await run('crm_create_contact', {
      email: 'riley.park@wingtip.example', firstname: 'Riley', lastname: 'Park', company: 'Wingtip Solutions', lifecycle_stage: 'lead',
    });
    expect(created).toMatchObject({ email: 'riley.park@wingtip.example', firstname: 'Riley', company: 'Wingtip Solutions', lifecycle_stage: 'lead' });
    const found = await run('crm_search_contacts', { query: 'riley park' });
    expect(found.contacts.map((c: { id: string }) => c.id)).toEqual([created.id]);
    const dup = run('crm_create_contact', { email: 'riley.park@wingtip.example' });
    await expect(dup).rejects.toBeInstanceOf(MandateError);
    await expect(dup).rejects.toMatchObject({ code: 'upstream_error', message: expect.stringContaining(`Existing ID: ${created.id}`) });
  });

  it('crm_update_deal_stage moves a deal and crm_get_deal sees it; repeating it changes nothing more', async () => {
    const deal = [...emu.state.deals.values()].find((d) => d.properties.dealstage === 'contractsent')!;
    const moved = await run('crm_update_deal_stage', { deal_id: deal.id, stage: 'closedwon' });
    expect(moved).toMatchObject({ id: deal.id, stage: 'closedwon', stage_label: 'Closed Won', name: deal.properties.dealname });
    expect((await run('crm_get_deal', { deal_id: deal.id })).stage).toBe('closedwon');
    const again = await run('crm_update_deal_stage', { deal_id: deal.id, stage: 'closedwon' });
    expect(again.stage).toBe('closedwon');
    expect(tool('crm_update_deal_stage').input.safeParse({ deal_id: deal.id, stage: 'won' }).success).toBe(false);
  });

  it('crm_create_note logs a note that crm_get_contact then lists', async () => {
    const [contact] = emu.state.contacts.values();
    const note = await run('crm_create_note', { contact_id: contact!.id, body: 'Discussed the Q3 rollout; they need SSO.', timestamp: '2025-06-03T14:30:00Z' });
    expect(note).toMatchObject({ contact_id: contact!.id, body: 'Discussed the Q3 rollout; they need SSO.', timestamp: '2025-06-03T14:30:00.000Z' });
    const c = await run('crm_get_contact', { id_or_email: contact!.id });
    expect(c.note_ids).toContain(note.id);
    const undated = await run('crm_create_note', { contact_id: contact!.id, body: 'Follow-up sent.' });
    expect(Math.abs(Date.parse(undated.timestamp) - Date.now())).toBeLessThan(60_000);
  });

  it('crm_create_note on a contact that does not exist → upstream_error, and no note is stored', async () => {
    const before = emu.state.notes.size;
    await expect(run('crm_create_note', { contact_id: '424242', body: 'x' })).rejects.toMatchObject({ code: 'upstream_error' });
    expect(emu.state.notes.size).toBe(before);
  });
});

describe('crm tools: summaries for approvers', () => {
  it('say what will happen in one line, clipping long text', () => {
    const s = (name: string, args: Record<string, unknown>) => tool(name).summarize(tool(name).input.parse(args));
    expect(s('crm_update_deal_stage', { deal_id: '5003', stage: 'closedwon' })).toBe('move CRM deal 5003 to stage "Closed Won" (closedwon)');
    expect(s('crm_create_contact', { email: 'a@b.example', firstname: 'Ann', lastname: 'Lee', company: 'Fabrikam Inc' }))
      .toBe('create CRM contact a@b.example (Ann Lee, Fabrikam Inc)');
    const long = s('crm_create_note', { contact_id: '101', body: 'word '.repeat(100) });
    expect(long.startsWith('add a note to CRM contact 101: "word word')).toBe(true);
    expect(long.length).toBeLessThan(130);
    expect(long).toContain('…');
    expect(s('crm_list_deals', { stage: 'contractsent' })).toBe('list CRM deals in stage contractsent (up to 10)');
    expect(s('crm_search_contacts', { company: 'Northwind' })).toBe('search CRM contacts for company "Northwind" (up to 10)');
    for (const t of crmTools) expect(t.summarize(t.input.parse(sampleArgs[t.name]!))).not.toContain('\n');
  });
});

const sampleArgs: Record<string, Record<string, unknown>> = {
  crm_search_contacts: { query: 'dana' },
  crm_get_contact: { id_or_email: '101' },
  crm_list_deals: {},
  crm_get_deal: { deal_id: '5001' },
  crm_create_contact: { email: 'x@y.example' },
  crm_update_deal_stage: { deal_id: '5001', stage: 'qualifiedtobuy' },
  crm_create_note: { contact_id: '101', body: 'line one\nline two' },
};
