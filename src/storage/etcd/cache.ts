// The watch cache (kube-apiserver's Cacher): every key under the backend prefix held in memory,
// filled by one paginated LIST at a pinned revision and kept current by one etcd watch from there.
// get/list/watch are answered from memory; writes go to etcd and return only once the cache's
// watch has seen the write's revision, so a replica reads its own writes.
// Reads are linearizable across replicas, as kube-apiserver's consistent reads from cache
// (KEP-2340): a get, or a list without a revision, first learns etcd's current revision (a quorum
// range of one key; RevisionFetcher shares one fetch among concurrent reads, at most one in
// flight) and is answered from memory once the watch has delivered everything up to it —
// so a write another replica acknowledged before the read began is always seen. The cache reaches
// that revision through events, or, when the revision came from writes outside its range, through
// a watch progress request; on an etcd whose progress notifications may overtake events
// (< 3.4.31 / 3.5.13, etcd-io/etcd#15220) it trusts events only and, if they do not get it there
// within `eventWaitMs`, reads from etcd — kube falls back to etcd for every such read.
// A list at an explicit revision (continue pages, "Exact") waits for that revision only.
// While the watch is broken the cache is "not ready" and reads go to etcd, as kube's cacher
// delegates to storage until it has resynced; a compacted watch makes it relist.
import { StorageError } from "../types.ts";
import type { BackendEvent, GetOptions, KeyValue, ListOptions, ListResult, StorageBackend } from "../types.ts";
import { eventKey, eventRevision, pairsAtRevision } from "../history.ts";
import { WatchHub } from "../watch-hub.ts";
import type { EtcdBackend } from "./backend.ts";
import { sleep } from "./watch.ts";
import { insertKey, lowerBound, removeKey } from "./keys.ts";
import { RevisionFetcher, hasOrderedProgress } from "./consistent.ts";
import type { ReadLease } from "./read-lease.ts";

export interface WatchCacheOptions {
  /** Events kept for watches and snapshot lists from the cache (default 10 000). */
  readonly historyLimit?: number;
  /** How long a write or read waits for the cache to reach a revision before going to etcd (default 3 s). */
  readonly waitTimeoutMs?: number;
  /** On an etcd without ordered progress notifications: how long a read waits for the watch's
   *  events to reach etcd's revision before it reads from etcd instead (default 10 ms). */
  readonly eventWaitMs?: number;
}

/** The cache holds keys starting with "/" (every storage key: /registry/…), so a neighbouring
 *  --etcd-prefix ("/kpki" beside "/kpki-staging") never leaks into it; other keys go to etcd. */
const CACHED = "/";
/** The feed starts just before "/" at "." (read-lease.ts's keys): events outside "/" only advance the
 *  cache's revision (so a read under the read lease finds the cache at the lease's revision) and never
 *  enter it — also those of a neighbouring prefix such as "/kpki.staging", which costs only traffic. */
const FEED = { from: ".", prefix: CACHED };

interface Waiter {
  readonly revision: number;
  readonly resolve: (reached: boolean) => void;
}

export class WatchCache implements StorageBackend {
  readonly #inner: EtcdBackend;
  readonly #pairs = new Map<string, KeyValue>();
  #keys: string[] = [];
  #history: BackendEvent[] = [];
  #revision = 0;
  /** Events with revision > floor are in #history; older reads go to etcd. */
  #floor = 0;
  #listed = false;
  #connected = false;
  /** The newest revision this process wrote: reads wait for the cache to reach it. */
  #lastWrite = 0;
  #waiters: Waiter[] = [];
  /** Asks etcd to confirm the cache's watch is current (set per watch stream). */
  #requestProgress: (() => void) | undefined;
  /** Whether this etcd's progress notifications are ordered with events (checked per connection). */
  #progressTrusted = false;
  /** etcd's current revision for consistent reads, coalesced. */
  readonly #fresh: RevisionFetcher;
  readonly #limit: number;
  readonly #waitMs: number;
  readonly #eventWaitMs: number;
  readonly #hub: WatchHub;
  readonly #ac = new AbortController();
  #loop: Promise<void> = Promise.resolve();
  /** Set when this replica may hold the read lease (read-lease.ts): reads skip the fetch while it does. */
  readonly #lease: ReadLease | undefined;

