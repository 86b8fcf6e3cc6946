// The HubSpot CRM tools, in the order of the contract's table.
import type { AnyTool } from '../define.js';
import { crmSearchContacts } from './crm_search_contacts.js';
import { crmGetContact } from './crm_get_contact.js';
import { crmListDeals } from './crm_list_deals.js';
import { crmGetDeal } from './crm_get_deal.js';
import { crmCreateContact } from './crm_create_contact.js';
import { crmUpdateDealStage } from './crm_update_deal_stage.js';
import { crmCreateNote } from './crm_create_note.js';

/** Every crm_* tool: reads first, then writes. */
export const crmTools: AnyTool[] = [
  crmSearchContacts,
  crmGetContact,
  crmListDeals,
  crmGetDeal,
  crmCreateContact,
  crmUpdateDealStage,
  crmCreateNote,
];
