// The read lease: lets a lone kpki replica answer consistent reads from its watch cache with no
// etcd round trip, and stays linearizable when other replicas come.
//
// Why it is safe. A consistent read must see every write acknowledged before it began. Normally
// the cache learns etcd's current revision for that (a quorum read, consistent.ts). The lease
// replaces that round trip with a promise etcd enforces: while key READ_LEASE_KEY exists, created
// by replica X at revision R, every write of every replica is a Txn that compares that key's
// create_revision — with R on X, with 0 ("absent") on everyone else — so no other replica's write
// can commit while X holds it. X's own writes are waited for by its cache (lastWrite). So a cache
// that has reached R answers a read from memory exactly as a fresh fetch would let it. The key is
// attached to an etcd lease; X stops answering from memory before the lease can have expired on
// etcd (last keepalive SENT + TTL − margin, on X's monotonic clock), and a write that finds the key
// gone switches X back to fetching.
//
// Who holds it. Each replica registers a presence key under REPLICAS_PREFIX, attached to its etcd
// lease, and watches the others'. A replica that sees no presence but its own takes the read lease;
// a holder that sees another presence (or can no longer watch them) gives it up — the newcomer's
// writes wait for that, or at most the TTL if the holder died. Both keys sit beside the storage
// keys (".…" after the prefix, not "/…"), so no list or backup of "/" includes them; "." sorts just
// before "/", so the watch cache's feed, which starts at ".", sees the lease key's revision. Several replicas therefore all fetch, as kube-apiserver's consistent reads do; one replica
// — the common case, and SQLite's only one — reads from memory.
//
// Assumed, as kube-apiserver assumes of its --etcd-prefix: only kpki replicas write under the prefix.
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import type { ICompare, IKeyValue, Lease } from "etcd3";
import { messageOf } from "../../base/index.ts";
import { StorageError } from "../types.ts";
import { callEtcd, prefixRangeEnd } from "./client.ts";
import type { EtcdConnection } from "./client.ts";
import { sleep, watchEtcd } from "./watch.ts";

/** Keys (after the backend prefix) of the read lease and of each replica's presence. */
export const READ_LEASE_KEY = ".read-lease";
export const REPLICAS_PREFIX = ".replicas/";

/** Time left off the lease on our side (timers that fire late, clocks that run at different rates):
 *  1 s, or a quarter of a short TTL. */
const marginMs = (ttlSeconds: number): number => Math.min(1000, ttlSeconds * 250);

export interface ReadLeaseOptions {
  /** The etcd lease's TTL in seconds (default 5): how long other replicas' writes may wait after a holder dies. */
  readonly ttlSeconds?: number;
  /** Whether this replica may hold the lease (default true). One that may not still registers and
   *  guards its writes, so another replica's lease stays safe. */
  readonly mayHold?: boolean;
  readonly log?: (line: string) => void;
}

/**
 * When the etcd lease is surely still alive on etcd: the request that renewed it was sent no
 * earlier than the oldest keepalive still unanswered, and etcd counts the TTL from when it got it.
 * Pure (times are passed in), so the rule is tested without waiting.
 */
export class LeaseValidity {
  readonly #marginMs: number;
  #unanswered: number[] = [];
  #until = -Infinity;

  constructor(marginMs: number) {
    this.#marginMs = marginMs;
  }

  /** A keepalive (or the grant) was sent at `now`. */
  sent(now: number): void {
    this.#unanswered.push(now);
  }

  /** etcd answered the oldest unanswered request: the lease lives `ttlSeconds` from its sending. */
  answered(now: number, ttlSeconds: number): void {
    const sentAt = this.#unanswered.shift() ?? now;
    this.#until = ttlSeconds > 0 ? Math.max(this.#until, sentAt + ttlSeconds * 1000 - this.#marginMs) : -Infinity;
  }

  /** A new stream: answers to earlier requests will not come. */
  resetPending(): void {
    this.#unanswered = [];
  }

  lost(): void {
    this.#until = -Infinity;
    this.#unanswered = [];
  }

