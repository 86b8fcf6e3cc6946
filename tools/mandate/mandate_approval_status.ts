import { z } from 'zod';
import { defineTool } from '../define.js';
import type { MandateSelf } from './self.js';

export const mandateApprovalStatus = defineTool({
  name: 'mandate_approval_status',
  title: 'Approval status',
  description:
    'Tells where an approval request stands (pending, approved, rejected, expired, used, cancelled), given the approval_id an ' +
    'approval_pending error returned. Once it is approved, repeat the identical original call to run it.',
  provider: 'mandate',
  access: 'read',
  scopes: [],
  input: z.object({ approval_id: z.string().min(1).max(100).describe('The approval_id from an approval_pending error.') }),
  output: z.object({
    approval_id: z.string(),
    status: z.enum(['pending', 'approved', 'rejected', 'expired', 'used', 'cancelled', 'unknown']),
    tool: z.string().nullable(),
    summary: z.string().nullable().describe('What the call would do, as the approver saw it.'),
    created_at: z.string().nullable(),
    expires_at: z.string().nullable(),
    decided_at: z.string().nullable(),
    reason: z.string().nullable().describe('The approver\'s reason, for a rejection.'),
  }),
  summarize: (a) => `check approval ${a.approval_id}`,
  handler: async (args, ctx: { connector: MandateSelf }) => {
    const s = await ctx.connector.approvalStatus(args.approval_id);
    return s ?? { approval_id: args.approval_id, status: 'unknown' as const, tool: null, summary: null, created_at: null, expires_at: null, decided_at: null, reason: null };
  },
});
