// What Mandate's own tools may ask of Mandate: who the caller is and where an approval stands.
export interface ToolCapabilityView {
  tool: string;
  access: 'read' | 'write' | 'destructive';
  capability: 'allow' | 'approve' | 'deny';
  rule: string;
  reason: string;
  /** Limits on the calls it allows: channels, attendee domains, hours, deal stages, rate. */
  constraints: Record<string, string | string[]>;
}

export interface MandateSelf {
  whoami(): Promise<{
    user: string;
    client: string;
    agent: string;
    actor_chain: string[];
    read_only: boolean;
    tools: ToolCapabilityView[];
    accounts: Array<{ provider: 'slack' | 'crm' | 'calendar'; account: string; default: boolean; connected: boolean; identity: string | null; scopes: string[] }>;
  }>;
  approvalStatus(approvalId: string): Promise<{
    approval_id: string;
    status: 'pending' | 'approved' | 'rejected' | 'expired' | 'used' | 'cancelled';
    tool: string;
    summary: string;
    created_at: string;
    expires_at: string;
    decided_at: string | null;
    reason: string | null;
  } | null>;
}
