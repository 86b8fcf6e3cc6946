// The 2025 sessions' event store (MCP-SSE-RESUME): a client that reconnects with
// Last-Event-ID gets its stream's later events (a call's result that waited for approval),
// not the priming event and not another stream's.
import { describe, expect, it } from 'vitest';
import { MemoryEventStore } from '../../src/transports/event-store.js';

describe('MCP-SSE-RESUME: MemoryEventStore', () => {
  it('replays the stream\'s events after Last-Event-ID, in order, and only that stream\'s', async () => {
    const store = new MemoryEventStore();
    const priming = await store.storeEvent('s1', {} as never);
    const progress = { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 1, progress: 1 } } as const;
    await store.storeEvent('s1', progress as never);
    await store.storeEvent('s2', { jsonrpc: '2.0', id: 9, result: {} } as never);
    const result = { jsonrpc: '2.0', id: 1, result: { content: [] } } as const;
    const last = await store.storeEvent('s1', result as never);
    const sent: unknown[] = [];
    expect(await store.replayEventsAfter(priming, { send: async (_id, m) => { sent.push(m); } })).toBe('s1');
    expect(sent).toEqual([progress, result]);
    expect(await store.getStreamIdForEventId(last)).toBe('s1');
    await expect(store.replayEventsAfter('nope', { send: async () => undefined })).rejects.toThrow(/unknown/);
  });

  it('forgets the oldest events beyond its bound', async () => {
    const store = new MemoryEventStore(2);
    const first = await store.storeEvent('s', {} as never);
    await store.storeEvent('s', {} as never);
    await store.storeEvent('s', {} as never);
    expect(await store.getStreamIdForEventId(first)).toBeUndefined();
  });
});
