// StorageBackend on etcd v3, the way kube-apiserver's storage/etcd3 store uses it: resourceVersion
// is etcd's mod_revision; create is a Txn(create_revision == 0 → put); update and delete are
// Txn(mod_revision == expected → write, else → get) so a lost race reads as "conflict" and a
// missing key as "not-found"; lists are prefix ranges at a pinned revision (consistent pages).
// Every key lives under the backend prefix (--etcd-prefix, default /kpki).
import type { ICompare, IRequestOp, ITxnResponse } from "etcd3";
import { StorageError } from "../types.ts";
import type { BackendEvent, KeyValue, ListOptions, ListResult, StorageBackend } from "../types.ts";
import { callEtcd, fromEtcdKv, prefixRangeEnd } from "./client.ts";
import type { EtcdConnection } from "./client.ts";
import type { ReadLease } from "./read-lease.ts";
import { watchEtcd } from "./watch.ts";
import type { EtcdWatchRequest } from "./watch.ts";

export class EtcdBackend implements StorageBackend {
  readonly #conn: EtcdConnection;
  readonly #prefix: Buffer;
  readonly #watchRetryMs: number;
  /** Guards every write when replicas may answer reads from memory (read-lease.ts). */
  #readLease: ReadLease | undefined;

  constructor(conn: EtcdConnection, prefix: string, options: { watchRetryWindowMs?: number } = {}) {
    this.#conn = conn;
    this.#prefix = Buffer.from(prefix);
    this.#watchRetryMs = options.watchRetryWindowMs ?? 5000;
  }

  get connection(): EtcdConnection {
    return this.#conn;
  }

  get prefix(): Buffer {
    return this.#prefix;
  }

  get readLease(): ReadLease | undefined {
    return this.#readLease;
  }

  /** From now on every write carries the read lease's guard (set once, before the first write). */
  useReadLease(lease: ReadLease): void {
    this.#readLease = lease;
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const res = await callEtcd(this.#conn, `get "${key}"`, () => this.#conn.client.kv.range({ key: this.#k(key) }));
    const kv = res.kvs[0];
    return kv ? fromEtcdKv(kv, this.#prefix.length) : undefined;
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    const { startAfter, limit, revision } = options;
    // Keys strictly after startAfter: the smallest key greater than it is startAfter + "\0".
    const from = startAfter !== undefined && startAfter >= prefix ? `${startAfter}\0` : prefix;
    const res = await callEtcd(this.#conn, `list "${prefix}"`, () =>
      this.#conn.client.kv.range(
        {
          key: this.#k(from),
          range_end: prefixRangeEnd(this.#k(prefix)),
          limit: limit !== undefined && limit > 0 ? limit : 0,
          revision: revision ?? 0,
        },
      ),
    );
    const items = res.kvs.map((kv) => fromEtcdKv(kv, this.#prefix.length));
    return { items, revision: revision ?? Number(res.header.revision), more: res.more };
  }

  async create(key: string, value: Uint8Array): Promise<KeyValue> {
    const k = this.#k(key);
    const res = await this.#txn(`create "${key}"`, [{ key: k, target: "Create", result: "Equal", create_revision: 0 }], [
      { request_put: { key: k, value: Buffer.from(value) } },
    ], []);
    if (!res.succeeded) throw new StorageError("exists", `key "${key}" already exists`);
    const rev = Number(res.header.revision);
    return { key, value: value.slice(), createRevision: rev, modRevision: rev };
  }

  async update(key: string, value: Uint8Array, expectedRevision: number): Promise<KeyValue> {
    const k = this.#k(key);
    const res = await this.#txn(`update "${key}"`, [{ key: k, target: "Mod", result: "Equal", mod_revision: expectedRevision }], [
      { request_put: { key: k, value: Buffer.from(value), prev_kv: true } },
    ], [{ request_range: { key: k } }]);
    if (!res.succeeded) throw this.#casFailure(key, res, expectedRevision);
    const prev = res.responses[0]?.response_put.prev_kv;
    const rev = Number(res.header.revision);
    return { key, value: value.slice(), createRevision: prev ? Number(prev.create_revision) : rev, modRevision: rev };
  }

  async delete(key: string, expectedRevision?: number): Promise<KeyValue> {
    return (await this.deleteAt(key, expectedRevision)).prev;
  }

