// `mandate install claude [--dry-run | --uninstall]`: adds (or updates, or removes) Mandate in
// Claude Desktop's config with absolute paths, after a timestamped backup of the file, keeping
// every other entry. `mandate install --print`: the same entry as JSON, for any other client.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { CliIo } from '../io.js';
import { UsageError, println } from '../io.js';
import { DEMO_AGENT } from '../../sandbox/index.js';
import {
  ENTRY_NAME, MalformedClientConfig, claudeConfigPath, mandateEntry, parseClientConfig, withEntry, withoutEntry,
} from '../../install/claude.js';
import { terminalSafe as t } from '../../terminal.js';

const USAGE = 'usage: mandate install claude [--agent ID] [--home DIR] [--config FILE] [--dry-run | --uninstall] | mandate install --print [--agent ID] [--home DIR] [--config FILE]';

/** What tests inject: the platform, the user's home directory, the clock, and the CLI's path. */
export interface InstallContext {
  platform?: NodeJS.Platform;
  homedir?: string;
  now?: Date;
  cli?: string;
  node?: string;
}

export async function runInstall(args: string[], io: CliIo, ctx: InstallContext = {}): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      agent: { type: 'string', default: DEMO_AGENT },
      home: { type: 'string' },
      config: { type: 'string' },
      'dry-run': { type: 'boolean' },
      uninstall: { type: 'boolean' },
      print: { type: 'boolean' },
    },
    allowPositionals: true,
    strict: true,
  });
  const client = positionals[0];
  if (positionals.length > 1 || (values.print ? client !== undefined : client !== 'claude')) throw new UsageError(USAGE);
  if (values['dry-run'] && values.uninstall) throw new UsageError(`${USAGE}: --dry-run and --uninstall exclude each other`);

  // The CLI this process runs, with links resolved: the installed package's dist/mandate.js.
  const cli = ctx.cli ?? fs.realpathSync(process.argv[1]!);
  const home = values.home ?? (io.env.MANDATE_HOME ? io.home : undefined);
  const entry = mandateEntry({
    node: ctx.node ?? process.execPath,
    cli,
    agent: values.agent!,
    home: home && path.resolve(home),
    config: values.config && path.resolve(values.config),
  });
  if (values.print) {
    println(io.stdout, JSON.stringify({ mcpServers: { [ENTRY_NAME]: entry } }, null, 2));
    return 0;
  }

  const file = claudeConfigPath(ctx.platform ?? process.platform, io.env, ctx.homedir ?? io.env.HOME ?? os.homedir());
  let text: string | null = null;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  let current: Record<string, unknown>;
  try {
    current = parseClientConfig(file, text);
  } catch (err) {
    if (!(err instanceof MalformedClientConfig)) throw err;
    println(io.stderr, `mandate: ${t(err.message)}`);
    return 1;
  }
  const servers = (current.mcpServers ?? {}) as Record<string, unknown>;
  const had = ENTRY_NAME in servers;
  if (values.uninstall && !had) {
    println(io.stderr, `mandate: ${t(file)} has no "${ENTRY_NAME}" server; nothing to remove`);
    return 0;
  }
  const next = values.uninstall ? withoutEntry(current) : withEntry(current, entry);
  const verb = values.uninstall ? 'remove' : had ? 'update' : 'add';

  if (values['dry-run']) {
    println(io.stderr, `mandate: would ${verb} mcpServers.${ENTRY_NAME} in ${t(file)} (nothing written):`);
    if (had) println(io.stderr, `- ${JSON.stringify(servers[ENTRY_NAME])}`);
    println(io.stderr, `+ ${JSON.stringify(entry)}`);
    println(io.stdout, JSON.stringify(next, null, 2));
    return 0;
  }

  fs.mkdirSync(path.dirname(file), { recursive: true });
  let backup: string | undefined;
  if (text !== null) {
    backup = `${file}.${(ctx.now ?? new Date()).toISOString().replace(/[-:]/g, '')}.bak`;
    fs.copyFileSync(file, backup, fs.constants.COPYFILE_EXCL);
  }
  const mode = text !== null ? fs.statSync(file).mode & 0o777 : 0o600;
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(next, null, 2) + '\n', { mode });
  fs.renameSync(tmp, file);
  println(io.stderr, `mandate: ${verb === 'remove' ? 'removed' : verb === 'update' ? 'updated' : 'added'} mcpServers.${ENTRY_NAME} in ${t(file)}${backup ? ` (backup: ${t(backup)})` : ''}`);
  if (!values.uninstall) {
    if (/[\\/]_npx[\\/]/.test(cli)) println(io.stderr, 'mandate: note: this CLI runs from npx\'s cache, which npm may clean; for a lasting install run "npm install -g mandate-mcp" and then "mandate install claude"');
    println(io.stderr, 'mandate: restart Claude Desktop to load it');
  }
  return 0;
}
