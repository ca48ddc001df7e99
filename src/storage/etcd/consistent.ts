// Pieces of "consistent reads from the watch cache" (kube-apiserver KEP-2340, on by default since
// 1.31): before a read without a resourceVersion is answered from memory, the cache learns etcd's
// current revision and waits until its watch has delivered everything up to it.

/** Clock and timers of a RevisionFetcher (tests drive them by hand: no wall clock in tests). */
export interface FetcherClock {
  now(): number;
  /** Calls `fn` after `ms`; returns a cancel function. */
  after(ms: number, fn: () => void): () => void;
  /** Calls `fn` once the event loop has run the I/O callbacks already due (setImmediate). */
  soon(fn: () => void): void;
}

const realClock: FetcherClock = {
  now: () => performance.now(),
  after: (ms, fn) => {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
  soon: (fn) => setImmediate(fn),
};

export interface RevisionFetcherOptions {
  /** Longest a fetch waits for the readers it expects before it is sent (default 5 ms). */
  readonly lingerMs?: number;
  readonly clock?: FetcherClock;
}

/** The readers one fetch answers; it is "open" (readers may join) until it is sent. */
interface Batch {
  readonly promise: Promise<number>;
  readonly resolve: (revision: number) => void;
  readonly reject: (err: unknown) => void;
  readers: number;
  /** How many readers it waits for (at most lingerMs) before it is sent. */
  expect: number;
  scheduled: boolean;
  cancelLinger: (() => void) | undefined;
}

/**
 * Coalesces revision fetches. A read may only use a fetch SENT after it arrived: one sent earlier
 * may have been answered before the write the read must see was acknowledged, so it proves nothing
 * about that read. Readers join the open (unsent) batch; at most one fetch is in flight, and the
 * open batch is sent after it settles. A fetch is a gRPC round trip costing ~1 ms of CPU in Node
 * (grpc-js call stack + HTTP/2 stream + TLS, measured) and about as much in etcd (a ReadIndex),
 * so readers per fetch decide what a consistent read costs. With closed-loop clients, "send the moment
 * the previous one settles" splits them into two cohorts that take turns (one in flight, one
 * queued): half the sharing. So a batch waits — at most `lingerMs`, and only while nothing is in
 * flight — for as many readers as the last fetch answered plus those queued behind it; a lone
 * sequential reader is expected alone and sent at once. Delaying a send never breaks the rule above.
 * A send happens at the end of the event-loop turn (setImmediate): every read of that turn joins.
 */
export class RevisionFetcher {
  readonly #fetch: () => Promise<number>;
  readonly #lingerMs: number;
  readonly #clock: FetcherClock;
  #inFlight = false;
  #open: Batch | undefined;
  /** Readers answered by the last fetch, and when it settled. */
  #lastServed = 0;
  #lastSettled = -Infinity;
  #sent = 0;

  constructor(fetch: () => Promise<number>, options: RevisionFetcherOptions = {}) {
    this.#fetch = fetch;
    this.#lingerMs = Math.max(0, options.lingerMs ?? 5);
    this.#clock = options.clock ?? realClock;
  }

  /** How many fetches have been sent (tests assert coalescing with it). */
  get fetches(): number {
    return this.#sent;
  }

  /** A revision of the store read by a fetch sent after this call. */
  next(): Promise<number> {
    const b = this.#open ?? this.#openBatch();
    b.readers++;
    if (!this.#inFlight) this.#arm(b);
    return b.promise;
  }

  #openBatch(): Batch {
    let resolve: (revision: number) => void = () => undefined;
    let reject: (err: unknown) => void = () => undefined;
    const promise = new Promise<number>((res, rej) => ((resolve = res), (reject = rej)));
    // Right after a fetch answered several readers, expect them back (they are likely a loop).
    const recent = this.#clock.now() - this.#lastSettled <= this.#lingerMs;
    const b: Batch = { promise, resolve, reject, readers: 0, expect: recent ? Math.max(1, this.#lastServed) : 1, scheduled: false, cancelLinger: undefined };
    this.#open = b;
    return b;
  }

  /** Nothing in flight: send `b` once it has its expected readers, or when the linger runs out. */
  #arm(b: Batch): void {
    if (b.scheduled) return;
    if (b.readers >= b.expect) this.#schedule(b);
    else b.cancelLinger ??= this.#clock.after(this.#lingerMs, () => this.#schedule(b));
  }

  /** Sends `b` at the end of this event-loop turn: every read that arrived in the turn joins it. */
  #schedule(b: Batch): void {
    if (b.scheduled) return;
    b.scheduled = true;
    b.cancelLinger?.();
    this.#clock.soon(() => this.#send(b));
  }

  #send(b: Batch): void {
    if (this.#open === b) this.#open = undefined;
    this.#inFlight = true;
    this.#sent++;
    const settled = (): void => {
      this.#inFlight = false;
      this.#lastServed = b.readers;
      this.#lastSettled = this.#clock.now();
      const next = this.#open;
      if (next) {
        // The readers just answered will likely be back: wait for them as well as the queue.
        next.expect = b.readers + next.readers;
        this.#arm(next);
      }
    };
    let p: Promise<number>;
    try {
      p = this.#fetch();
    } catch (err) {
      p = Promise.reject(err);
    }
    p.then((revision) => (settled(), b.resolve(revision)), (err: unknown) => (settled(), b.reject(err)));
  }
}

/**
 * The first etcd releases whose requested progress notifications are ordered with the watch's
 * events and sent only once the watch is synced (etcd-io/etcd#15220, fixed by #15237 and #17566).
 * Kubernetes serves consistent reads from its cache only on these (3.4.31+, 3.5.13+, 3.6+); on an
 * older etcd a progress notification may overtake events it claims were delivered, so trusting it
 * could serve a stale read.
 */
const PROGRESS_FIXED_IN: ReadonlyMap<string, number> = new Map([
  ["3.4", 31],
  ["3.5", 13],
]);
/** Every 3.x release from this minor on has the fix. */
const PROGRESS_FIXED_FROM_MINOR = 6;

/** True when etcd `version` ("3.5.17") sends trustworthy progress notifications. */
export function hasOrderedProgress(version: string): boolean {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version.trim());
  if (!m) return false;
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (major !== 3) return major > 3;
  if (minor >= PROGRESS_FIXED_FROM_MINOR) return true;
  const fixedPatch = PROGRESS_FIXED_IN.get(`${major}.${minor}`);
  return fixedPatch !== undefined && patch >= fixedPatch;
}
