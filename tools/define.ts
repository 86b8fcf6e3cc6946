// What a tool is: a definition plus a handler that maps arguments to one upstream request.
// Annotations are derived from `access`, never written by hand.
import { z } from 'zod';
import type { ToolAnnotations } from '@modelcontextprotocol/server';
import type { Logger } from '../src/log.js';
import { RESOURCES } from '../src/resources.js';

export type Provider = 'slack' | 'crm' | 'calendar' | 'mandate';
export type Access = 'read' | 'write';

/** What every handler receives. `connector` already holds this tool's own per-tool token. */
export interface ToolContext<C> {
  connector: C;
  callId: string;
  log: Logger;
  signal: AbortSignal;
}

export interface ToolDefinition<
  C = unknown,
  I extends z.ZodObject = z.ZodObject,
  O extends z.ZodObject = z.ZodObject,
> {
  name: string;
  title: string;
  /** Written for a model: what it does, when to use it, what it returns. */
  description: string;
  provider: Provider;
  access: Access;
  /** Deletes or cannot be undone. */
  destructive?: boolean;
  /** Calling twice with the same arguments has no further effect. */
  idempotent?: boolean;
  /** Minimal provider scopes the per-tool token carries. */
  scopes: readonly string[];
  /** The upstream API's resource identifier (the per-tool token's audience); set by `defineTool` from `provider`. */
  readonly resource?: string | null;
  input: I;
  output: O;
  /** A one-line, human-readable account of a call, shown to approvers ("post to #general: …"). */
  summarize: (args: z.infer<I>) => string;
  handler: (args: z.infer<I>, ctx: ToolContext<C>) => Promise<z.infer<O>>;
}

/** Any tool, erased for registries and pipelines. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyTool = ToolDefinition<any, z.ZodObject, z.ZodObject>;

/** The `account` argument every provider tool takes: which connected account (real accounts) to act in. */
export const accountArg = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/)
  .optional()
  .describe('Which connected account of this provider to use (a name from mandate_whoami\'s accounts); default: the first one.');

/** Identity helper that keeps the handler's argument and result types tied to the schemas. */
export function defineTool<C, I extends z.ZodObject, O extends z.ZodObject>(
  def: Omit<ToolDefinition<C, I, O>, 'resource'>,
): ToolDefinition<C, I, O> & { readonly resource: string | null } {
  if (!/^[A-Za-z0-9_.-]{1,128}$/.test(def.name)) throw new Error(`tool name ${def.name} is not a valid MCP tool name`);
  if (def.provider === 'mandate') return { ...def, resource: null };
  // Every provider tool may name the account it acts in; the pipeline fills in the default.
  const input = def.input.extend({ account: accountArg }) as unknown as I;
  return { ...def, input, resource: RESOURCES[def.provider] };
}

/** MCP annotations from `access`: reads are read-only; writes say whether they destroy or repeat. */
export function annotationsFor(tool: AnyTool): ToolAnnotations {
  const readOnly = tool.access === 'read';
  return {
    title: tool.title,
    readOnlyHint: readOnly,
    ...(readOnly ? {} : { destructiveHint: tool.destructive === true, idempotentHint: tool.idempotent === true }),
    openWorldHint: tool.provider !== 'mandate',
  };
}
