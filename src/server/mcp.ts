// Builds one MCP server for one connected identity: `tools/list` shows what the policy lets
// this agent use, `tools/call` runs the pipeline. The SDK's low-level Server is used so that
// validation, errors and per-agent visibility stay in Mandate's own pipeline. One factory
// serves both protocol eras: 2025-era connections (initialize, sessions) and 2026-07-28
// requests (stateless, the client's capabilities in each request's `_meta`).
import { z } from 'zod';
import {
  CLIENT_CAPABILITIES_META_KEY, PROTOCOL_VERSION_META_KEY, Server, type ClientCapabilities, type ServerContext, type Tool,
} from '@modelcontextprotocol/server';
import { annotationsFor, type AnyTool } from '../../tools/define.js';
import type { Services } from '../pipeline/services.js';
import type { Identity } from '../identity/types.js';
import { runToolCall } from '../pipeline/index.js';
import type { PolicyWatcher } from '../runtime/watch.js';
import type { RawArguments } from '../transports/raw-arguments.js';
import { listedDescription, visibleTools } from '../policy/visibility.js';
import { ancestorsOf } from '../policy/config.js';
import { PURPOSE_META, TASK_META } from '../pipeline/intent.js';

export const SERVER_NAME = 'mandate';
export const SERVER_VERSION = '0.1.0';

/** The revisions served: the 2026-07-28 (stateless) one and the 2025 ones with sessions. */
export const PROTOCOL_VERSIONS = ['2026-07-28', '2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'];

/** Whether this request speaks 2026-07-28 (it carries the per-request `_meta` envelope). */
export function isModernRequest(ctx: ServerContext): boolean {
  return typeof envelopeOf(ctx)[PROTOCOL_VERSION_META_KEY] === 'string';
}

/** What the client declared it can do: per request (2026-07-28) or at initialize (2025). */
function clientCapabilitiesOf(server: Server, ctx: ServerContext): ClientCapabilities | undefined {
  return isModernRequest(ctx) ? (envelopeOf(ctx)[CLIENT_CAPABILITIES_META_KEY] as ClientCapabilities | undefined) : server.getClientCapabilities();
}

/** The `requestState` the client echoed, as sent (no SDK verify hook: the pipeline opens it and audits a refusal). */
function rawRequestState(ctx: ServerContext): string | undefined {
  const state = ctx.mcpReq.requestState() as unknown;
  return typeof state === 'string' ? state : undefined;
}

/** The request's `_meta` envelope (2026-07-28), keyed by its reserved `io.modelcontextprotocol/…` names. */
function envelopeOf(ctx: ServerContext): Record<string, unknown> {
  return (ctx.mcpReq.envelope ?? {}) as Record<string, unknown>;
}

/** The error envelope of an isError result, as JSON Schema (see `jsonSchemasOf`). */
const ERROR_ENVELOPE = {
  type: 'object',
  properties: {
    code: { type: 'string', description: 'A stable Mandate error code (invalid_arguments, capability_denied, approval_pending, …).' },
    message: { type: 'string' },
    call_id: { type: 'string' },
    approval_id: { type: 'string' },
    retry_after_seconds: { type: 'number' },
    field: { type: 'string' },
  },
  required: ['code', 'message', 'call_id'],
} as const;

const schemaCache = new WeakMap<AnyTool, { input: Tool['inputSchema']; output: Tool['outputSchema'] }>();

