// The events of the 2025 sessions' SSE streams, kept in memory for a while so that a client
// whose stream broke (a call waiting minutes for approval) reconnects with Last-Event-ID and
// gets what it missed, the call's result included (SEP-1699). Bounded by count and age.
import { randomUUID } from 'node:crypto';
import type { EventStore, JSONRPCMessage } from '@modelcontextprotocol/server';

interface Stored {
  streamId: string;
  message: JSONRPCMessage;
  at: number;
}

/** An in-memory EventStore: at most `maxEvents`, none older than `maxAgeMs`. */
export class MemoryEventStore implements EventStore {
  private readonly events = new Map<string, Stored>();

  constructor(private readonly maxEvents = 10_000, private readonly maxAgeMs = 30 * 60_000) {}

  async storeEvent(streamId: string, message: JSONRPCMessage): Promise<string> {
    const id = `${streamId}_${randomUUID()}`;
    this.events.set(id, { streamId, message, at: Date.now() });
    this.prune();
    return id;
  }

  async getStreamIdForEventId(eventId: string): Promise<string | undefined> {
    return this.events.get(eventId)?.streamId;
  }

  async replayEventsAfter(lastEventId: string, { send }: { send: (eventId: string, message: JSONRPCMessage) => Promise<void> }): Promise<string> {
    const last = this.events.get(lastEventId);
    if (!last) throw new Error('unknown or expired event id');
    let after = false;
    // Map order is insertion order: the stream's later events, in the order they were sent.
    for (const [id, e] of this.events) {
      if (id === lastEventId) { after = true; continue; }
      if (!after || e.streamId !== last.streamId) continue;
      if (Object.keys(e.message).length === 0) continue; // a priming event carries no message
      await send(id, e.message);
    }
    return last.streamId;
  }

  private prune(): void {
    const oldest = Date.now() - this.maxAgeMs;
    for (const [id, e] of this.events) {
      if (this.events.size <= this.maxEvents && e.at >= oldest) break;
      this.events.delete(id);
    }
  }
}
