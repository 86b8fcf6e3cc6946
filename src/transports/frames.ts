// What the SDK's stdio transport leaves out of JSON-RPC: it drops a line that is not a valid
// message (reporting it to onerror) and the client waits for an answer that never comes.
// Here every line is checked first; a bad one is answered with the JSON-RPC error it deserves
// and never reaches the server, a good one passes through unchanged.
import { Transform, type TransformCallback } from 'node:stream';

/** The longest line accepted (the HTTP transport refuses bodies over 1 MiB; stdio allows more). */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024;

export interface FrameError {
  id: string | number | null;
  error: { code: number; message: string };
}

const invalid = (id: string | number | null, why: string): FrameError => ({ id, error: { code: -32600, message: `Invalid Request: ${why}` } });

/** null when the line is a JSON-RPC message the server should see; otherwise the answer to send. */
export function checkFrame(line: string, seen?: (line: string, message: unknown) => void): FrameError | null {
  let msg: unknown;
  try {
    msg = JSON.parse(line);
  } catch {
    return { id: null, error: { code: -32700, message: 'Parse error: the line is not JSON' } };
  }
  seen?.(line, msg);
  if (Array.isArray(msg)) return invalid(null, 'JSON-RPC batches are not supported (MCP 2025-06-18); send one message per line');
  if (msg === null || typeof msg !== 'object') return invalid(null, 'a message is a JSON object');
  const m = msg as Record<string, unknown>;
  const id = typeof m.id === 'string' || typeof m.id === 'number' ? m.id : null;
  if (m.jsonrpc !== '2.0') return invalid(id, 'jsonrpc must be "2.0"');
  if ('id' in m && id === null) return invalid(null, 'id must be a string or a number');
  if ('method' in m) return typeof m.method === 'string' ? null : invalid(id, 'method must be a string');
  if (id !== null && ('result' in m || 'error' in m)) return null; // the client answering a server request
  return invalid(id, 'a message needs a method, or an id with a result or an error');
}

/**
 * Splits stdin into lines, passes the good ones on (one per chunk, newline kept) and answers
 * the bad ones through `reply`; `seen` is shown each parsed message. A line longer than MAX_FRAME_BYTES is skipped to its end.
 */
export function frameFilter(reply: (answer: FrameError) => void, seen?: (line: string, message: unknown) => void): Transform {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let skipping = false;
  const line = (text: string, push: (chunk: Buffer) => void) => {
    if (!text.trim()) return;
    const bad = checkFrame(text, seen);
    if (bad) reply(bad);
    else push(Buffer.from(`${text}\n`));
  };
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      let start = 0;
      for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
        const piece = chunk.subarray(start, nl);
        start = nl + 1;
        if (skipping) {
          skipping = false;
          continue;
        }
        const whole = pending.length ? Buffer.concat([...pending, piece]) : piece;
        pending = [];
        pendingBytes = 0;
        line(whole.toString('utf8').replace(/\r$/, ''), (b) => this.push(b));
      }
      const rest = chunk.subarray(start);
      if (skipping || rest.length === 0) return done();
      if (pendingBytes + rest.length > MAX_FRAME_BYTES) {
        pending = [];
        pendingBytes = 0;
        skipping = true;
        reply(invalid(null, `a message is at most ${MAX_FRAME_BYTES} bytes`));
        return done();
      }
      pending.push(Buffer.from(rest));
      pendingBytes += rest.length;
      done();
    },
    flush(done: TransformCallback) {
      if (!skipping && pending.length) line(Buffer.concat(pending).toString('utf8').replace(/\r$/, ''), (b) => this.push(b));
      done();
    },
  });
}
