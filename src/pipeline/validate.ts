// Validates a call's arguments against the tool's zod input (unknown keys refused) and its
// result against the output schema, with errors that name the field.
import type { z } from 'zod';
import type { AnyTool } from '../../tools/define.js';
import { InvalidArguments, UpstreamError } from '../errors.js';

function describe(issues: readonly z.core.$ZodIssue[]): { message: string; field: string } {
  const first = issues[0]!;
  const path = first.path.map(String).join('.');
  if (first.code === 'unrecognized_keys') {
    const keys = (first as { keys: string[] }).keys;
    return { field: keys[0] ?? path, message: `unknown argument${keys.length > 1 ? 's' : ''} ${keys.map((k) => `"${k}"`).join(', ')}` };
  }
  const field = path || '(arguments)';
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
  return { field, message: `${field}: ${first.message}${more}` };
}

// `.strict()` builds a new schema, which zod compiles again on its first parse: make it once per tool.
const strictInputs = new WeakMap<AnyTool, z.ZodObject>();
function strictInput(tool: AnyTool): z.ZodObject {
  let schema = strictInputs.get(tool);
  if (!schema) strictInputs.set(tool, (schema = tool.input.strict()));
  return schema;
}

/** The arguments, parsed; or `invalid_arguments` naming the first bad field. */
export function validateArguments(tool: AnyTool, raw: unknown): Record<string, unknown> {
  const input = raw === undefined ? {} : raw;
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new InvalidArguments('arguments must be a JSON object', { extras: { field: '(arguments)' } });
  }
  const r = strictInput(tool).safeParse(input);
  if (!r.success) {
    const d = describe(r.error.issues);
    throw new InvalidArguments(`Invalid arguments for ${tool.name}: ${d.message}`, { extras: { field: d.field } });
  }
  return r.data as Record<string, unknown>;
}

/** The handler's result, checked against the output schema (MCP-TOOL-OUT). */
export function validateOutput(tool: AnyTool, out: unknown): Record<string, unknown> {
  const r = tool.output.safeParse(out);
  if (!r.success) {
    throw new UpstreamError(`${tool.name} got an answer of an unexpected shape from upstream.`, {
      detail: describe(r.error.issues).message,
    });
  }
  return r.data as Record<string, unknown>;
}
