// What every CLI command gets: where to write, and where Mandate keeps its state.
import { terminalSafe } from '../terminal.js';

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  home: string;
}

/** A usage error: exit code 2 with a message on stderr. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * Writes one line (or a few). Whatever a caller forgot to escape is escaped here, newlines and
 * tabs apart: no control sequence reaches the terminal. JSON text passes through unharmed (its
 * DEL, C1 and bidi characters become `\uNNNN`, still valid JSON). A value that must stay on its
 * line is escaped by the caller with `terminalSafe` (which escapes `\n` too).
 */
export const println = (stream: NodeJS.WritableStream, text = '') => { stream.write(terminalSafe(text, { multiline: true }) + '\n'); };
