import type { AnyTool } from '../define.js';
import { mandateWhoami } from './mandate_whoami.js';
import { mandateApprovalStatus } from './mandate_approval_status.js';

/** Mandate's own tools: read-only, always allowed, no upstream. */
export const mandateTools: AnyTool[] = [mandateWhoami as AnyTool, mandateApprovalStatus as AnyTool];
