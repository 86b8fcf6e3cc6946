// crm_create_contact: adds one contact to HubSpot (unique by email).
import { z } from 'zod';
import { defineTool } from '../define.js';
import { flattenContact } from '../../src/connectors/crm.js';
import type { CrmConnector } from '../../src/connectors/crm.js';
import { contactOut, lifecycleStageArg } from './lib/shapes.js';

const text = (what: string, max = 100) => z.string().trim().min(1).max(max).optional().describe(what);

const input = z.object({
  email: z.email().max(254).describe('The new contact\'s email address; HubSpot keeps one contact per email.'),
  firstname: text('First name.'),
  lastname: text('Last name.'),
  company: text('Company name.', 200),
  phone: z.string().trim().min(3).max(40).optional().describe('Phone number, ideally in international form ("+1 206-555-0100").'),
  job_title: text('Job title.'),
  lifecycle_stage: lifecycleStageArg.optional().describe('Lifecycle stage to start in (HubSpot leaves it empty when omitted).'),
});

const output = contactOut;

/** Creates a HubSpot contact (POST /crm/v3/objects/contacts). */
export const crmCreateContact = defineTool<CrmConnector, typeof input, typeof output>({
  name: 'crm_create_contact',
  title: 'Create a CRM contact',
  description:
    'Creates a contact in the HubSpot CRM with an email address and optionally name, company, phone, job title and ' +
    'lifecycle stage. Search first (crm_search_contacts with `email`): HubSpot refuses a second contact with the same ' +
    'email ("CONFLICT: Contact already exists. Existing ID: …"). Returns the new contact with its record ID.',
  provider: 'crm',
  access: 'write',
  scopes: ['crm.objects.contacts.write'],
  input,
  output,
  summarize: (args) => {
    const name = [args.firstname, args.lastname].filter(Boolean).join(' ');
    const detail = [name, args.company].filter(Boolean).join(', ');
    return `create CRM contact ${args.email}${detail ? ` (${detail})` : ''}`;
  },
  handler: async (args, ctx) => {
    const fields: Record<string, string | undefined> = {
      email: args.email,
      firstname: args.firstname,
      lastname: args.lastname,
      company: args.company,
      phone: args.phone,
      jobtitle: args.job_title,
      lifecyclestage: args.lifecycle_stage,
    };
    const properties = Object.fromEntries(Object.entries(fields).filter((e): e is [string, string] => e[1] !== undefined));
    return flattenContact(await ctx.connector.createContact(properties));
  },
});
