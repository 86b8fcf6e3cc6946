// Where Mandate keeps its state and finds its config (the contract's MANDATE_HOME / MANDATE_CONFIG).
import os from 'node:os';
import path from 'node:path';

// An empty value counts as unset: a Claude Desktop bundle passes an optional setting left blank as "".

/** The state directory: MANDATE_HOME, else ~/.mandate. */
export function mandateHome(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.MANDATE_HOME || path.join(os.homedir(), '.mandate'));
}

/** The config file: MANDATE_CONFIG, else $MANDATE_HOME/config.json. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.MANDATE_CONFIG || path.join(mandateHome(env), 'config.json'));
}
