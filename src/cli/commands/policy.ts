// `mandate policy explain --agent A --tool T [--args JSON] [--json]`: the decision the policy
// makes for one agent and tool, and the config rule that made it. It runs the same `decide`
// as the server; rate counters are not read here, so a rate limit is shown, not checked.
// Every value it prints (the agent and tool asked about, the config's rules) is escaped.
import { parseArgs } from 'node:util';
import type { AgentsConfig } from '../../policy/config.js';
import type { Decision, PolicyTool } from '../../policy/decide.js';
import { decide } from '../../policy/decide.js';
import { ancestorsOf } from '../../policy/config.js';
import { matchRule } from '../../policy/match.js';
import type { Revocations } from '../../policy/visibility.js';
import { revocationFor } from '../../policy/visibility.js';
import { jsonLineSafe, terminalSafe as t } from '../../terminal.js';

/** Where output goes (process.stdout / process.stderr, or a buffer in tests). */
export interface TextOut {
  write(chunk: string): unknown;
}

export interface PolicyIo {
  stdout: TextOut;
  stderr: TextOut;
  /** The validated `agents` section of the config. */
  agents: AgentsConfig;
  /** Every tool the server offers. */
  tools: readonly PolicyTool[];
  /** The store's revocations for an agent, when the caller has a store at hand. */
  revoked?: (agentId: string) => Revocations | undefined | Promise<Revocations | undefined>;
  /** The clock (tests pin it). */
  now?: () => Date;
}

const USAGE = `usage: mandate policy explain --agent ID --tool NAME [--args JSON] [--json]

  Prints the policy's decision for that agent and tool, and the config rule that made it.
  --args JSON   a call's arguments (a JSON object), to check the rule's constraints too
  --json        one JSON object instead of text
`;

/** Runs `mandate policy …` (args after `policy`); returns the exit code: 0 done, 2 usage errors. */
export async function runPolicy(args: string[], io: PolicyIo): Promise<number> {
  const fail = (message: string) => {
    io.stderr.write(`mandate policy: ${t(message, { multiline: true })}\n`);
    return 2;
  };
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    (sub === undefined ? io.stderr : io.stdout).write(USAGE);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'explain') return fail(`unknown command "${t(sub)}"\n${USAGE}`);

  let values: { agent?: string; tool?: string; args?: string; json?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        agent: { type: 'string' },
        tool: { type: 'string' },
        args: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    return fail(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
  }
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  if (!values.agent) return fail(`--agent is required\n${USAGE}`);
  if (!values.tool) return fail(`--tool is required\n${USAGE}`);

  const agentId = values.agent;
  const tool = io.tools.find((t) => t.name === values.tool);
  if (!tool) {
    return fail(`unknown tool "${t(values.tool)}"; known tools: ${io.tools.map((x) => x.name).sort().join(', ')}`);
  }

  let callArgs: Record<string, unknown> | undefined;
  if (values.args !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(values.args);
    } catch (err) {
      return fail(`--args is not valid JSON (${err instanceof Error ? err.message : 'unreadable'})`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      return fail('--args must be a JSON object, e.g. --args \'{"channel":"#general","text":"hi"}\'');
    }
    callArgs = parsed as Record<string, unknown>;
  }

  const revoked = revocationFor(await io.revoked?.(agentId), tool.name);
  const now = io.now?.() ?? new Date();
  const ancestors = ancestorsOf(io.agents, agentId);
  const ancestorsRevoked = Object.fromEntries(await Promise.all(ancestors.map(async (a) => [a, revocationFor(await io.revoked?.(a), tool.name)] as const)));
  const decision = decide({ agents: io.agents, agentId, tool, now, revoked, ancestorsRevoked, ...(callArgs ? { args: callArgs } : {}) });
  const known = Object.hasOwn(io.agents, agentId);

  if (values.json) {
    io.stdout.write(`${jsonLineSafe(JSON.stringify({ agent: agentId, tool: tool.name, configured: known, ...decision }))}\n`);
    return 0;
  }
  io.stdout.write(explainLine(agentId, tool.name, decision));
  if (!known) io.stdout.write(`  agent ${t(agentId)} is not in the config: the defaults apply\n`);
  if (ancestors.length) io.stdout.write(`  chain: ${[agentId, ...ancestors].map((a) => t(a)).join(' → ')} (a child may do only what every parent may; the strictest link decides)\n`);
  const constraints = constraintSummary(io.agents, agentId, tool.name);
  if (constraints && decision.effect !== 'deny') {
    io.stdout.write(`  constraints: ${t(constraints)}${callArgs ? ' (checked against --args)' : ' (pass --args to check a call)'}\n`);
  }
  if (decision.rate) io.stdout.write(`  rate limit: ${decision.rate.limit} per ${windowName(decision.rate.windowMs)} for this agent and tool (not counted here)\n`);
  return 0;
}

/** `assistant → slack_post_message: approve (agents.assistant.tools.slack_post_message) — a human approves each call` */
export function explainLine(agentId: string, toolName: string, d: Decision): string {
  const why = d.code ? `${d.code}: ${d.reason}` : d.reason;
  return `${t(agentId)} → ${t(toolName)}: ${d.effect} (${t(d.rule)}) — ${t(why)}\n`;
}

/** The constraints of the rule that applies to an agent and tool, in words (`channels #a, #b; hours …`). */
export function constraintSummary(agents: AgentsConfig, agentId: string, toolName: string): string | undefined {
  const agent = Object.hasOwn(agents, agentId) ? agents[agentId] : undefined;
  const matched = matchRule(agent, toolName);
  if (!matched || typeof matched.rule === 'string') return undefined;
  const r = matched.rule;
  const parts: string[] = [];
  if (r.channels) parts.push(`channels ${r.channels.join(', ')}`);
  if (r.attendeeDomains) parts.push(`attendee domains ${r.attendeeDomains.join(', ')}`);
  if (r.hours) parts.push(`hours ${r.hours}`);
  if (r.dealStages) parts.push(`deal stages ${r.dealStages.join(', ')}`);
  return parts.length > 0 ? parts.join('; ') : undefined;
}

function windowName(ms: number): string {
  return ms === 1_000 ? 'second' : ms === 60_000 ? 'minute' : ms === 3_600_000 ? 'hour' : ms === 86_400_000 ? 'day' : `${ms} ms`;
}
