// `mandate agents credentials ID`: what a headless runner needs to act as agent ID, handed over
// once: MANDATE_URL, MANDATE_AGENT_ID, MANDATE_AGENT_SECRET (the agent's client secret) and
// MANDATE_DELEGATION (the user's delegation, a refresh token). Read from the secret store where
// `mandate serve` (sandbox) or `mandate login --agent ID` (real accounts) keeps them. Written to
// a 0600 file of this user's (`--env-out`), or to stdout only when asked (`--stdout`); the values
// never reach a log. `--env-file` is the same option's first name, kept for Node 22 and later: Node 20
// reads `--env-file` anywhere on its own command line, even after the script, and stops with
// "not found" before Mandate runs.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import type { CliIo } from '../io.js';
import { UsageError, println } from '../io.js';
import { loadConfig } from '../../config/load.js';
import { readSandboxInfo } from '../../runtime/sandbox-file.js';
import { SECRET_ACCOUNTS } from '../../runtime/identity.js';
import { openSecretStore } from '../../secrets/index.js';
import { terminalSafe as t } from '../../terminal.js';

const USAGE = 'usage: mandate agents credentials ID (--env-out PATH | --stdout)';

export async function runCredentials(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { 'env-out': { type: 'string' }, 'env-file': { type: 'string' }, stdout: { type: 'boolean' } },
    allowPositionals: true,
    strict: true,
  });
  const [agent, ...extra] = positionals;
  if (!agent || extra.length) throw new UsageError(USAGE);
  const target = values['env-out'] ?? values['env-file'];
  if (!target === !values.stdout) throw new UsageError(`${USAGE}: choose where the secrets go, a file (--env-out) or your terminal (--stdout)`);

  const { config } = loadConfig(io.env);
  let url: string;
  if (config.authorizationServer) {
    url = config.server?.publicUrls[0] ?? `http://127.0.0.1:${config.server?.port ?? 8787}/mcp`;
  } else {
    // The sandbox's authorization server lives in the running process: its delegations too.
    const info = readSandboxInfo(io.home);
    if (!info || !/^https?:/.test(info.mcpResource)) {
      println(io.stderr, 'no sandbox is serving HTTP for this MANDATE_HOME: start "mandate serve --transport http" (or "npm start") first; the sandbox\'s delegations last as long as it runs');
      return 1;
    }
    url = info.mcpResource;
  }
  const secrets = await openSecretStore({ home: io.home });
  const secret = await secrets.getPassword(secrets.service, SECRET_ACCOUNTS.client(agent));
  const delegation = await secrets.getPassword(secrets.service, SECRET_ACCOUNTS.delegation(agent));
  if (!secret) {
    println(io.stderr, config.authorizationServer
      ? `agent ${t(agent)} has no client secret: run "mandate agents register ${t(agent)}" and register the client at ${t(config.authorizationServer.issuer)}`
      : `the sandbox has no agent ${t(agent)}: name it under "agents" in the config (the running server picks it up)`);
    return 1;
  }
  if (!delegation) {
    println(io.stderr, `no user has delegated to agent ${t(agent)} yet: run "mandate login --agent ${t(agent)}"`);
    return 1;
  }
  const text = [
    `MANDATE_URL=${url}`,
    `MANDATE_AGENT_ID=${agent}`,
    `MANDATE_AGENT_SECRET=${secret}`,
    `MANDATE_DELEGATION=${delegation}`,
  ].join('\n') + '\n';

  if (values.stdout) {
    println(io.stderr, `mandate: what follows on stdout is agent ${t(agent)}'s secret and the user's delegation: keep it out of logs, shells' history and shared terminals`);
    io.stdout.write(text);
    return 0;
  }
  const refusal = writeSecretFile(target!, text);
  if (refusal) {
    println(io.stderr, `mandate: ${refusal}`);
    return 1;
  }
  println(io.stderr, `mandate: wrote the credentials of agent ${t(agent)} to ${t(target!)} (mode 0600); run the agent with: node --env-file=${t(target!)} …`);
  return 0;
}

/**
 * Writes `text` to `file` readable by this user alone. An existing file is replaced only when it
 * is a regular file of this user's that nobody else can read or write; otherwise nothing is
 * written and the reason is returned.
 */
export function writeSecretFile(file: string, text: string): string | null {
  let existing: fs.Stats | undefined;
  try {
    existing = fs.lstatSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (existing) {
    if (!existing.isFile()) return `${file} exists and is not a regular file (a link?): not writing secrets through it`;
    if (process.getuid && existing.uid !== process.getuid()) return `${file} belongs to another user: not writing secrets into it`;
    if (existing.mode & 0o077) {
      return `${file} can be read or written by others (mode ${(existing.mode & 0o777).toString(8).padStart(4, '0')}): remove it or "chmod 600 ${file}" first`;
    }
  }
  const { O_WRONLY, O_CREAT, O_TRUNC, O_NOFOLLOW } = fs.constants;
  const fd = fs.openSync(file, O_WRONLY | O_CREAT | O_TRUNC | (O_NOFOLLOW ?? 0) | (existing ? 0 : fs.constants.O_EXCL), 0o600);
  try {
    fs.fchmodSync(fd, 0o600);
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return null;
}
