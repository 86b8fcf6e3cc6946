// The console API's I/O at the edge: JSON answers with the page's security headers, errors
// as `{ error: { code, message } }` with a stable code, and a bounded JSON-only request body.
import type http from 'node:http';

/** Stable error codes of the console API. */
export type ConsoleErrorCode =
  | 'invalid_query'
  | 'invalid_body'
  | 'confirmation_required'
  | 'unknown_agent'
  | 'unknown_tool'
  | 'body_too_large'
  | 'unsupported_media_type'
  | 'method_not_allowed'
  | 'internal_error';

export class ConsoleError extends Error {
  constructor(readonly code: ConsoleErrorCode, message: string, readonly status: number) {
    super(message);
    this.name = 'ConsoleError';
  }
}

/** Largest revoke body accepted. */
const MAX_BODY = 4 * 1024;

export function sendJson(res: http.ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
    'referrer-policy': 'no-referrer',
  });
  res.end(JSON.stringify(value));
}

export function sendError(res: http.ServerResponse, err: ConsoleError): void {
  sendJson(res, err.status, { error: { code: err.code, message: err.message } });
}

/**
 * The body as parsed JSON. Only `application/json` is read: a cross-site form cannot send it
 * without a preflight, one more wall besides the Origin and CSRF checks.
 */
export async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') throw new ConsoleError('unsupported_media_type', 'the body must be application/json', 415);
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new ConsoleError('body_too_large', `the body must be at most ${MAX_BODY} bytes`, 413);
    chunks.push(c as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new ConsoleError('invalid_body', 'the body is not valid JSON', 400);
  }
}
