#!/usr/bin/env node
// `mandate`: one entry point, one module per command. Exit codes: 0 ok, 1 failure, 2 usage.
import { mandateHome } from '../config/paths.js';
import { ConfigError } from '../config/load.js';
import { scrubString } from '../log.js';
import { UsageError, println, type CliIo } from './io.js';

type Command = (args: string[], io: CliIo) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  serve: async () => (await import('./commands/serve.js')).runServe,
  config: async () => (await import('./commands/config.js')).runConfig,
  doctor: async () => (await import('./commands/doctor.js')).runDoctor,
  audit: async () => {
    const { runAudit } = await import('./commands/audit.js');
    return (args, io) => runAudit(args, { stdout: io.stdout, stderr: io.stderr, home: io.home });
  },
  approvals: async () => (await import('./commands/approvals.js')).runApprovals,
  revoke: async () => (await import('./commands/revoke.js')).runRevoke,
  policy: async () => (await import('./commands/policy-cli.js')).runPolicyCli,
  sandbox: async () => (await import('./commands/sandbox.js')).runSandbox,
  agents: async () => (await import('./commands/agents.js')).runAgents,
  login: async () => (await import('./commands/login.js')).runLogin,
  install: async () => (await import('./commands/install.js')).runInstall,
  connect: async () => (await import('./commands/connect.js')).runConnect,
};

const USAGE = `usage: mandate <command>

  serve [--transport stdio|http] [--port N] [--agent ID] [--approvals-port N]   run the MCP server (stdio by default)
  approvals list [--json] | approve ID | deny ID [--reason TEXT] | ui [--port N]
  audit verify [--checkpoint FILE] | tail [--json] [--agent ID] [--tool NAME] [--user ID] [--task ID] [--event NAME | --refused] [--since ISO] [-n N] | export | show CALL_ID | checkpoint
  revoke --agent ID [--tool NAME]                            revoke a delegation or one capability
  policy explain --agent ID --tool NAME [--args JSON]        the decision and the rule that made it
  agents list | agents register ID                            agent identities (credentials go to the keychain)
  agents credentials ID (--env-out PATH | --stdout)          a headless runner's URL, client secret and delegation
  login --agent ID [--no-browser]                             a user's consent naming the agent (code + PKCE)
  install claude [--agent ID] [--home DIR] [--config FILE] [--dry-run | --uninstall]   add Mandate to Claude Desktop
  install --print [--agent ID] [--home DIR] [--config FILE]  the stdio entry as JSON, for any other client
  connect slack|hubspot|google [--account NAME] [--token-stdin] [--no-browser]   connect a real provider account
  sandbox | sandbox token --agent ID --tool NAME              the emulated APIs alone; a sandbox per-tool token
  config schema | config check                                the config's JSON Schema; validate the config
  doctor                                                      check config, keychain, store, authorization server, upstreams

State: MANDATE_HOME (default ~/.mandate). Config: MANDATE_CONFIG (default $MANDATE_HOME/config.json).`;

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    println(name ? io.stdout : io.stderr, USAGE);
    return name ? 0 : 2;
  }
  const load = COMMANDS[name];
  if (!load) {
    println(io.stderr, `mandate: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  try {
    return await (await load())(rest, io);
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      println(io.stderr, `mandate ${name}: ${(err as Error).message}`);
      return 2;
    }
    if (err instanceof ConfigError) {
      println(io.stderr, `mandate: ${err.message}`);
      return 1;
    }
    println(io.stderr, `mandate ${name}: ${scrubString(err instanceof Error ? err.message : String(err))}`);
    return 1;
  }
}

const io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env, home: mandateHome() };
main(process.argv.slice(2), io).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(err); process.exitCode = 1; },
);
