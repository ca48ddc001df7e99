// The memory backend: etcd semantics in one process, for unit tests and as the reference the
// conformance suite is written against. One global revision; every write gets the next one;
// a bounded event history serves watches from a past revision and snapshot lists.
import type { Clock } from "../base/index.ts";
import { StorageError } from "./types.ts";
import type { BackendEvent, KeyValue, ListOptions, ListResult, StorageBackend } from "./types.ts";
import { checkNotCompacted, eventKey, eventRevision, pairsAtRevision } from "./history.ts";
import { WatchHub } from "./watch-hub.ts";

export interface MemoryBackendOptions {
  /** Reserved for time-based compaction; history is bounded by count today. */
  readonly clock?: Clock;
  /** Events kept for watches and snapshot lists (default 10 000); older revisions are "compacted". */
  readonly historyLimit?: number;
}

export function createMemoryBackend(options: MemoryBackendOptions = {}): StorageBackend {
  return new MemoryBackend(options.historyLimit ?? 10_000);
}

class MemoryBackend implements StorageBackend {
  readonly #pairs = new Map<string, KeyValue>();
  /** Keys in order, for prefix ranges (binary search + splice: fine at in-memory sizes). */
  readonly #keys: string[] = [];
  #history: BackendEvent[] = [];
  #revision = 0;
  /** Every event at or below this revision has been dropped. */
  #compacted = 0;
  readonly #limit: number;
  readonly #hub: WatchHub;
  #closed = false;

  constructor(historyLimit: number) {
    this.#limit = Math.max(1, historyLimit);
    this.#hub = new WatchHub(this.#limit);
  }

  async get(key: string): Promise<KeyValue | undefined> {
    this.#checkOpen();
    return this.#pairs.get(key);
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    this.#checkOpen();
    const { startAfter, limit, revision } = options;
    let i = lowerBound(this.#keys, startAfter !== undefined && startAfter >= prefix ? startAfter : prefix);
    if (startAfter !== undefined && this.#keys[i] === startAfter) i++;
    const current: KeyValue[] = [];
    const atRevision = revision !== undefined && revision < this.#revision;
    const want = atRevision || limit === undefined || limit <= 0 ? Infinity : limit + 1;
    for (; i < this.#keys.length && current.length < want; i++) {
      const key = this.#keys[i] as string;
      if (!key.startsWith(prefix)) break;
      current.push(this.#pairs.get(key) as KeyValue);
    }
    if (!atRevision) {
      const more = current.length === want;
      return { items: more ? current.slice(0, -1) : current, revision: this.#revision, more };
    }
    checkNotCompacted(revision, this.#compacted, `list "${prefix}"`);
    const later = this.#eventsAfter(revision).filter((e) => eventKey(e).startsWith(prefix));
    return { ...pairsAtRevision(current, later, startAfter, limit), revision };
  }

  async create(key: string, value: Uint8Array): Promise<KeyValue> {
    this.#checkOpen();
    if (this.#pairs.has(key)) throw new StorageError("exists", `key "${key}" already exists`);
    const rev = this.#revision + 1;
    const kv: KeyValue = { key, value: new Uint8Array(value), createRevision: rev, modRevision: rev };
    this.#keys.splice(lowerBound(this.#keys, key), 0, key);
    this.#commit(kv, { type: "put", kv });
    return kv;
  }

  async update(key: string, value: Uint8Array, expectedRevision: number): Promise<KeyValue> {
    this.#checkOpen();
    const prev = this.#expect(key, expectedRevision);
    const kv: KeyValue = { key, value: new Uint8Array(value), createRevision: prev.createRevision, modRevision: this.#revision + 1 };
    this.#commit(kv, { type: "put", kv, prev });
    return kv;
  }

  async delete(key: string, expectedRevision?: number): Promise<KeyValue> {
    this.#checkOpen();
    const prev = this.#expect(key, expectedRevision);
    this.#pairs.delete(key);
    this.#keys.splice(lowerBound(this.#keys, key), 1);
    this.#revision++;
    this.#record({ type: "delete", key, revision: this.#revision, prev });
    return prev;
  }

  watch(prefix: string, afterRevision: number, signal: AbortSignal): AsyncIterable<BackendEvent> {
    return this.#hub.watch(prefix, afterRevision, signal, () => {
      this.#checkOpen();
      checkNotCompacted(afterRevision, this.#compacted, `watch "${prefix}"`);
      return this.#eventsAfter(afterRevision).filter((e) => eventKey(e).startsWith(prefix));
    });
  }

  async currentRevision(): Promise<number> {
    this.#checkOpen();
    return this.#revision;
  }

  async compact(revision: number): Promise<void> {
    this.#checkOpen();
    const upTo = Math.min(revision, this.#revision);
    if (upTo <= this.#compacted) return;
    this.#history = this.#eventsAfter(upTo);
    this.#compacted = upTo;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#hub.close();
  }

  #checkOpen(): void {
    if (this.#closed) throw new StorageError("unavailable", "memory backend is closed");
  }

  #expect(key: string, expectedRevision: number | undefined): KeyValue {
    const prev = this.#pairs.get(key);
    if (prev === undefined) throw new StorageError("not-found", `key "${key}" not found`);
    if (expectedRevision !== undefined && prev.modRevision !== expectedRevision) {
      throw new StorageError("conflict", `key "${key}" is at revision ${prev.modRevision}, not ${expectedRevision}`);
    }
    return prev;
  }

  #commit(kv: KeyValue, event: BackendEvent): void {
    this.#pairs.set(kv.key, kv);
    this.#revision = kv.modRevision;
    this.#record(event);
  }

  #record(event: BackendEvent): void {
    this.#history.push(event);
    // Trim in batches so a write costs O(1) amortised, not a shift of the whole history.
    if (this.#history.length >= this.#limit * 2) {
      const drop = this.#history.length - this.#limit;
      this.#compacted = eventRevision(this.#history[drop - 1] as BackendEvent);
      this.#history = this.#history.slice(drop);
    }
    this.#hub.publish(event);
  }

  /** Kept events with revision > `revision`, in order (binary search on the revision-ordered history). */
  #eventsAfter(revision: number): BackendEvent[] {
    let lo = 0;
    let hi = this.#history.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (eventRevision(this.#history[mid] as BackendEvent) <= revision) lo = mid + 1;
      else hi = mid;
    }
    return this.#history.slice(lo);
  }
}

function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((keys[mid] as string) < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
