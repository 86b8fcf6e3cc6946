// Tells this instance at once when another one changed what agents may do: revocations are
// written with a NOTIFY on the store's channel, and one dedicated connection LISTENs to it.
// The connection is opened on the first subscriber and reopened (every second) after a loss;
// meanwhile nothing is missed that matters: every call still reads revocations from the
// database, and the policy watcher keeps polling as it does on SQLite.
import type pg from 'pg';
import { createClient } from './connect.js';
import type { PostgresTarget } from './connect.js';

/** The NOTIFY channel of a store schema. */
export function channelOf(schema: string): string {
  return `mandate_${schema}`;
}

export class Listener {
  private readonly listeners = new Set<() => void>();
  private client: pg.Client | null = null;
  private retry: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly target: PostgresTarget) {}

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    if (!this.client && !this.retry) void this.connect();
    return () => {
      this.listeners.delete(listener);
    };
  }

  private async connect(): Promise<void> {
    this.retry = null;
    if (this.closed || this.listeners.size === 0) return;
    const client = createClient(this.target);
    const lost = () => {
      if (this.client !== client) return;
      this.client = null;
      client.end().catch(() => undefined);
      if (!this.closed) {
        this.retry = setTimeout(() => void this.connect(), 1000);
        this.retry.unref();
        // Whatever changed while the connection was down is caught by the poller; say so now too.
        this.emit();
      }
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', () => this.emit());
    this.client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${channelOf(this.target.schema)}`);
    } catch {
      lost();
    }
  }

  private emit(): void {
    for (const l of this.listeners) {
      try {
        l();
      } catch {
        // A listener's failure is its own.
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    const c = this.client;
    this.client = null;
    await c?.end().catch(() => undefined);
  }
}
