// Claude Desktop's config file: where it is on each platform, and the one `mcpServers.mandate`
// entry `mandate install claude` adds, updates or removes (every other key kept as it was).
import path from 'node:path';

/** The entry's key under `mcpServers`. */
export const ENTRY_NAME = 'mandate';

/** What a client needs to start Mandate over stdio. */
export interface McpServerEntry {
  command: string;
  args: string[];
  env?: Record<string, string>;
}

/** Where Claude Desktop keeps `claude_desktop_config.json` on `platform`. */
export function claudeConfigPath(platform: NodeJS.Platform, env: Readonly<Record<string, string | undefined>>, homedir: string): string {
  if (platform === 'darwin') return path.posix.join(homedir, 'Library', 'Application Support', 'Claude', 'claude_desktop_config.json');
  if (platform === 'win32') {
    const appData = env.APPDATA ?? path.win32.join(homedir, 'AppData', 'Roaming');
    return path.win32.join(appData, 'Claude', 'claude_desktop_config.json');
  }
  const configHome = env.XDG_CONFIG_HOME || path.posix.join(homedir, '.config');
  return path.posix.join(configHome, 'Claude', 'claude_desktop_config.json');
}

/** The stdio entry: absolute node executable and CLI path, `serve --agent ID`, and the state directory if one is named. */
export function mandateEntry(opts: { node: string; cli: string; agent: string; home?: string; config?: string }): McpServerEntry {
  const env: Record<string, string> = {};
  if (opts.home) env.MANDATE_HOME = opts.home;
  if (opts.config) env.MANDATE_CONFIG = opts.config;
  return { command: opts.node, args: [opts.cli, 'serve', '--agent', opts.agent], ...(Object.keys(env).length ? { env } : {}) };
}

/** A config file that cannot be merged into safely. */
export class MalformedClientConfig extends Error {
  constructor(file: string, why: string) {
    super(`${file}: ${why}; fix or move it first (nothing was written)`);
    this.name = 'MalformedClientConfig';
  }
}

/** Parses an existing config (empty text counts as `{}`): an object whose `mcpServers`, if any, is an object. */
export function parseClientConfig(file: string, text: string | null): Record<string, unknown> {
  if (text === null || text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new MalformedClientConfig(file, `not valid JSON (${(err as Error).message})`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new MalformedClientConfig(file, 'not a JSON object');
  const servers = (parsed as Record<string, unknown>).mcpServers;
  if (servers !== undefined && (!servers || typeof servers !== 'object' || Array.isArray(servers))) {
    throw new MalformedClientConfig(file, '"mcpServers" is not an object');
  }
  return parsed as Record<string, unknown>;
}

/** The config with `mcpServers.mandate` set to `entry`; other keys and servers untouched, in order. */
export function withEntry(config: Record<string, unknown>, entry: McpServerEntry): Record<string, unknown> {
  const servers = { ...((config.mcpServers as Record<string, unknown> | undefined) ?? {}), [ENTRY_NAME]: entry };
  return { ...config, mcpServers: servers };
}

/** The config without `mcpServers.mandate`. */
export function withoutEntry(config: Record<string, unknown>): Record<string, unknown> {
  const servers = { ...((config.mcpServers as Record<string, unknown> | undefined) ?? {}) };
  delete servers[ENTRY_NAME];
  return { ...config, mcpServers: servers };
}