  validAt(now: number): boolean {
    return now < this.#until;
  }
}

type Mode =
  | { readonly kind: "shared" }
  | { readonly kind: "acquiring" }
  | { readonly kind: "holding"; readonly revision: number }
  | { readonly kind: "releasing"; readonly revision: number };

export class ReadLease {
  readonly id = `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
  readonly #conn: EtcdConnection;
  readonly #prefix: Buffer;
  readonly #ttl: number;
  readonly #o: ReadLeaseOptions;
  readonly #validity: LeaseValidity;
  readonly #ac = new AbortController();
  #lease: Lease | undefined;
  #leaseId: string | undefined;
  /** Resolves once this replica's presence key is written (again after each lost lease). */
  #registered: Promise<void> = Promise.resolve();
  #mode: Mode = { kind: "shared" };
  /** Whether the watch cache follows etcd; unset on a replica without one, which never holds the lease. */
  #cacheReady: (() => boolean) | undefined;
  /** Other registered replicas, as the presence watch last counted them (undefined while it is not following). */
  #others: number | undefined;
  #ticker: NodeJS.Timeout | undefined;

  constructor(conn: EtcdConnection, prefix: Buffer, o: ReadLeaseOptions) {
    this.#conn = conn;
    this.#prefix = prefix;
    this.#ttl = Math.max(2, Math.round(o.ttlSeconds ?? 5));
    this.#validity = new LeaseValidity(marginMs(this.#ttl));
    this.#o = o;
  }

  /** The watch cache that would answer from memory: only a replica with one may hold the lease. */
  attachCache(isReady: () => boolean): void {
    this.#cacheReady = isReady;
  }

  /** Starts registering this replica (in the background: etcd may be down; writes work meanwhile). */
  start(): this {
    this.#registered = this.#register();
    void this.#followPresence();
    this.#ticker = setInterval(() => this.#tick(), 1000).unref();
    return this;
  }

  /** The revision from which the cache may answer consistent reads from memory, or undefined. */
  heldSince(now = performance.now()): number | undefined {
    if (this.#mode.kind !== "holding") return undefined;
    if (this.#validity.validAt(now)) return this.#mode.revision;
    this.#giveUp("its etcd lease was not renewed in time");
    return undefined;
  }

  get holding(): boolean {
    return this.heldSince() !== undefined;
  }

  /** The Txn guard every write carries: the lease key is ours (holding), or absent. */
  guard(): ICompare {
    const m = this.#mode;
    const revision = m.kind === "holding" || m.kind === "releasing" ? m.revision : 0;
    return { key: this.#k(READ_LEASE_KEY), target: "Create", result: "Equal", create_revision: revision };
  }

  /** The failure branch's read of the lease key, so a failed Txn tells which compare failed. */
  guardRead(): { request_range: { key: Buffer } } {
    return { request_range: { key: this.#k(READ_LEASE_KEY) } };
  }

  /** Whether a failed Txn failed on the guard (given the lease key as its failure branch read it). */
  guardFailed(seen: IKeyValue | undefined, compare: ICompare): boolean {
    return Number(seen?.create_revision ?? 0) !== Number(compare.create_revision);
  }

  /**
   * A write failed on the guard: waits until a retry can succeed. Ours and gone: we lost the lease,
   * so fetch again. Someone else's: make sure they know we exist, then wait (at most the TTL plus
   * a request deadline) for them to give it up or for their etcd lease to lapse.
   */
  async recover(seen: IKeyValue | undefined): Promise<void> {
    const m = this.#mode;
    const ours = m.kind === "holding" || m.kind === "releasing" ? m.revision : 0;
    if (seen === undefined) {
      if (ours !== 0) this.#mode = { kind: "shared" }; // lost it (lapsed, or released): fetch again
      return;
    }
    if (seen.value.toString() === this.id) {
      // Taken by this replica after the Txn's guard was made: the retry's guard is right. While our
      // acquiring Txn's answer is on its way, wait for it; in shared mode the key is one a failed
      // release left behind: delete it.
      if (m.kind === "acquiring") await sleep(10, this.#ac.signal);
      else if (m.kind === "shared") await this.#deleteLeaseKey(Number(seen.create_revision));
      return;
    }
    await this.#registered;
    const deadline = performance.now() + this.#ttl * 1000 + this.#conn.requestTimeoutMs;
    for (let delay = 20; performance.now() < deadline; delay = Math.min(delay * 2, 250)) {
      await sleep(delay, this.#ac.signal);
      if (this.#ac.signal.aborted) break;
      const res = await callEtcd(this.#conn, "read lease", () => this.#conn.client.kv.range({ key: this.#k(READ_LEASE_KEY) }));
      const now = res.kvs[0];
      if (now === undefined || now.value.toString() === this.id) return; // gone, or we took it meanwhile
    }
    throw new StorageError("unavailable", `writes wait for replica ${seen.value.toString()}'s read lease (${READ_LEASE_KEY}), which it neither renews nor gives up`);
  }

  /** Counts the other replicas' presence keys: a list, then a watch from its revision. */
  async #followPresence(): Promise<void> {
    const signal = this.#ac.signal;
    const key = this.#k(REPLICAS_PREFIX);
    const own = this.#k(REPLICAS_PREFIX + this.id).toString("utf8");
    const lost = (): void => {
      this.#others = undefined;
      this.#giveUp("it cannot follow the other replicas' presence");
    };
    for (let delay = 100; !signal.aborted; delay = Math.min(delay * 2, 2000)) {
      try {
        const res = await callEtcd(this.#conn, "replica presence", () => this.#conn.client.kv.range({ key, range_end: prefixRangeEnd(key), keys_only: true }));
        const present = new Set(res.kvs.map((kv) => kv.key.toString("utf8")));
        const count = (): void => this.#othersPresent(present.size - (present.has(own) ? 1 : 0));
        count();
        const events = watchEtcd(this.#conn, { key, rangeEnd: prefixRangeEnd(key), afterRevision: Number(res.header.revision), prefixLength: 0, retryWindowMs: Infinity, onDisconnected: lost, onConnected: count }, signal);
        for await (const e of events) {
          if (e.type === "put") present.add(e.kv.key);
          else present.delete(e.key);
          count();
        }
      } catch {
        lost();
        await sleep(delay, signal);
      }
    }
  }

  #othersPresent(others: number): void {
    this.#others = others;
    if (others > 0) this.#giveUp(`${others} other replica(s) registered`);
    else void this.#maybeAcquire();
  }

  /** Gives the read lease and presence up at once (the etcd lease's revocation deletes both keys). */
  async close(): Promise<void> {
    clearInterval(this.#ticker);
    this.#ac.abort();
    this.#mode = { kind: "shared" };
    const lease = this.#lease;
    this.#lease = undefined;
    // revoke() stops the keepalives first, so nothing is left running when etcd does not answer.
    if (lease) await callEtcd(this.#conn, "read lease revoke", () => lease.revoke()).catch(() => undefined);
  }

  /** Grants an etcd lease and writes our presence on it; re-registers whenever the lease is lost. */
  async #register(): Promise<void> {
    for (let delay = 200; !this.#ac.signal.aborted; delay = Math.min(delay * 2, 2000)) {
      this.#validity.lost();
      this.#validity.sent(performance.now());
      const lease = this.#conn.client.lease(this.#ttl);
      try {
        lease.on("lost", (err: unknown) => this.#leaseLost(lease, err));
        lease.on("keepaliveEstablished", () => this.#validity.resetPending());
        lease.on("keepaliveFired", () => this.#validity.sent(performance.now()));
        lease.on("keepaliveSucceeded", (res: { TTL: string }) => this.#validity.answered(performance.now(), Number(res.TTL)));
        const id = await callEtcd(this.#conn, "read lease grant", () => lease.grant());
        this.#validity.answered(performance.now(), this.#ttl);
        this.#lease = lease;
        this.#leaseId = id;
        await callEtcd(this.#conn, "replica presence", () =>
          this.#conn.client.kv.put({ key: this.#k(REPLICAS_PREFIX + this.id), value: Buffer.from(hostname()), lease: id }),
        );
        void this.#maybeAcquire();
        return;
      } catch {
        // Not granted in time, or the presence write failed: drop this lease (etcd expires it).
        if (this.#lease === lease) [this.#lease, this.#leaseId] = [undefined, undefined];
        lease.release(); // stops its keepalives; etcd expires it
        this.#validity.lost();
        await sleep(delay, this.#ac.signal).catch(() => undefined);
      }
    }
  }

  #leaseLost(lease: Lease, err: unknown): void {
    if (lease !== this.#lease || this.#ac.signal.aborted) return;
    this.#lease = undefined;
    this.#leaseId = undefined;
    this.#validity.lost();
    this.#giveUp(`its etcd lease was lost (${messageOf(err)})`);
    this.#registered = this.#register();
  }

  /** Takes the read lease when this replica is alone, its presence is registered and its cache follows etcd. */
  async #maybeAcquire(): Promise<void> {
    const leaseId = this.#leaseId;
    const ready = (this.#cacheReady?.() ?? false) && this.#validity.validAt(performance.now());
    if (this.#o.mayHold === false || this.#mode.kind !== "shared" || this.#others !== 0 || leaseId === undefined || !ready) return;
    this.#mode = { kind: "acquiring" };
    try {
      const key = this.#k(READ_LEASE_KEY);
      const res = await callEtcd(this.#conn, "read lease", () => this.#conn.client.kv.txn({
        compare: [{ key, target: "Create", result: "Equal", create_revision: 0 }],
        success: [{ request_put: { key, value: Buffer.from(this.id), lease: leaseId } }],
        failure: [],
      }));
      const acquired = res.succeeded && this.#mode.kind === "acquiring" && this.#others === 0 && leaseId === this.#leaseId;
      if (acquired) {
        this.#mode = { kind: "holding", revision: Number(res.header.revision) };
        this.#o.log?.(`etcd read lease: replica ${this.id} is alone and answers consistent reads from its watch cache`);
        return;
      }
      if (this.#mode.kind === "acquiring") this.#mode = { kind: "shared" };
      if (res.succeeded) await this.#deleteLeaseKey(Number(res.header.revision));
    } catch {
      if (this.#mode.kind === "acquiring") this.#mode = { kind: "shared" };
    }
  }

  /** Stops answering from memory at once, then deletes the lease key so others may write. */
  #giveUp(why: string): void {
    const m = this.#mode;
    if (m.kind === "acquiring") this.#mode = { kind: "shared" };
    if (m.kind !== "holding") return;
    this.#mode = { kind: "releasing", revision: m.revision };
    this.#o.log?.(`etcd read lease: replica ${this.id} gives it up: ${why}`);
    void this.#deleteLeaseKey(m.revision).finally(() => {
      if (this.#mode.kind === "releasing" && this.#mode.revision === m.revision) this.#mode = { kind: "shared" };
      if (this.#others === 0) void this.#maybeAcquire();
    });
  }

  /** Deletes the lease key if it is still the one created at `revision` (a failure leaves it to the TTL). */
  async #deleteLeaseKey(revision: number): Promise<void> {
    const key = this.#k(READ_LEASE_KEY);
    await callEtcd(this.#conn, "read lease release", () => this.#conn.client.kv.txn({
      compare: [{ key, target: "Create", result: "Equal", create_revision: revision }],
      success: [{ request_delete_range: { key } }],
      failure: [],
    })).catch(() => undefined);
  }

  /** Every second: a holder whose cache stopped following etcd gives up; a lone replica retries taking it. */
  #tick(): void {
    if (this.#mode.kind === "holding" && !(this.#cacheReady?.() ?? false)) this.#giveUp("its watch cache is not following etcd");
    else if (this.#mode.kind === "shared" && this.#others === 0) void this.#maybeAcquire();
  }

  #k(key: string): Buffer {
    return Buffer.concat([this.#prefix, Buffer.from(key, "utf8")]);
  }
}
