// An etcd watch as an AsyncIterable of BackendEvents: one gRPC Watch stream per call, created
// from afterRevision+1 with prev_kv (etcd's WatchCreateRequest). A broken stream (a member died) is
// re-created from the last delivered revision on any member, so nothing is lost or repeated; a
// stream that cannot be re-created within `retryWindowMs` ends the watch with "unavailable".
// etcd cancels a watch whose start revision was compacted (compact_revision > 0): "compacted".
import type { IEvent, IWatchCreateRequest, IWatchResponse } from "etcd3";
import { abortableSleep } from "../../base/index.ts";
import { StorageError } from "../types.ts";
import type { BackendEvent } from "../types.ts";
import type { EtcdConnection } from "./client.ts";
import { fromEtcdKv, toStorageError } from "./client.ts";

export interface EtcdWatchRequest {
  readonly key: Buffer;
  readonly rangeEnd: Buffer;
  readonly afterRevision: number;
  /** Bytes of the backend prefix to strip from keys. */
  readonly prefixLength: number;
  /** How long the stream may stay broken before the watch fails (default 5 s). */
  readonly retryWindowMs?: number;
  /** Called each time etcd confirms the (re-)created stream (the cache's readiness). */
  readonly onConnected?: () => void;
  /** Called when the stream breaks (the cache stops serving reads until it reconnects). */
  readonly onDisconnected?: () => void;
  /** Called with etcd's progress revision: every event up to it has been delivered. */
  readonly onProgress?: (revision: number) => void;
  /** Receives, per stream, a function asking etcd for a progress notification (WatchProgressRequest). */
  readonly onStream?: (requestProgress: () => void) => void;
}

type Item =
  | { readonly kind: "created" }
  | { readonly kind: "events"; readonly events: readonly IEvent[] }
  | { readonly kind: "progress"; readonly revision: number };

export function watchEtcd(conn: EtcdConnection, req: EtcdWatchRequest, signal: AbortSignal): AsyncIterable<BackendEvent> {
  return {
    async *[Symbol.asyncIterator]() {
      let next = req.afterRevision + 1;
      let brokenSince: number | undefined;
      let delay = 100;
      while (!signal.aborted) {
        const create: IWatchCreateRequest = { key: req.key, range_end: req.rangeEnd, start_revision: next, prev_kv: true };
        try {
          for await (const item of openStream(conn, create, req.onStream, signal)) {
            if (item.kind === "created") {
              brokenSince = undefined;
              delay = 100;
              req.onConnected?.();
              continue;
            }
            if (item.kind === "progress") {
              req.onProgress?.(item.revision);
              continue;
            }
            for (const e of item.events) {
              const ev = toBackendEvent(e, req.prefixLength);
              next = (ev.type === "put" ? ev.kv.modRevision : ev.revision) + 1;
              yield ev;
            }
          }
          return; // the stream ends cleanly only when `signal` aborted
        } catch (err) {
          if (signal.aborted) return;
          const e = toStorageError(err, `watch on ${conn.describe}`);
          if (e.code !== "unavailable") throw e;
          req.onDisconnected?.();
          brokenSince ??= Date.now();
          if (Date.now() - brokenSince > (req.retryWindowMs ?? 5000)) throw e;
          await sleep(delay, signal);
          delay = Math.min(delay * 2, 1000);
        }
      }
    },
  };
}

function toBackendEvent(e: IEvent, prefixLength: number): BackendEvent {
  const prev = e.prev_kv ? fromEtcdKv(e.prev_kv, prefixLength) : undefined;
  const kind = String(e.type).toUpperCase();
  if (kind === "DELETE" || kind === "1") {
    const key = e.kv.key.subarray(prefixLength).toString("utf8");
    return prev ? { type: "delete", key, revision: Number(e.kv.mod_revision), prev } : { type: "delete", key, revision: Number(e.kv.mod_revision) };
  }
  const kv = fromEtcdKv(e.kv, prefixLength);
  return prev ? { type: "put", kv, prev } : { type: "put", kv };
}

/** One gRPC Watch stream carrying one watch; ends when `signal` aborts, throws when it breaks. */
async function* openStream(
  conn: EtcdConnection,
  create: IWatchCreateRequest,
  onStream: EtcdWatchRequest["onStream"],
  signal: AbortSignal,
): AsyncGenerator<Item> {
  const q = new AsyncQueue<Item>();
  const stream = await conn.client.watchClient.watch();
  onStream?.(() => stream.write({ progress_request: {} }));
  const onAbort = (): void => {
    q.end();
    stream.cancel();
  };
  stream.on("data", (res: IWatchResponse) => {
    if (res.canceled) {
      const compacted = Number(res.compact_revision) > 0;
      q.fail(
        compacted
          ? new StorageError("compacted", `watch from revision ${String(create.start_revision)}: required revision has been compacted (oldest is ${res.compact_revision})`, {
              revision: Number(res.compact_revision),
            })
          : new StorageError("unavailable", `watch on ${conn.describe} canceled: ${res.cancel_reason || "no reason given"}`),
      );
    } else if (res.created) q.push({ kind: "created" });
    else if (res.events.length > 0) q.push({ kind: "events", events: res.events });
    // No events: a progress notification (etcd 3.4 WatchProgressRequest). From etcd 3.4.31 / 3.5.13
    // on it is sent in order and only once the watch is synced, so every event up to header.revision
    // has been delivered; earlier releases may send it ahead of events (etcd-io/etcd#15220), which
    // is why the watch cache trusts it only on those versions (consistent.ts).
    else q.push({ kind: "progress", revision: Number(res.header.revision) });
  });
  stream.on("error", (err: Error) => q.fail(err));
  stream.on("end", () => q.fail(new StorageError("unavailable", `watch stream to ${conn.describe} ended`)));
  signal.addEventListener("abort", onAbort);
  if (signal.aborted) onAbort();
  try {
    stream.write({ create_request: create });
    yield* q;
  } finally {
    signal.removeEventListener("abort", onAbort);
    stream.cancel();
  }
}

/** A push → pull bridge for stream callbacks; the first failure wins and ends the iteration. */
class AsyncQueue<T> implements AsyncIterable<T> {
  #items: T[] = [];
  #error: unknown;
  #done = false;
  #wake: (() => void) | undefined;

  push(item: T): void {
    if (this.#done || this.#error !== undefined) return;
    this.#items.push(item);
    this.#wake?.();
  }
  fail(err: unknown): void {
    if (this.#done || this.#error !== undefined) return;
    this.#error = err;
    this.#wake?.();
  }
  end(): void {
    this.#done = true;
    this.#wake?.();
  }
  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for (;;) {
      if (this.#items.length > 0) {
        const batch = this.#items;
        this.#items = [];
        yield* batch;
        continue;
      }
      if (this.#done) return;
      if (this.#error !== undefined) throw this.#error;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
      this.#wake = undefined;
    }
  }
}

/** (base's abortableSleep: ends at once on an already aborted signal.) */
export const sleep = abortableSleep;
