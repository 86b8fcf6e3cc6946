// The store a CLI command opens: the same one the server uses (`MANDATE_STORE`, else the
// config's `store`, else the SQLite file in the state directory). A config that does not
// parse leaves the choice to `MANDATE_STORE` or the default, so `mandate audit verify` still runs.
import { loadConfig } from '../config/load.js';
import { openConfiguredStore } from '../store/open.js';
import type { Store } from '../store/types.js';
import type { CliIo } from './io.js';

export async function openCliStore(io: Pick<CliIo, 'home'> & { env?: NodeJS.ProcessEnv }): Promise<Store> {
  const env = io.env ?? process.env;
  let configured: string | undefined;
  try {
    configured = loadConfig(env).config.store;
  } catch {
    configured = undefined;
  }
  return openConfiguredStore(io.home, env, configured);
}
