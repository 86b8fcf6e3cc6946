// The SDK rebuilds a request's params from the parsed JSON, and an own `__proto__` key in a
// tool's arguments does not survive that (it is dropped). Mandate's pipeline must see the
// arguments as sent, so that a key the tool's schema does not know is refused
// (invalid_arguments) rather than silently lost. The transports note such arguments here,
// by request id, before the SDK reads the message; the tools/call handler takes them back.

type Id = string | number;

/** Arguments as sent, for the tools/call requests whose arguments the SDK would alter. */
export class RawArguments {
  private readonly byId = new Map<Id, unknown>();

  /** Looks at one JSON-RPC message (or a batch) as parsed from the wire. `text` is its raw form, if at hand. */
  note(message: unknown, text?: string): void {
    if (text !== undefined && !text.includes('__proto__')) return;
    for (const m of Array.isArray(message) ? message : [message]) {
      const msg = m as { method?: unknown; id?: unknown; params?: { arguments?: unknown } } | null;
      if (!msg || msg.method !== 'tools/call' || (typeof msg.id !== 'string' && typeof msg.id !== 'number')) continue;
      const args = msg.params?.arguments;
      if (hasOwnProto(args, 0)) {
        this.byId.set(msg.id, args);
        if (this.byId.size > 1000) this.byId.delete(this.byId.keys().next().value as Id);
      }
    }
  }

  /** The arguments as sent for request `id`, once; undefined when the SDK's copy is faithful. */
  take(id: Id): unknown {
    const args = this.byId.get(id);
    this.byId.delete(id);
    return args;
  }
}

function hasOwnProto(value: unknown, depth: number): boolean {
  if (!value || typeof value !== 'object' || depth > 64) return false;
  if (Object.prototype.hasOwnProperty.call(value, '__proto__')) return true;
  return Object.values(value).some((v) => hasOwnProto(v, depth + 1));
}
