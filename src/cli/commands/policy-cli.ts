// `mandate policy explain`: the decision for an agent and tool under the config in force.
import type { CliIo } from '../io.js';
import { loadConfig } from '../../config/load.js';
import { allTools } from '../../../tools/index.js';
import { runPolicy } from './policy.js';

export async function runPolicyCli(args: string[], io: CliIo): Promise<number> {
  const { config } = loadConfig(io.env);
  return runPolicy(args, {
    stdout: io.stdout,
    stderr: io.stderr,
    agents: config.agents,
    tools: allTools.map((t) => ({ name: t.name, access: t.access, destructive: t.destructive })),
  });
}