  /** delete, also returning the revision of the deletion (the watch cache waits for it). */
  async deleteAt(key: string, expectedRevision?: number): Promise<{ prev: KeyValue; revision: number }> {
    const k = this.#k(key);
    // Without an expected revision the guard is "the key exists" (create_revision > 0).
    const guard = expectedRevision === undefined
      ? { key: k, target: "Create" as const, result: "Greater" as const, create_revision: 0 }
      : { key: k, target: "Mod" as const, result: "Equal" as const, mod_revision: expectedRevision };
    const res = await this.#txn(`delete "${key}"`, [guard], [{ request_delete_range: { key: k, prev_kv: true } }], [
      { request_range: { key: k } },
    ]);
    if (!res.succeeded) throw this.#casFailure(key, res, expectedRevision);
    const prev = res.responses[0]?.response_delete_range.prev_kvs[0];
    if (!prev) throw new StorageError("not-found", `key "${key}" not found`);
    return { prev: fromEtcdKv(prev, this.#prefix.length), revision: Number(res.header.revision) };
  }

  watch(prefix: string, afterRevision: number, signal: AbortSignal): AsyncIterable<BackendEvent> {
    const key = this.#k(prefix);
    const events = watchEtcd(this.#conn, { key, rangeEnd: prefixRangeEnd(key), afterRevision, prefixLength: this.#prefix.length, retryWindowMs: this.#watchRetryMs }, signal);
    const checkStart = (): Promise<void> => this.#checkReadable(afterRevision, `watch "${prefix}"`);
    return {
      async *[Symbol.asyncIterator]() {
        await checkStart();
        yield* events;
      },
    };
  }

  /** etcd lets a watch start AT the compacted revision, but resuming after revision R needs the
   *  state at R; the contract (and kube's 410 on a too-old resourceVersion) wants "compacted" once
   *  R itself is gone. A one-key range read at R tells. */
  async #checkReadable(revision: number, what: string): Promise<void> {
    if (revision <= 0) return;
    try {
      await callEtcd(this.#conn, what, () => this.#conn.client.kv.range({ key: this.#prefix, revision, count_only: true }));
    } catch (err) {
      if (err instanceof StorageError && err.code === "compacted") throw err;
      // A future revision: etcd's watch waits for it, as the contract wants; other failures
      // surface from the watch itself.
    }
  }

  /** Watch every key from `range.from` up to the end of `range.prefix` (the watch cache's feed),
   *  with connection and progress hooks. */
  watchFeed(range: { from: string; prefix: string }, afterRevision: number, signal: AbortSignal, hooks: Pick<EtcdWatchRequest, "onConnected" | "onDisconnected" | "onProgress" | "onStream">): AsyncIterable<BackendEvent> {
    const key = this.#k(range.from);
    return watchEtcd(this.#conn, { key, rangeEnd: prefixRangeEnd(this.#k(range.prefix)), afterRevision, prefixLength: this.#prefix.length, retryWindowMs: Infinity, ...hooks }, signal);
  }

  /** etcd's store revision now: a linearizable (quorum, ReadIndex) count-only range of ONE key,
   *  so its header revision covers every write acknowledged before the call, and etcd only counts
   *  one index entry and sends no key or value back. Maintenance Status would be no cheaper and is
   *  not linearizable: it reports the answering member's revision, which on a follower may lag. */
  async currentRevision(): Promise<number> {
    const res = await callEtcd(this.#conn, "current revision", () =>
      this.#conn.client.kv.range({ key: this.#prefix, count_only: true }),
    );
    return Number(res.header.revision);
  }

  /** The answering member's etcd version ("3.4.23"), from Maintenance Status. */
  async serverVersion(): Promise<string> {
    const res = await callEtcd(this.#conn, "etcd version", () => this.#conn.client.maintenance.status());
    return res.version;
  }

  async compact(revision: number): Promise<void> {
    try {
      await callEtcd(this.#conn, `compact to ${revision}`, () => this.#conn.client.kv.compact({ revision, physical: true }));
    } catch (err) {
      // Compacting to a revision already compacted is a no-op, as in the memory backend.
      if (!(err instanceof StorageError && err.code === "compacted")) throw err;
    }
  }

  async close(): Promise<void> {
    await this.#readLease?.close();
    this.#conn.close();
  }

  #k(key: string): Buffer {
    return Buffer.concat([this.#prefix, Buffer.from(key, "utf8")]);
  }

  /** One write Txn. With a read lease it also compares the lease key (no write may commit while
   *  another replica holds it); a Txn that failed on that guard waits for the lease and runs again. */
  async #txn(what: string, compare: ICompare[], success: IRequestOp[], failure: IRequestOp[]): Promise<ITxnResponse> {
    const lease = this.#readLease;
    if (!lease) return callEtcd(this.#conn, what, () => this.#conn.client.kv.txn({ compare, success, failure }));
    for (;;) {
      const guard = lease.guard();
      const res = await callEtcd(this.#conn, what, () =>
        this.#conn.client.kv.txn({ compare: [...compare, guard], success, failure: [...failure, lease.guardRead()] }),
      );
      if (res.succeeded) return res;
      const seen = res.responses.at(-1)?.response_range.kvs[0];
      if (!lease.guardFailed(seen, guard)) return res;
      await lease.recover(seen);
    }
  }

  /** The failed branch read the key back: absent → "not-found", present → "conflict". */
  #casFailure(key: string, res: ITxnResponse, expected: number | undefined): StorageError {
    const cur = res.responses[0]?.response_range.kvs[0];
    if (!cur) return new StorageError("not-found", `key "${key}" not found`);
    return new StorageError("conflict", `key "${key}" is at revision ${cur.mod_revision}, not ${String(expected)}`);
  }
}
