// Raw MCP 2026-07-28 requests over HTTP, for tests that need to see (and tamper with) the
// wire: the per-request _meta envelope, the standard headers, and an answer read from JSON
// or from the SSE stream.
export const MODERN = '2026-07-28';

export interface ModernAnswer {
  status: number;
  body: { result?: Record<string, any>; error?: { code: number; message: string; data?: unknown } };
}

let nextId = 1;

/** POSTs one 2026-07-28 request (`params.name` mirrored into Mcp-Name where it applies). */
export async function modernRequest(
  url: string, token: string, method: string, params: Record<string, unknown> = {},
  capabilities: Record<string, unknown> = {},
): Promise<ModernAnswer> {
  const meta = {
    ...(params._meta as Record<string, unknown> | undefined),
    'io.modelcontextprotocol/protocolVersion': MODERN,
    'io.modelcontextprotocol/clientInfo': { name: 'mandate-e2e-modern', version: '1.0.0' },
    'io.modelcontextprotocol/clientCapabilities': capabilities,
  };
  const headers: Record<string, string> = {
    authorization: `Bearer ${token}`,
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': MODERN,
    'mcp-method': method,
  };
  if (typeof params.name === 'string') headers['mcp-name'] = params.name;
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params: { ...params, _meta: meta } }) });
  const text = await res.text();
  if ((res.headers.get('content-type') ?? '').includes('text/event-stream')) {
    const frames = text.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).filter(Boolean).map((d) => JSON.parse(d));
    const answer = frames.find((f) => 'result' in f || 'error' in f) ?? {};
    return { status: res.status, body: answer };
  }
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}
