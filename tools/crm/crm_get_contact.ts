// crm_get_contact: one HubSpot contact, by record ID or email, with its deals and notes.
import { z } from 'zod';
import { defineTool } from '../define.js';
import { CONTACT_PROPERTIES, associatedIds, flattenContact } from '../../src/connectors/crm.js';
import type { CrmConnector } from '../../src/connectors/crm.js';
import { contactOut } from './lib/shapes.js';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

const input = z.object({
  id_or_email: z
    .string()
    .trim()
    .min(1)
    .max(254)
    .refine((v) => /^\d{1,20}$/.test(v) || EMAIL.test(v), 'a numeric HubSpot record ID ("101") or an email address')
    .describe('The contact\'s HubSpot record ID (numeric, e.g. "101") or their email address.'),
});

const output = contactOut.extend({
  deal_ids: z.array(z.string()).describe('IDs of the deals associated with the contact (read them with crm_get_deal).'),
  note_ids: z.array(z.string()).describe('IDs of the notes logged on the contact, oldest first.'),
});

/** Reads one HubSpot contact (GET /crm/v3/objects/contacts/{id}). */
export const crmGetContact = defineTool<CrmConnector, typeof input, typeof output>({
  name: 'crm_get_contact',
  title: 'Get a CRM contact',
  description:
    'Reads one HubSpot CRM contact by record ID or email address: email, name, company, phone, job title, lifecycle stage, ' +
    'when it was created and last changed, and the IDs of its associated deals and notes. Use it after crm_search_contacts ' +
    'or when you already know the ID or email. Fails with "OBJECT_NOT_FOUND" when no such contact exists.',
  provider: 'crm',
  access: 'read',
  scopes: ['crm.objects.contacts.read'],
  input,
  output,
  summarize: (args) => `read CRM contact ${args.id_or_email}`,
  handler: async (args, ctx) => {
    const byEmail = args.id_or_email.includes('@');
    const c = await ctx.connector.getContact(args.id_or_email, {
      properties: CONTACT_PROPERTIES,
      associations: ['deals', 'notes'],
      idProperty: byEmail ? 'email' : undefined,
    });
    return { ...flattenContact(c), deal_ids: associatedIds(c, 'deals'), note_ids: associatedIds(c, 'notes') };
  },
});
