// What every crm_* tool shares: how a contact and a deal look to the model, the arguments
// several tools take (record IDs, page size, cursor), and the clipping of approver summaries.
import { z } from 'zod';
import { DEAL_STAGE_LABELS, DEFAULT_PIPELINE_STAGES, LIFECYCLE_STAGES, flattenDeal } from '../../../src/connectors/crm.js';
import type { CrmObject, DealStage } from '../../../src/connectors/crm.js';

/** A HubSpot record ID argument. */
export const recordIdArg = (what: string) =>
  z.string().trim().regex(/^\d{1,20}$/, 'a numeric HubSpot record ID such as "101"').describe(`The ${what}'s HubSpot record ID (numeric, e.g. "101").`);

/** Page size of list and search tools (HubSpot's default is 10). */
export const limitArg = (max: number) =>
  z.number().int().min(1).max(max).default(10).describe(`How many records to return (1-${max}, default 10).`);

/** The cursor of the next page, as a previous call returned it. */
export const cursorArg = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .optional()
  .describe('Pass `next_cursor` from the previous call (with the same filters) to get the next page; omit for the first page.');

/** A stage of HubSpot's default deal pipeline. */
export const stageArg = z
  .enum(DEFAULT_PIPELINE_STAGES)
  .describe(`A stage of the default sales pipeline: ${DEFAULT_PIPELINE_STAGES.map((s) => `${s} (${DEAL_STAGE_LABELS[s]})`).join(', ')}.`);

/** A contact's lifecycle stage. */
export const lifecycleStageArg = z.enum(LIFECYCLE_STAGES).describe(`The contact's lifecycle stage: ${LIFECYCLE_STAGES.join(', ')}.`);

/** One contact as the model sees it. */
export const contactOut = z.object({
  id: z.string().describe('HubSpot record ID of the contact (use with crm_get_contact and crm_create_note).'),
  email: z.string().nullable().describe('Primary email address.'),
  firstname: z.string().nullable().describe('First name.'),
  lastname: z.string().nullable().describe('Last name.'),
  company: z.string().nullable().describe('Company name as recorded on the contact.'),
  phone: z.string().nullable().describe('Phone number.'),
  job_title: z.string().nullable().describe('Job title.'),
  lifecycle_stage: z.string().nullable().describe('Lifecycle stage (lead, opportunity, customer, …).'),
  created_at: z.string().describe('When the contact was created (ISO 8601).'),
  updated_at: z.string().describe('When the contact was last modified (ISO 8601).'),
});

/** One deal as the model sees it. */
export const dealOut = z.object({
  id: z.string().describe('HubSpot record ID of the deal (use with crm_get_deal and crm_update_deal_stage).'),
  name: z.string().nullable().describe('Deal name.'),
  amount: z.number().nullable().describe("Deal amount in the account's currency."),
  stage: z.string().nullable().describe('Pipeline stage ID (e.g. "contractsent").'),
  stage_label: z.string().nullable().describe('Human label of the stage (e.g. "Contract Sent").'),
  pipeline: z.string().nullable().describe('Pipeline ID ("default" for the standard sales pipeline).'),
  close_date: z.string().nullable().describe('Expected or actual close date (ISO 8601).'),
  created_at: z.string().describe('When the deal was created (ISO 8601).'),
  updated_at: z.string().describe('When the deal was last modified (ISO 8601).'),
});

/** The label of a stage of the default pipeline; null for other pipelines' stages. */
export function stageLabel(stage: string | null): string | null {
  return stage !== null && stage in DEAL_STAGE_LABELS ? DEAL_STAGE_LABELS[stage as DealStage] : null;
}

/** Maps a HubSpot deal to `dealOut`. */
export function toDeal(o: CrmObject): z.infer<typeof dealOut> {
  const d = flattenDeal(o);
  return { ...d, stage_label: stageLabel(d.stage) };
}

/** Shortens text for a one-line approver summary. */
export function clip(text: string, max = 80): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}
