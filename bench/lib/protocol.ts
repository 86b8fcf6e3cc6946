// What run.ts and the server process (host.ts) say to each other over the IPC channel, and
// the config and tools both sides agree on.

/** The agent may do everything, so 10 % writes run without waiting for a human. */
export const BENCH_CONFIG = { agents: { 'demo-agent': { tools: { '*': 'allow' } } }, approvals: { waitSeconds: 0 } } as const;

/** The tools the bare server registers and the runs call. */
export const BENCH_TOOLS = ['slack_read_history', 'crm_search_contacts', 'calendar_list_events', 'slack_post_message'] as const;

export interface HostInfo {
  guardedUrl: string;
  bareUrl: string;
  /** The bare SDK v2 server on 2026-07-28 (stateless); the guarded URL serves both revisions. */
  bareModernUrl: string;
  /** MCP bearer token for the guarded HTTP endpoint (the bare one ignores it). */
  bearer: string;
  pid: number;
}

export interface HostRequest {
  id: number;
  cmd: 'exchange' | 'counts' | 'memory' | 'stop';
  n?: number;
}

export type HostReply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };
