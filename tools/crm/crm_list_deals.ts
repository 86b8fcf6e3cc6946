// crm_list_deals: HubSpot deals one page at a time, optionally only those in one pipeline stage.
import { z } from 'zod';
import { defineTool } from '../define.js';
import { DEAL_PROPERTIES } from '../../src/connectors/crm.js';
import type { CrmConnector } from '../../src/connectors/crm.js';
import { cursorArg, dealOut, limitArg, stageArg, toDeal } from './lib/shapes.js';

const input = z.object({
  stage: stageArg.optional().describe('Only deals in this stage of the default pipeline; omit for all deals.'),
  limit: limitArg(100),
  cursor: cursorArg,
});

const output = z.object({
  deals: z.array(dealOut).describe('This page of deals, oldest record first.'),
  total: z.number().int().optional().describe('How many deals are in the stage in all (only when `stage` is given).'),
  next_cursor: z.string().optional().describe('Present when more deals remain: pass it back as `cursor` (with the same `stage`).'),
});

/** Lists HubSpot deals (GET /crm/v3/objects/deals, or POST /crm/v3/objects/deals/search for one stage). */
export const crmListDeals = defineTool<CrmConnector, typeof input, typeof output>({
  name: 'crm_list_deals',
  title: 'List CRM deals',
  description:
    'Lists the deals in the HubSpot CRM, optionally only those in one stage of the default sales pipeline ' +
    '(e.g. "contractsent" to see deals waiting for a signature). Use it for pipeline overviews or to find a deal ID. ' +
    'Returns one page of deals (ID, name, amount, stage, close date) and `next_cursor` when more pages remain.',
  provider: 'crm',
  access: 'read',
  scopes: ['crm.objects.deals.read'],
  input,
  output,
  summarize: (args) => `list CRM deals${args.stage ? ` in stage ${args.stage}` : ''} (up to ${args.limit})`,
  handler: async (args, ctx) => {
    if (args.stage) {
      const page = await ctx.connector.searchDeals({
        filterGroups: [{ filters: [{ propertyName: 'dealstage', operator: 'EQ', value: args.stage }] }],
        properties: DEAL_PROPERTIES,
        limit: args.limit,
        after: args.cursor,
      });
      const next = page.paging?.next?.after;
      return { deals: page.results.map(toDeal), total: page.total, ...(next ? { next_cursor: next } : {}) };
    }
    const page = await ctx.connector.listDeals({ limit: args.limit, after: args.cursor, properties: DEAL_PROPERTIES });
    const next = page.paging?.next?.after;
    return { deals: page.results.map(toDeal), ...(next ? { next_cursor: next } : {}) };
  },
});
