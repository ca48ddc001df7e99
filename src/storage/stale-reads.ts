// For tests of code above the Store (updates that start from a possibly stale read): a backend
// whose "any revision" reads (GetOptions.notOlderThan, a watch cache answering from memory) come
// from a snapshot taken by freeze(), so staleness is real and deterministic. No I/O, no clock.
import type { GetOptions, KeyValue, StorageBackend } from "./types.ts";

export interface StaleReadsBackend extends StorageBackend {
  /** From now on "any" reads see each key as it was at its first such read. */
  freeze(): void;
  /** "Any" reads see the latest again. */
  thaw(): void;
  /** Reads counted by kind: `stale` with notOlderThan, `latest` without. */
  readonly reads: { stale: number; latest: number };
}

export function staleReadsBackend(inner: StorageBackend): StaleReadsBackend {
  let snapshot: Map<string, KeyValue | undefined> | undefined;
  const reads = { stale: 0, latest: 0 };
  return {
    reads,
    freeze: () => void (snapshot = new Map()),
    thaw: () => void (snapshot = undefined),
    async get(key: string, options: GetOptions = {}) {
      if (options.notOlderThan === undefined) {
        reads.latest++;
        return inner.get(key);
      }
      reads.stale++;
      if (snapshot === undefined) return inner.get(key);
      if (!snapshot.has(key)) snapshot.set(key, await inner.get(key));
      return snapshot.get(key);
    },
    // Delegated one by one: a backend's private fields need it as the receiver.
    list: (prefix, options) => inner.list(prefix, options),
    create: (key, value) => inner.create(key, value),
    update: (key, value, rev) => inner.update(key, value, rev),
    delete: (key, rev) => inner.delete(key, rev),
    watch: (prefix, after, signal) => inner.watch(prefix, after, signal),
    currentRevision: () => inner.currentRevision(),
    close: () => inner.close(),
  };
}
