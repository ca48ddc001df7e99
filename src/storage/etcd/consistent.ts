// Pieces of "consistent reads from the watch cache" (kube-apiserver KEP-2340, on by default since
// 1.31): before a read without a resourceVersion is answered from memory, the cache learns etcd's
// current revision and waits until its watch has delivered everything up to it.

/**
 * Coalesces revision fetches (kube's cacher does the same through its progress requester): every
 * read that arrives while no fetch is in flight starts one; reads that arrive while one IS in
 * flight share the NEXT fetch, started once the current one settles — a fetch that began before a
 * read arrived may have been answered before the write that read must see was acknowledged, so it
 * proves nothing about that read. Under load this is at most one fetch in flight and one queued,
 * whatever the number of readers. A fetch is sent at the end of the event-loop turn that asked for
 * it (setImmediate), so every read whose request arrived in that turn shares it: they all arrived
 * before it was sent. Under load that batches a whole turn's worth of requests into one fetch.
 */
export class RevisionFetcher {
  readonly #fetch: () => Promise<number>;
  #inFlight: Promise<number> | undefined;
  #queued: Promise<number> | undefined;
  /** The in-flight fetch has not been sent yet: a read may still join it. */
  #unsent = false;
  #started = 0;

  constructor(fetch: () => Promise<number>) {
    this.#fetch = fetch;
  }

  /** How many fetches have started (tests assert coalescing with it). */
  get fetches(): number {
    return this.#started;
  }

  /** A revision of the store read by a fetch that started after this call. */
  next(): Promise<number> {
    if (this.#inFlight && this.#unsent) return this.#inFlight;
    if (this.#queued) return this.#queued;
    if (!this.#inFlight) return this.#launch();
    const launch = (): Promise<number> => this.#launch();
    this.#queued = this.#inFlight.then(launch, launch);
    return this.#queued;
  }

  #launch(): Promise<number> {
    this.#queued = undefined;
    this.#started++;
    this.#unsent = true;
    const p = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      this.#unsent = false;
      return this.#fetch();
    });
    this.#inFlight = p;
    const settled = (): void => {
      if (this.#inFlight === p) this.#inFlight = undefined;
    };
    p.then(settled, settled);
    return p;
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
