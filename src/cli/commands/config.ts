// `mandate config schema` prints the config's JSON Schema; `config check` validates the file.
import type { CliIo } from '../io.js';
import { UsageError, println } from '../io.js';
import { configJsonSchema } from '../../config/schema.js';
import { loadConfig } from '../../config/load.js';

export async function runConfig(args: string[], io: CliIo): Promise<number> {
  const sub = args[0];
  if (sub === 'schema') {
    println(io.stdout, JSON.stringify(configJsonSchema(), null, 2));
    return 0;
  }
  if (sub === 'check') {
    const { file } = loadConfig(io.env);
    println(io.stdout, file ? `config ${file} is valid` : 'no config file: the sandbox defaults apply');
    return 0;
  }
  throw new UsageError('usage: mandate config schema | mandate config check');
}
