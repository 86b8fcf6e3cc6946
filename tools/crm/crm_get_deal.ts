// crm_get_deal: one HubSpot deal with the contacts associated with it.
import { z } from 'zod';
import { defineTool } from '../define.js';
import { DEAL_PROPERTIES, associatedIds } from '../../src/connectors/crm.js';
import type { CrmConnector } from '../../src/connectors/crm.js';
import { dealOut, recordIdArg, toDeal } from './lib/shapes.js';

const input = z.object({ deal_id: recordIdArg('deal') });

const output = dealOut.extend({
  contact_ids: z.array(z.string()).describe('IDs of the contacts associated with the deal (read them with crm_get_contact).'),
});

/** Reads one HubSpot deal (GET /crm/v3/objects/deals/{id}). */
export const crmGetDeal = defineTool<CrmConnector, typeof input, typeof output>({
  name: 'crm_get_deal',
  title: 'Get a CRM deal',
  description:
    'Reads one HubSpot CRM deal by record ID: name, amount, pipeline stage, close date, when it was created and last ' +
    'changed, and the IDs of its associated contacts. Use it to check a deal before changing its stage or to find who ' +
    'to contact about it. Fails with "OBJECT_NOT_FOUND" when no such deal exists.',
  provider: 'crm',
  access: 'read',
  scopes: ['crm.objects.deals.read'],
  input,
  output,
  summarize: (args) => `read CRM deal ${args.deal_id}`,
  handler: async (args, ctx) => {
    const d = await ctx.connector.getDeal(args.deal_id, { properties: DEAL_PROPERTIES, associations: ['contacts'] });
    return { ...toDeal(d), contact_ids: associatedIds(d, 'contacts') };
  },
});