  private constructor(inner: EtcdBackend, o: WatchCacheOptions) {
    this.#inner = inner;
    this.#limit = Math.max(1, o.historyLimit ?? 10_000);
    this.#waitMs = o.waitTimeoutMs ?? 3000;
    this.#eventWaitMs = o.eventWaitMs ?? 10;
    this.#fresh = new RevisionFetcher(() => inner.currentRevision());
    this.#hub = new WatchHub(this.#limit);
    this.#lease = inner.readLease;
    this.#lease?.attachCache(() => this.isReady);
  }

  /** Starts the cache; resolves once it is serving, or after the first failure (it keeps retrying). */
  static async start(inner: EtcdBackend, o: WatchCacheOptions = {}): Promise<WatchCache> {
    const cache = new WatchCache(inner, o);
    let settle: () => void = () => undefined;
    const settled = new Promise<void>((resolve) => (settle = resolve));
    cache.#loop = cache.#run(settle);
    await settled;
    return cache;
  }

  get isReady(): boolean {
    return this.#listed && this.#connected;
  }

  /** Whether consistent reads are answered from memory now, under the read lease. */
  get holdsReadLease(): boolean {
    return this.#lease?.holding ?? false;
  }

  /** Revision fetches started for consistent reads (tests check that they coalesce). */
  get revisionFetches(): number {
    return this.#fresh.fetches;
  }

