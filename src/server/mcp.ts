// Builds one MCP server for one connected identity: `tools/list` shows what the policy lets
// this agent use, `tools/call` runs the pipeline. The SDK's low-level Server is used so that
// validation, errors and per-agent visibility stay in Mandate's own pipeline.
import { z } from 'zod';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { ListToolsRequestSchema, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { annotationsFor, type AnyTool } from '../../tools/define.js';
import type { Services } from '../pipeline/services.js';
import type { Identity } from '../identity/types.js';
import { runToolCall } from '../pipeline/index.js';
import type { PolicyWatcher } from '../runtime/watch.js';
import { listedDescription, visibleTools } from '../policy/visibility.js';

export const SERVER_NAME = 'mandate';
export const SERVER_VERSION = '0.1.0';

/**
 * tools/call as the protocol layer parses it: loose (any params), so that a malformed request
 * reaches the SDK's own check (CallToolRequestSchema, run before the handler) and gets JSON-RPC
 * -32602 (invalid params) rather than -32603 with a raw validation dump.
 */
const LooseCallToolRequest = z.object({
  method: z.literal('tools/call'),
  params: z.unknown(),
});

/** tools/call params once the SDK has checked them against CallToolRequestSchema. */
interface CheckedCallParams {
  name: string;
  arguments?: unknown;
  _meta?: { progressToken?: string | number };
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
  const mine = revocations.filter((r) => r.agent === identity.agent && (!r.user || r.user === identity.user));
  const revoked = {
    delegation: mine.some((r) => !r.tool),
    tools: mine.map((r) => r.tool).filter((t): t is string => !!t),
  };
  const visible = visibleTools(services.config.agents, identity.agent, services.tools, revoked);
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

/** A connected MCP server for `identity`. Call `connect(transport)` on it. */
export function createMcpServer(services: Services, identity: Identity, policy?: PolicyWatcher): Server {
  const server = new Server(
    { name: SERVER_NAME, version: SERVER_VERSION, title: 'Mandate' },
    {
      capabilities: { tools: { listChanged: true }, logging: {} },
      instructions:
        'Mandate runs Slack, CRM and calendar tools on behalf of a user under per-tool delegated tokens. ' +
        'Some calls need a human\'s approval: when a result says approval_pending, tell the user and repeat the identical call after they approve.',
    },
  );

  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: await listToolsFor(services, identity) }));

  if (policy) {
    // What this agent may use changed (a revocation, an edited config): clients re-list.
    const stop = policy.onChange(() => { void server.sendToolListChanged().catch(() => undefined); });
    const previous = server.onclose;
    server.onclose = () => { stop(); previous?.(); };
  }

  server.setRequestHandler(LooseCallToolRequest, async (request, extra) => {
    const params = request.params as CheckedCallParams;
    const progressToken = params._meta?.progressToken;
    const clientCaps = server.getClientCapabilities();
    return runToolCall(services, { ...identity, sessionId: extra.sessionId ?? identity.sessionId }, {
      name: params.name,
      arguments: params.arguments,
      mcpRequestId: extra.requestId,
      signal: extra.signal,
      progress:
        progressToken === undefined
          ? undefined
          : (progress, message) =>
              extra.sendNotification({ method: 'notifications/progress', params: { progressToken, progress, message } }),
      // Form elicitation only (a client may declare URL mode alone); a failed elicitation is no
      // decision: the call goes on waiting for a human out of band.
      elicit: clientCaps?.elicitation?.form
        ? async (summary) => {
            const r = await server.elicitInput(
              {
                message: `Approve this call by agent "${identity.agent}"?\n\n${summary}`,
                requestedSchema: {
                  type: 'object',
                  properties: { confirm: { type: 'boolean', title: 'I approve this exact call', default: false } },
                  required: ['confirm'],
                },
              },
              { signal: extra.signal },
            ).catch(() => ({ action: 'cancel' as const, content: undefined }));
            if (r.action === 'accept') return r.content?.confirm === true ? 'accept' : 'decline';
            return r.action;
          }
        : undefined,
    });
  });
  return server;
}
