// crm_search_contacts: find HubSpot contacts by free text and/or exact email, company or lifecycle stage.
import { z } from 'zod';
import { defineTool } from '../define.js';
import { CONTACT_PROPERTIES, flattenContact } from '../../src/connectors/crm.js';
import type { CrmConnector, CrmFilter } from '../../src/connectors/crm.js';
import { clip, contactOut, cursorArg, lifecycleStageArg, limitArg } from './lib/shapes.js';

const input = z.object({
  query: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .optional()
    .describe('Free text matched against first and last name, email, phone and company; each word matches the start of a word ("dan", "northwind").'),
  email: z.email().max(254).optional().describe('Only the contact with exactly this email address (case-insensitive).'),
  company: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .optional()
    .describe('Only contacts whose company name contains these words ("Northwind" matches "Northwind Traders"); `*` is a wildcard.'),
  lifecycle_stage: lifecycleStageArg.optional().describe('Only contacts in this lifecycle stage.'),
  limit: limitArg(200),
  cursor: cursorArg,
});

const output = z.object({
  total: z.number().int().describe('How many contacts match in all (across every page).'),
  contacts: z.array(contactOut).describe('This page of matching contacts, oldest record first.'),
  next_cursor: z.string().optional().describe('Present when more matches remain: pass it back as `cursor` to get the next page.'),
});

/** Searches HubSpot contacts (POST /crm/v3/objects/contacts/search). */
export const crmSearchContacts = defineTool<CrmConnector, typeof input, typeof output>({
  name: 'crm_search_contacts',
  title: 'Search CRM contacts',
  description:
    'Searches the HubSpot CRM contacts by free text (name, email, phone, company) and/or exact filters: email address, ' +
    'company name, lifecycle stage. Filters combine with AND; with no criteria it lists all contacts. Use it to find a ' +
    "person's contact ID before reading their record or adding a note. Returns the total number of matches, one page of " +
    'contacts (ID, email, name, company, phone, job title, lifecycle stage) and `next_cursor` when more pages remain.',
  provider: 'crm',
  access: 'read',
  scopes: ['crm.objects.contacts.read'],
  input,
  output,
  summarize: (args) => {
    const parts = [
      args.query !== undefined ? `"${clip(args.query, 60)}"` : undefined,
      args.email !== undefined ? `email ${args.email}` : undefined,
      args.company !== undefined ? `company "${clip(args.company, 40)}"` : undefined,
      args.lifecycle_stage !== undefined ? `stage ${args.lifecycle_stage}` : undefined,
    ].filter(Boolean);
    return `search CRM contacts${parts.length ? ` for ${parts.join(', ')}` : ''} (up to ${args.limit})`;
  },
  handler: async (args, ctx) => {
    const filters: CrmFilter[] = [];
    if (args.email !== undefined) filters.push({ propertyName: 'email', operator: 'EQ', value: args.email });
    if (args.company !== undefined) filters.push({ propertyName: 'company', operator: 'CONTAINS_TOKEN', value: args.company });
    if (args.lifecycle_stage !== undefined) filters.push({ propertyName: 'lifecyclestage', operator: 'EQ', value: args.lifecycle_stage });
    const page = await ctx.connector.searchContacts({
      query: args.query,
      filterGroups: filters.length ? [{ filters }] : [],
      properties: CONTACT_PROPERTIES,
      limit: args.limit,
      after: args.cursor,
    });
    const next = page.paging?.next?.after;
    return { total: page.total, contacts: page.results.map(flattenContact), ...(next ? { next_cursor: next } : {}) };
  },
});
