// The MCP client side of a stdio channel that is not this process's child's stdin/stdout
// (the benchmark host serves two stdio servers, on fds 3 and 4): the same newline-delimited
// JSON framing as the SDK's StdioClientTransport, through the SDK's own ReadBuffer and
// serializeMessage, so guarded and bare servers are read by identical client code.
import type { Duplex } from 'node:stream';
import { once } from 'node:events';
import { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

/** A client Transport over one duplex socket speaking MCP's stdio framing. */
export class SocketClientTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  private readonly buffer = new ReadBuffer();

  constructor(private readonly socket: Duplex) {}

  async start(): Promise<void> {
    this.socket.on('data', (chunk: Buffer) => {
      this.buffer.append(chunk);
      for (;;) {
        let message: JSONRPCMessage | null;
        try {
          message = this.buffer.readMessage();
        } catch (err) {
          this.onerror?.(err as Error);
          continue;
        }
        if (!message) break;
        this.onmessage?.(message);
      }
    });
    this.socket.on('error', (err) => this.onerror?.(err));
    this.socket.on('close', () => this.onclose?.());
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (!this.socket.write(serializeMessage(message))) await once(this.socket, 'drain');
  }

  async close(): Promise<void> {
    this.socket.end();
    this.buffer.clear();
  }
}
