// Store list: kube's paginated LIST. Every page reads the snapshot at the first page's revision
// (the continue token carries it); a compacted revision surfaces as StorageError "compacted",
// which the server answers with 410 Expired so the client restarts the list.
import type { ApiObject } from "../api/index.ts";
import { StorageError } from "./types.ts";
import type { KeyValue, StorageBackend, StoreList, StoreListOptions } from "./types.ts";
import { decodeObject, parseResourceVersion } from "./codec.ts";

interface ContinueToken {
  readonly rv: number;
  /** The last key examined, relative to the list prefix; the next page starts after it. */
  readonly start: string;
}

/** Opaque to clients: base64url of {"v":"meta.k8s.io/v1","rv":N,"start":KEY}, as kube encodes its own. */
export function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: "meta.k8s.io/v1", rv: token.rv, start: token.start })).toString("base64url");
}

export function decodeContinue(text: string): ContinueToken {
  const fail = (why: string): never => {
    throw new StorageError("invalid", `continue key is not valid: ${why}`);
  };
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
  } catch {
    return fail("not base64url-encoded JSON");
  }
  const t = raw as { v?: unknown; rv?: unknown; start?: unknown };
  if (typeof raw !== "object" || raw === null || t.v !== "meta.k8s.io/v1") return fail("unknown version");
  if (typeof t.rv !== "number" || !Number.isSafeInteger(t.rv) || t.rv < 1) return fail("bad resource version");
  // A relative key must stay inside the prefix it came from (kube rejects path traversal too).
  if (typeof t.start !== "string" || t.start === "" || t.start.split("/").some((s) => s === "..")) return fail("bad start key");
  return { rv: t.rv, start: t.start };
}

/** How to read a first page, as kube-apiserver reads a LIST: resourceVersion "" = the latest (a
 *  consistent read); "0" = any revision (a watch cache answers from memory as it is); "N" with match
 *  NotOlderThan (the default) = at least N; with match Exact = the snapshot at exactly N. */
function firstPageRead(options: StoreListOptions): { revision?: number; notOlderThan?: number } {
  const rv = parseResourceVersion(options.resourceVersion);
  if (options.resourceVersionMatch === "Exact") {
    if (rv === undefined || rv === 0) throw new StorageError("invalid", 'resourceVersionMatch "Exact" needs a resourceVersion other than "" and "0"');
    return { revision: rv };
  }
  return rv === undefined ? {} : { notOlderThan: rv };
}

/** kube's etcd3 validateMinimumResourceVersion: a read "not older than" a revision the store has not
 *  reached is refused (504 ResourceVersionTooLarge), not answered with older data. */
export function tooNew(wanted: number, current: number): StorageError {
  return new StorageError("too-new", `Too large resource version: ${wanted}, current: ${current}`, { revision: current });
}

export async function listStore<T extends ApiObject>(backend: StorageBackend, prefix: string, options: StoreListOptions): Promise<StoreList<T>> {
  const token = options.continue ? decodeContinue(options.continue) : undefined;
  if (token && options.resourceVersion && options.resourceVersion !== "0") {
    throw new StorageError("invalid", "specifying resource version is not allowed when using continue");
  }
  const limit = options.limit !== undefined && options.limit > 0 ? options.limit : undefined;
  const first = token ? { revision: token.rv } : firstPageRead(options);
  let revision = first.revision;
  let startAfter = token ? prefix + token.start : undefined;
  let batch = limit;
  const items: T[] = [];
  let lastKey: string | undefined;
  let more = false;
  for (;;) {
    const page = await backend.list(prefix, { startAfter, limit: batch, revision, ...(revision === undefined && first.notOlderThan !== undefined ? { notOlderThan: first.notOlderThan } : {}) });
    if (revision === undefined && first.notOlderThan !== undefined && first.notOlderThan > page.revision) {
      // kube's etcd3 validateMinimumResourceVersion (the cacher waits for it first, then the same 504)
      throw tooNew(first.notOlderThan, page.revision);
    }
    revision ??= page.revision;
    const taken = take<T>(page.items, items, limit, options.filter);
    if (taken.lastKey !== undefined) lastKey = taken.lastKey;
    if (taken.full) {
      more = taken.rest || page.more;
      break;
    }
    if (!page.more || limit === undefined) break;
    startAfter = lastKey;
    // A selective filter may need many pages; grow the batch as kube's etcd3 store does (×2, capped).
    batch = Math.min((batch ?? limit) * 2, 10_000);
  }
  const next = more && lastKey !== undefined ? encodeContinue({ rv: revision, start: lastKey.slice(prefix.length) }) : undefined;
  return next === undefined ? { items, resourceVersion: String(revision) } : { items, resourceVersion: String(revision), continue: next };
}

/** Appends matching objects until `limit`; reports the last key examined and whether the page had more. */
function take<T extends ApiObject>(
  page: readonly KeyValue[],
  out: T[],
  limit: number | undefined,
  filter: ((obj: ApiObject) => boolean) | undefined,
): { lastKey: string | undefined; full: boolean; rest: boolean } {
  let lastKey: string | undefined;
  for (let i = 0; i < page.length; i++) {
    const kv = page[i] as KeyValue;
    lastKey = kv.key;
    const obj = decodeObject<T>(kv);
    if (filter !== undefined && !filter(obj)) continue;
    out.push(obj);
    if (limit !== undefined && out.length >= limit) return { lastKey, full: true, rest: i < page.length - 1 };
  }
  return { lastKey, full: false, rest: false };
}
