// What every CLI command gets: where to write, and where Mandate keeps its state.
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

export const println = (stream: NodeJS.WritableStream, text = '') => { stream.write(text + '\n'); };
