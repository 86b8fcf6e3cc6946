// The console's JSON API beside the approval page: recent activity from the audit trail, calls
// per hour per agent, each agent's capabilities as `mandate policy explain` shows them, and
// revocation through the same function as `mandate revoke`. The page's server checks Host,
// Origin and (for the POST) the CSRF token before it hands a request here; every input is
// then checked with zod, and every refusal is `{ error: { code, message } }`.
import type http from 'node:http';
import type { Config } from '../../config/schema.js';
import type { Store } from '../../store/types.js';
import type { AnyTool } from '../../../tools/define.js';
import { allTools } from '../../../tools/index.js';
import { revokeMandate, type OnRevoked } from '../../policy/revoke.js';
import { activityQuery, firstIssue, revokeBody } from './schemas.js';
import { ConsoleError, readJson, sendError, sendJson } from './http.js';
import { hourlyActivity, recentActivity } from './activity.js';
import { agentView, knownAgents } from './agents.js';

export { consoleViewsHtml, consoleScript, consoleStyle, consoleTabsHtml } from './views.js';
export { configFromEnv } from './config.js';
export type { ActivityRow, HourlyActivity } from './activity.js';
export type { AgentView, CapabilityView } from './agents.js';
export type { ConsoleErrorCode } from './http.js';

export interface ConsoleDeps {
  store: Store;
  /** The config in force (a getter: the server reloads an edited config). */
  config: () => Config;
  /** Who is acting, recorded as a revocation's `by`. */
  actor: (req: http.IncomingMessage) => string;
  /** After a revocation is stored: a server in this process drops the agent's cached tokens here. */
  onRevoked?: OnRevoked;
  /** Every tool offered (default: all of tools/). */
  tools?: readonly AnyTool[];
  /** The clock (tests pin it). */
  now?: () => Date;
}

/** Answers a console request and resolves true, or resolves false for a path that is not the console's. */
export type ConsoleRoute = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => Promise<boolean>;

/** The paths `consoleRoutes` answers, and the one that changes state. */
export const CONSOLE_PATHS = ['/api/activity', '/api/activity/hourly', '/api/activity/anomalies', '/api/agents', '/api/revoke'] as const;
export const CONSOLE_WRITE_PATH = '/api/revoke';

/** The console's routes over `deps`. */
export function consoleRoutes(deps: ConsoleDeps): ConsoleRoute {
  const tools = deps.tools ?? allTools;
  const toolByName = new Map(tools.map((t) => [t.name, t]));
  const now = deps.now ?? (() => new Date());

  const agentsNow = async () => {
    const config = deps.config();
    const [delegations, revocations] = await Promise.all([deps.store.listDelegations(), deps.store.listRevocations()]);
    const ids = knownAgents(config.agents, delegations, revocations);
    return { ids, view: (id: string) => agentView(config.agents, id, tools, delegations, revocations, now()) };
  };

  const handlers: Record<(typeof CONSOLE_PATHS)[number], { method: 'GET' | 'POST'; run: (req: http.IncomingMessage, url: URL) => Promise<unknown> }> = {
    '/api/activity': {
      method: 'GET',
      run: async (_req, url) => {
        const q = activityQuery.safeParse(Object.fromEntries(url.searchParams));
        if (!q.success) throw new ConsoleError('invalid_query', firstIssue(q.error), 400);
        return { calls: await recentActivity(deps.store, toolByName, q.data) };
      },
    },
    '/api/activity/hourly': {
      method: 'GET',
      run: async (_req, url) => {
        if ([...url.searchParams.keys()].length > 0) throw new ConsoleError('invalid_query', 'this endpoint takes no parameters', 400);
        return hourlyActivity(deps.store, now());
      },
    },
    '/api/activity/anomalies': {
      method: 'GET',
      // The banner: anomalies of the last 24 hours, newest first (records, never arguments).
      run: async (_req, url) => {
        if ([...url.searchParams.keys()].length > 0) throw new ConsoleError('invalid_query', 'this endpoint takes no parameters', 400);
        const since = new Date(now().getTime() - 24 * 3600_000).toISOString();
        const records = await deps.store.readAudit({ event: 'anomaly', since, order: 'desc', limit: 20 });
        return { anomalies: records.map((r) => ({ ts: r.ts, agent: r.agent, signal: r.outcome, reason: r.reason, call_id: r.call_id })) };
      },
    },
    '/api/agents': {
      method: 'GET',
      run: async (_req, url) => {
        if ([...url.searchParams.keys()].length > 0) throw new ConsoleError('invalid_query', 'this endpoint takes no parameters', 400);
        const { ids, view } = await agentsNow();
        return { agents: ids.map(view), tools: tools.map((t) => t.name) };
      },
    },
    '/api/revoke': {
      method: 'POST',
      run: async (req) => {
        const raw = await readJson(req);
        if (raw && typeof raw === 'object' && !Array.isArray(raw) && (raw as { confirm?: unknown }).confirm !== true) {
          throw new ConsoleError('confirmation_required', 'confirm: revoking needs "confirm": true in the body', 400);
        }
        const body = revokeBody.safeParse(raw);
        if (!body.success) throw new ConsoleError('invalid_body', firstIssue(body.error), 400);
        const { agent, tool, reason } = body.data;
        const { ids } = await agentsNow();
        if (!ids.includes(agent)) throw new ConsoleError('unknown_agent', `no agent named ${agent}`, 400);
        if (tool !== undefined && !toolByName.has(tool)) throw new ConsoleError('unknown_tool', `no tool named ${tool}`, 400);
        const done = await revokeMandate(deps.store, { agent, tool: tool ?? null, by: deps.actor(req), reason: reason ?? null }, deps.onRevoked);
        return { revocation: done.revocation, cancelled_approvals: done.cancelledApprovals, agent: (await agentsNow()).view(agent) };
      },
    },
  };

  return async (req, res, url) => {
    const h = Object.hasOwn(handlers, url.pathname) ? handlers[url.pathname as keyof typeof handlers] : undefined;
    if (!h) return false;
    try {
      if (req.method !== h.method) throw new ConsoleError('method_not_allowed', `use ${h.method} for ${url.pathname}`, 405);
      sendJson(res, 200, await h.run(req, url));
    } catch (err) {
      sendError(res, err instanceof ConsoleError ? err : new ConsoleError('internal_error', 'internal error; see the server log', 500));
    }
    return true;
  };
}