/** The JSON Schemas of a tool, made once from its zod schemas. */
export function jsonSchemasOf(tool: AnyTool): { input: Tool['inputSchema']; output: Tool['outputSchema'] } {
  let s = schemaCache.get(tool);
  if (!s) {
    const strip = (o: Record<string, unknown>) => { delete o.$schema; return o; };
    const output = strip(z.toJSONSchema(tool.output, { io: 'output', unrepresentable: 'any' }) as Record<string, unknown>);
    // Error results carry structuredContent.error; some clients validate error results against
    // the output schema too (typescript-sdk#1943), so the listed schema admits that envelope.
    const { required, ...open } = output;
    const properties = { ...(output.properties as Record<string, unknown>), error: ERROR_ENVELOPE };
    s = {
      input: strip(z.toJSONSchema(tool.input.strict(), { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>) as Tool['inputSchema'],
      output: {
        ...open,
        properties,
        anyOf: [{ required: (required as string[] | undefined) ?? [] }, { required: ['error'] }],
      } as unknown as Tool['outputSchema'],
    };
    schemaCache.set(tool, s);
  }
  return s;
}

/** The tools/list entries this identity may see, from the same policy that decides calls. */
export async function listToolsFor(services: Services, identity: Identity): Promise<Tool[]> {
  const revocations = await services.store.listRevocations();
  const of = (agent: string) => {
    const mine = revocations.filter((r) => r.agent === agent && (!r.user || r.user === identity.user));
    return { delegation: mine.some((r) => !r.tool), tools: mine.map((r) => r.tool).filter((t): t is string => !!t) };
  };
  // A parent's revocations are its children's too.
  const ancestors = Object.fromEntries(ancestorsOf(services.config.agents, identity.agent).map((a) => [a, of(a)]));
  const visible = visibleTools(services.config.agents, identity.agent, services.tools, of(identity.agent), new Date(), ancestors);
  return visible.map(({ tool, effect }) => describeTool(tool, effect));
}

function describeTool(tool: AnyTool, effect: 'allow' | 'approve'): Tool {
  const schemas = jsonSchemasOf(tool);
  return {
    name: tool.name,
    title: tool.title,
    description: listedDescription(tool.description, effect),
    inputSchema: schemas.input,
    outputSchema: schemas.output,
    annotations: annotationsFor(tool),
  };
}

/** A connected MCP server for `identity`. Serve it with `serveStdio` or `connect(transport)`. */
export function createMcpServer(services: Services, identity: Identity, policy?: PolicyWatcher, raw?: RawArguments): Server {
  const server = new Server(
    { name: SERVER_NAME, version: SERVER_VERSION, title: 'Mandate' },
    {
      capabilities: { tools: { listChanged: true }, logging: {} },
      supportedProtocolVersions: PROTOCOL_VERSIONS,
      instructions:
        'Mandate runs Slack, CRM and calendar tools on behalf of a user under per-tool delegated tokens. ' +
        'Some calls need a human\'s approval: when a result says approval_pending, tell the user and repeat the identical call after they approve.',
    },
  );

  server.setRequestHandler('tools/list', async () => ({ tools: await listToolsFor(services, identity) }));

  if (policy) {
    // What this agent may use changed (a revocation, an edited config): clients re-list.
    const stop = policy.onChange(() => { void Promise.resolve().then(() => server.sendToolListChanged()).catch(() => undefined); });
    const previous = server.onclose;
    server.onclose = () => { stop(); previous?.(); };
  }

  server.setRequestHandler('tools/call', async (request, ctx) => {
    const params = request.params;
    const progressToken = params._meta?.progressToken;
    const clientCaps = clientCapabilitiesOf(server, ctx);
    const modern = isModernRequest(ctx);
    // The call's intent: in the request's `_meta` (both eras); a 2026-07-28 request may carry it in its envelope.
    const meta = { ...envelopeOf(ctx), ...(params._meta as Record<string, unknown> | undefined) };
    return runToolCall(services, { ...identity, sessionId: ctx.sessionId ?? identity.sessionId }, {
      name: params.name,
      arguments: raw?.take(ctx.mcpReq.id) ?? params.arguments,
      mcpRequestId: ctx.mcpReq.id,
      signal: ctx.mcpReq.signal,
      meta: { purpose: meta[PURPOSE_META], taskId: meta[TASK_META], traceparent: meta.traceparent, tracestate: meta.tracestate },
      progress:
        progressToken === undefined
          ? undefined
          : (progress, message) =>
              ctx.mcpReq.notify({ method: 'notifications/progress', params: { progressToken, progress, message } }),
      // Form elicitation only (a client may declare URL mode alone); a failed elicitation is no
      // decision: the call goes on waiting for a human out of band. A 2026-07-28 request has no
      // server-to-client channel: it is asked through an input-required result instead.
      elicit: !modern && clientCaps?.elicitation && (clientCaps.elicitation.form || !clientCaps.elicitation.url)
        ? async (summary) => {
            const r = await ctx.mcpReq.elicitInput(
              {
                mode: 'form',
                message: `Approve this call by agent "${identity.agent}"?\n\n${summary}`,
                requestedSchema: {
                  type: 'object',
                  properties: { confirm: { type: 'boolean', title: 'I approve this exact call', default: false } },
                  required: ['confirm'],
                },
              },
              { signal: ctx.mcpReq.signal },
            ).catch(() => ({ action: 'cancel' as const, content: undefined }));
            if (r.action === 'accept') return r.content?.confirm === true ? 'accept' : 'decline';
            return r.action;
          }
        : undefined,
      input: modern
        ? {
            responses: ctx.mcpReq.inputResponses,
            state: rawRequestState(ctx),
            form: !!clientCaps?.elicitation && (!!clientCaps.elicitation.form || !clientCaps.elicitation.url),
            url: !!clientCaps?.elicitation?.url,
          }
        : undefined,
    });
  });
  return server;
}
