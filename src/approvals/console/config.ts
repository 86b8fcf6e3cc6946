// The config as the console reads it when no running server hands it one (`mandate approvals
// ui`): the file named by MANDATE_CONFIG / MANDATE_HOME, re-read when it changes; a bad edit
// keeps the last good config (the server does the same), and no file means the defaults.
import fs from 'node:fs';
import type { Config } from '../../config/schema.js';
import { configPath } from '../../config/paths.js';
import { loadConfig, parseConfig } from '../../config/load.js';

/** A getter of the current config from `env`'s config file. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): () => Config {
  const file = configPath(env);
  let stamp = -1;
  let current: Config = parseConfig({});
  return () => {
    let mtime = 0;
    try {
      mtime = fs.statSync(file).mtimeMs;
    } catch {
      mtime = 0;
    }
    if (mtime !== stamp) {
      stamp = mtime;
      try {
        current = loadConfig(env).config;
      } catch {
        // keep the last good config
      }
    }
    return current;
  };
}
