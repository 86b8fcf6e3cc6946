// crm_update_deal_stage: moves a deal to another stage of the default pipeline.
import { z } from 'zod';
import { defineTool } from '../define.js';
import { DEAL_STAGE_LABELS } from '../../src/connectors/crm.js';
import type { CrmConnector } from '../../src/connectors/crm.js';
import { dealOut, recordIdArg, stageArg, toDeal } from './lib/shapes.js';

const input = z.object({
  deal_id: recordIdArg('deal'),
  stage: stageArg.describe('The stage to move the deal to.'),
});

const output = dealOut;

/** Sets a HubSpot deal's stage (PATCH /crm/v3/objects/deals/{id}). */
export const crmUpdateDealStage = defineTool<CrmConnector, typeof input, typeof output>({
  name: 'crm_update_deal_stage',
  title: 'Move a CRM deal to another stage',
  description:
    'Moves one HubSpot CRM deal to another stage of the default sales pipeline (e.g. from "contractsent" to "closedwon"). ' +
    'Setting the stage a deal is already in changes nothing. Check the deal first with crm_get_deal. ' +
    'Returns the deal as it is after the change.',
  provider: 'crm',
  access: 'write',
  idempotent: true,
  scopes: ['crm.objects.deals.write'],
  input,
  output,
  summarize: (args) => `move CRM deal ${args.deal_id} to stage "${DEAL_STAGE_LABELS[args.stage]}" (${args.stage})`,
  handler: async (args, ctx) => toDeal(await ctx.connector.updateDeal(args.deal_id, { dealstage: args.stage })),
});
