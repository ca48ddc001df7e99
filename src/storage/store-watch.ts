// Store watch: backend events → ADDED / MODIFIED / DELETED / BOOKMARK, as kube's etcd3 watcher
// (staging/src/k8s.io/apiserver/pkg/storage/etcd3/watcher.go) shapes them.
import type { ApiObject } from "../api/index.ts";
import { whenAborted } from "../base/index.ts";
import type { BackendEvent, StorageBackend, StoreWatchOptions, WatchEvent } from "./types.ts";
import { decodeObject, parseResourceVersion } from "./codec.ts";

type Filter = ((obj: ApiObject) => boolean) | undefined;

export async function* watchStore<T extends ApiObject>(
  backend: StorageBackend,
  prefix: string,
  options: StoreWatchOptions,
  bookmark: (revision: number) => T,
): AsyncGenerator<WatchEvent<T>> {
  const { signal, filter } = options;
  const rv = parseResourceVersion(options.resourceVersion);
  // ""/"0": send the current state first, then follow from the revision that list read at.
  const initial = rv === undefined || rv === 0 ? await backend.list(prefix) : undefined;
  let last = initial?.revision ?? (rv as number);
  const inner = new AbortController();
  // The list above may have outlived the caller's signal: whenAborted still stops the watch.
  const removeAbort = whenAborted(signal, () => inner.abort());
  const it = backend.watch(prefix, last, inner.signal)[Symbol.asyncIterator]();
  let tick = false;
  let wakeTick: (() => void) | undefined;
  const unsubscribe = options.bookmarks?.subscribe(() => {
    tick = true;
    wakeTick?.();
  });
  try {
    for (const kv of initial?.items ?? []) {
      const obj = decodeObject<T>(kv);
      if (filter === undefined || filter(obj)) yield { type: "ADDED", object: obj };
    }
    let pending = it.next();
    while (!signal.aborted) {
      if (tick) {
        tick = false;
        yield { type: "BOOKMARK", object: bookmark(last) };
        continue;
      }
      const r =
        unsubscribe === undefined
          ? await pending
          : await Promise.race([pending, new Promise<"tick">((resolve) => (wakeTick = () => resolve("tick")))]);
      wakeTick = undefined;
      if (r === "tick") continue;
      if (r.done) return;
      pending = it.next();
      last = revisionOf(r.value);
      const event = toWatchEvent<T>(r.value, filter);
      if (event !== undefined) yield event;
    }
  } finally {
    unsubscribe?.();
    removeAbort();
    inner.abort();
    await it.return?.();
  }
}

function revisionOf(e: BackendEvent): number {
  return e.type === "put" ? e.kv.modRevision : e.revision;
}

/** A filtered watch turns "stopped matching" into DELETED and "started matching" into ADDED;
 *  a DELETED object is the last state carrying the delete revision (kube watcher.go). */
export function toWatchEvent<T extends ApiObject>(e: BackendEvent, filter: Filter): WatchEvent<T> | undefined {
  if (e.type === "delete") {
    if (e.prev === undefined) return undefined; // no last state to send (backend without prev)
    const obj = decodeObject<T>(e.prev, e.revision);
    return filter === undefined || filter(obj) ? { type: "DELETED", object: obj } : undefined;
  }
  const isCreate = e.kv.createRevision === e.kv.modRevision;
  const cur = decodeObject<T>(e.kv);
  if (filter === undefined) return { type: isCreate ? "ADDED" : "MODIFIED", object: cur };
  const curPasses = filter(cur);
  const prevPasses = !isCreate && e.prev !== undefined && filter(decodeObject<T>(e.prev));
  if (curPasses) return { type: prevPasses ? "MODIFIED" : "ADDED", object: cur };
  if (prevPasses && e.prev !== undefined) return { type: "DELETED", object: decodeObject<T>(e.prev, e.kv.modRevision) };
  return undefined;
}
