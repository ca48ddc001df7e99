// In-process watch fan-out for the single-process backends (memory, sqlite). A write publishes its
// event synchronously after commit; each watcher first replays the kept history after its start
// revision and is registered in the same synchronous step, so no event falls between the two.
import { StorageError } from "./types.ts";
import type { BackendEvent } from "./types.ts";
import { eventKey, eventRevision } from "./history.ts";

interface Watcher {
  readonly prefix: string;
  /** Only events after this revision (a watch from a future revision waits for it, as etcd's does). */
  readonly after: number;
  queue: BackendEvent[];
  head: number;
  wake: (() => void) | undefined;
  error: StorageError | undefined;
  done: boolean;
}

export class WatchHub {
  readonly #watchers = new Set<Watcher>();
  readonly #maxQueue: number;

  /** A watcher that falls `maxQueue` events behind is ended with "compacted" (kube ends slow watchers; the client relists). */
  constructor(maxQueue: number) {
    this.#maxQueue = maxQueue;
  }

  publish(event: BackendEvent): void {
    if (this.#watchers.size === 0) return;
    const key = eventKey(event);
    for (const w of this.#watchers) {
      if (!key.startsWith(w.prefix) || eventRevision(event) <= w.after) continue;
      if (w.queue.length - w.head >= this.#maxQueue) {
        w.error = new StorageError("compacted", `watch on "${w.prefix}" fell more than ${this.#maxQueue} events behind; relist`);
        w.queue = [];
        w.head = 0;
        this.#watchers.delete(w);
      } else {
        w.queue.push(event);
      }
      w.wake?.();
    }
  }

  /** `replay` returns kept events after the start revision (or throws "compacted"). */
  watch(prefix: string, afterRevision: number, signal: AbortSignal, replay: () => BackendEvent[]): AsyncIterable<BackendEvent> {
    const watchers = this.#watchers;
    return {
      async *[Symbol.asyncIterator]() {
        if (signal.aborted) return;
        const w: Watcher = { prefix, after: afterRevision, queue: replay(), head: 0, wake: undefined, error: undefined, done: false };
        watchers.add(w);
        const onAbort = (): void => {
          w.done = true;
          w.wake?.();
        };
        signal.addEventListener("abort", onAbort);
        try {
          yield* drain(w);
        } finally {
          watchers.delete(w);
          signal.removeEventListener("abort", onAbort);
        }
      },
    };
  }

  /** Ends every watch (backend closing). */
  close(): void {
    for (const w of this.#watchers) {
      w.done = true;
      w.wake?.();
    }
    this.#watchers.clear();
  }
}

async function* drain(w: Watcher): AsyncGenerator<BackendEvent> {
  let last = w.after;
  while (true) {
    if (w.error) throw w.error;
    if (w.done) return;
    if (w.head < w.queue.length) {
      const e = w.queue[w.head++] as BackendEvent;
      if (w.head === w.queue.length) {
        w.queue = [];
        w.head = 0;
      }
      const rev = eventRevision(e);
      if (rev <= last) continue; // defensive: never deliver out of order or twice
      last = rev;
      yield e;
      continue;
    }
    await new Promise<void>((resolve) => {
      w.wake = resolve;
    });
    w.wake = undefined;
  }
}