  async get(key: string, options: GetOptions = {}): Promise<KeyValue | undefined> {
    if (key.startsWith(CACHED) && (await this.#freshEnough(options.notOlderThan))) return this.#pairs.get(key);
    return this.#inner.get(key);
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    const { startAfter, limit, revision, notOlderThan } = options;
    if (!prefix.startsWith(CACHED) || (revision !== undefined && revision < this.#floor)) return this.#inner.list(prefix, options);
    if (!(await this.#freshEnough(revision ?? notOlderThan))) return this.#inner.list(prefix, options);
    const past = revision !== undefined && revision < this.#revision;
    let i = lowerBound(this.#keys, startAfter !== undefined && startAfter >= prefix ? startAfter : prefix);
    if (startAfter !== undefined && this.#keys[i] === startAfter) i++;
    const want = past || limit === undefined || limit <= 0 ? Infinity : limit + 1;
    const current: KeyValue[] = [];
    for (; i < this.#keys.length && current.length < want; i++) {
      const key = this.#keys[i] as string;
      if (!key.startsWith(prefix)) break;
      current.push(this.#pairs.get(key) as KeyValue);
    }
    if (!past) {
      const more = current.length === want;
      return { items: more ? current.slice(0, -1) : current, revision: this.#revision, more };
    }
    const later = this.#eventsAfter(revision).filter((e) => eventKey(e).startsWith(prefix));
    return { ...pairsAtRevision(current, later, startAfter, limit), revision };
  }

  async create(key: string, value: Uint8Array): Promise<KeyValue> {
    const kv = await this.#inner.create(key, value);
    await this.#wrote(key, kv.modRevision);
    return kv;
  }

  async update(key: string, value: Uint8Array, expectedRevision: number): Promise<KeyValue> {
    const kv = await this.#inner.update(key, value, expectedRevision);
    await this.#wrote(key, kv.modRevision);
    return kv;
  }

  async delete(key: string, expectedRevision?: number): Promise<KeyValue> {
    const { prev, revision } = await this.#inner.deleteAt(key, expectedRevision);
    await this.#wrote(key, revision);
    return prev;
  }

  watch(prefix: string, afterRevision: number, signal: AbortSignal): AsyncIterable<BackendEvent> {
    const direct = (): AsyncIterable<BackendEvent> => this.#inner.watch(prefix, afterRevision, signal);
    const cached = (): AsyncIterable<BackendEvent> =>
      this.#hub.watch(prefix, afterRevision, signal, () => this.#eventsAfter(afterRevision).filter((e) => eventKey(e).startsWith(prefix)));
    const usable = (): boolean => this.isReady && afterRevision >= this.#floor && prefix.startsWith(CACHED);
    return {
      async *[Symbol.asyncIterator]() {
        // Decided when iteration starts; the hub registers the watcher in the same synchronous
        // step as the replay, and skips events up to afterRevision if the cache is still behind it.
        yield* usable() ? cached() : direct();
      },
    };
  }

  async currentRevision(): Promise<number> {
    if (await this.#consistent()) return this.#revision;
    return this.#inner.currentRevision();
  }

  async compact(revision: number): Promise<void> {
    await this.#inner.compact(revision);
    const upTo = Math.min(revision, this.#revision);
    if (upTo > this.#floor) {
      this.#history = this.#eventsAfter(upTo);
      this.#floor = upTo;
    }
  }

  async close(): Promise<void> {
    this.#ac.abort();
    this.#hub.close();
    this.#release(false);
    await this.#loop.catch(() => undefined);
    await this.#inner.close();
  }

  /** List, then follow the watch; relist after compaction, retry (not ready meanwhile) while etcd is down. */
  async #run(settle: () => void): Promise<void> {
    const signal = this.#ac.signal;
    let delay = 100;
    const hooks = {
      onConnected: () => {
        this.#connected = true;
        delay = 100;
        settle();
        this.#release(true);
      },
      onDisconnected: () => this.#disconnected(),
      onStream: (request: () => void) => (this.#requestProgress = request),
      onProgress: (revision: number) => {
        if (!this.#progressTrusted) return; // unrequested, and unsafe on this etcd (see the header)
        this.#revision = Math.max(this.#revision, revision);
        this.#release(true);
      },
    };
    while (!signal.aborted) {
      try {
        if (!this.#listed) await this.#relist();
        this.#progressTrusted = hasOrderedProgress(await this.#inner.serverVersion());
        for await (const e of this.#inner.watchFeed(FEED, this.#revision, signal, hooks)) this.#apply(e);
        return;
      } catch (err) {
        this.#disconnected();
        if (err instanceof StorageError && err.code === "compacted") this.#listed = false;
        settle();
        await sleep(delay, signal);
        delay = Math.min(delay * 2, 2000);
      }
    }
  }

  async #relist(): Promise<void> {
    const pairs: KeyValue[] = [];
    let revision: number | undefined;
    let startAfter: string | undefined;
    for (;;) {
      const page = await this.#inner.list(CACHED, { limit: 5000, startAfter, revision });
      revision ??= page.revision;
      pairs.push(...page.items);
      startAfter = page.items.at(-1)?.key;
      if (!page.more) break;
    }
    this.#pairs.clear();
    for (const kv of pairs) this.#pairs.set(kv.key, kv);
    this.#keys = [...this.#pairs.keys()].sort();
    this.#revision = revision ?? 0;
    this.#floor = this.#revision;
    this.#history = [];
    this.#hub.close(); // watchers of the old state end; they resume from their last revision
    this.#listed = true;
  }

  #apply(e: BackendEvent): void {
    const key = eventKey(e);
    if (!key.startsWith(CACHED)) {
      // Beside the cache (the read lease's keys): every event before it has been delivered.
      this.#revision = Math.max(this.#revision, eventRevision(e));
      this.#release(true);
      return;
    }
    const before = this.#pairs.get(key);
    let event = e;
    if (e.type === "put") {
      if (!before) insertKey(this.#keys, key);
      this.#pairs.set(key, e.kv);
      if (!e.prev && before) event = { ...e, prev: before };
    } else {
      if (before) removeKey(this.#keys, key);
      this.#pairs.delete(key);
      if (!e.prev && before) event = { ...e, prev: before };
    }
    this.#revision = Math.max(this.#revision, eventRevision(e));
    this.#history.push(event);
    if (this.#history.length >= this.#limit * 2) {
      const drop = this.#history.length - this.#limit;
      this.#floor = eventRevision(this.#history[drop - 1] as BackendEvent);
      this.#history = this.#history.slice(drop);
    }
    this.#hub.publish(event);
    this.#release(true);
  }

  /** A write to a cached key is followed by its own event; others never reach the cache. */
  async #wrote(key: string, revision: number): Promise<void> {
    if (!key.startsWith(CACHED)) return;
    this.#lastWrite = Math.max(this.#lastWrite, revision);
    if (this.isReady) await this.#reach(revision, this.#waitMs);
  }

  /** No revision: the latest, confirmed with etcd (#consistent); a revision (kube's "0", "N" not older
   *  than N, or an exact one): what the cache holds once it has reached that one and our own writes. */
  #freshEnough(atLeast: number | undefined): Promise<boolean> {
    return atLeast === undefined ? this.#consistent() : this.#servable(Math.max(this.#lastWrite, atLeast), this.#readWaitMs());
  }

  /** True when the cache holds every write etcd acknowledged before this call (KEP-2340). */
  async #consistent(): Promise<boolean> {
    if (!this.isReady) return false;
    // Under the read lease no other replica can have written since it was taken: what this replica
    // wrote and the lease's own revision bound everything a read must see.
    const held = this.#lease?.heldSince();
    if (held !== undefined) return this.#servable(Math.max(held, this.#lastWrite), this.#readWaitMs());
    let fresh: number;
    try {
      fresh = await this.#fresh.next();
    } catch (err) {
      // etcd did not answer within the request deadline: asking it again for the value would only
      // double the wait before the same 503 (a frozen etcd), so the read fails now.
      if (err instanceof StorageError && err.code === "unavailable") throw err;
      return false; // anything else: the read goes to etcd and reports that itself
    }
    return this.#servable(Math.max(fresh, this.#lastWrite), this.#readWaitMs());
  }

  /** How long a read waits for the cache before reading etcd: with trusted progress requests the
   *  cache will get there; with events alone it may not (the revision came from elsewhere). */
  #readWaitMs(): number {
    return this.#progressTrusted ? this.#waitMs : Math.min(this.#eventWaitMs, this.#waitMs);
  }

  /** True when reads may be answered from memory at (at least) `revision`. */
  async #servable(revision: number, waitMs: number): Promise<boolean> {
    if (!this.isReady) return false;
    return this.#revision >= revision || (await this.#reach(revision, waitMs));
  }

  #reach(revision: number, waitMs: number): Promise<boolean> {
    if (this.#revision >= revision) return Promise.resolve(true);
    return new Promise((resolve) => {
      // The revision may come from writes outside our prefix (a shared etcd): no event of ours
      // will carry it, so if it does not arrive at once ask etcd to confirm the watch's progress
      // (kube's RequestWatchProgress for consistent reads from the cache) — where that is safe.
      const nudge = this.#progressTrusted ? setTimeout(() => this.#requestProgress?.(), 20) : undefined;
      const timer = setTimeout(() => resolve(false), waitMs);
      this.#waiters.push({ revision, resolve: (ok) => (clearTimeout(timer), clearTimeout(nudge), resolve(ok)) });
    });
  }

  /** Wakes waiters the cache has reached (or all of them with `false` when it cannot serve). */
  #release(ok: boolean): void {
    if (this.#waiters.length === 0) return;
    const keep: Waiter[] = [];
    for (const w of this.#waiters) {
      if (!ok) w.resolve(false);
      else if (this.#revision >= w.revision) w.resolve(true);
      else keep.push(w);
    }
    this.#waiters = keep;
  }

  #disconnected(): void {
    this.#connected = false;
    this.#release(false);
  }

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
