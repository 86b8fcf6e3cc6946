// Reads and validates the config once at start. A missing file means the sandbox default;
// a bad file is an error naming the key, never a silent fallback.
import fs from 'node:fs';
import type { z } from 'zod';
import { configSchema, type Config } from './schema.js';
import { configPath } from './paths.js';
import { formatConfigIssues } from '../policy/config.js';

export class ConfigError extends Error {
  constructor(message: string, readonly file: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface LoadedConfig {
  config: Config;
  /** The file read, or null when none exists and defaults apply. */
  file: string | null;
}

const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * Formats zod issues as `path.to.key: message` lines (the policy module's wording, which names
 * the branch of a union the value was meant for); a hostile, huge key is shortened in the middle.
 */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  const plain = issues.map((i) => (i.code === 'unrecognized_keys' && i.message.startsWith('Unrecognized key') ? { ...i, message: 'unknown key' } : i));
  return formatConfigIssues(plain)
    .slice(0, 10)
    .map((line) => (line.length > 300 ? `${line.slice(0, 150)} … ${line.slice(-150)}` : line))
    .join('\n');
}

/** The path of the first `__proto__` key (JSON.parse keeps it as an own key; zod would quietly drop it). */
function protoKeyPath(value: unknown, path: string[] = [], depth = 0): string | null {
  if (value === null || typeof value !== 'object' || depth > 64) return null;
  for (const [k, v] of Object.entries(value)) {
    if (k === '__proto__') return [...path, k].join('.');
    const inner = protoKeyPath(v, [...path, k], depth + 1);
    if (inner) return inner;
  }
  return null;
}

/** Parses a config value (already JSON-decoded). */
export function parseConfig(value: unknown, file = '(inline)'): Config {
  const proto = protoKeyPath(value);
  if (proto) throw new ConfigError(`invalid config in ${file}:\n${proto}: "__proto__" is not allowed as a key`, file);
  const r = configSchema.safeParse(value);
  if (!r.success) throw new ConfigError(`invalid config in ${file}:\n${describeIssues(r.error.issues)}`, file);
  return r.data;
}

/** Loads the config file named by MANDATE_CONFIG / MANDATE_HOME, or the defaults when there is none. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const file = configPath(env);
  let text: string;
  try {
    const st = fs.statSync(file);
    if (st.size > MAX_CONFIG_BYTES) throw new ConfigError(`config file ${file} is larger than 1 MiB`, file);
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !env.MANDATE_CONFIG) return { config: parseConfig({}), file: null };
    throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`, file);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`config file ${file} is not valid JSON: ${(err as Error).message}`, file);
  }
  return { config: parseConfig(json, file), file };
}
