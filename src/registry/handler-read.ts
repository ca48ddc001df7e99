// list / watch / deletecollection over a Store, with label and field selectors applied as the
// Store's filter (kube's SelectionPredicate), limit/continue pagination and resourceVersion.
import {
  ApiError,
  apiVersionOf,
  invalid,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  type ApiList,
  type ApiObject,
  type FieldError,
  type ResourceInfo,
} from "../api/index.ts";
import { StorageError, type Store, type Ticker, type WatchEvent } from "../storage/index.ts";
import { toApiError } from "./objects.ts";
import type { ListParams } from "./types.ts";

export function selectionPredicate(info: ResourceInfo, params: ListParams): ((o: ApiObject) => boolean) | undefined {
  const labels = params.labelSelector ? parseLabelSelector(params.labelSelector) : [];
  const fields = params.fieldSelector ? parseFieldSelector(params.fieldSelector, info.fieldSelectors) : [];
  if (labels.length === 0 && fields.length === 0) return undefined;
  return (o) => matchesLabels(labels, o.metadata.labels) && matchesFields(fields, o);
}

function rvMatch(v: string | undefined): "Exact" | "NotOlderThan" | undefined {
  if (v === undefined || v === "") return undefined;
  if (v === "Exact" || v === "NotOlderThan") return v;
  throw new ApiError("BadRequest", `resourceVersionMatch: Unsupported value: "${v}": supported values: "Exact", "NotOlderThan"`);
}

export async function list(info: ResourceInfo, store: Store, namespace: string, params: ListParams): Promise<ApiList> {
  const filter = selectionPredicate(info, params);
  try {
    const match = rvMatch(params.resourceVersionMatch);
    const page = await store.list({
      ...(info.namespaced && namespace !== "" ? { namespace } : {}),
      ...(params.limit !== undefined && params.limit > 0 ? { limit: params.limit } : {}),
      ...(params.continue ? { continue: params.continue } : {}),
      ...(filter ? { filter } : {}),
      ...(params.resourceVersion && !params.continue ? { resourceVersion: params.resourceVersion } : {}),
      ...(match ? { resourceVersionMatch: match } : {}),
    });
    return {
      apiVersion: apiVersionOf(info.group, info.version),
      kind: info.listKind,
      metadata: {
        resourceVersion: page.resourceVersion,
        ...(page.continue ? { continue: page.continue } : {}),
        ...(page.remainingItemCount !== undefined ? { remainingItemCount: page.remainingItemCount } : {}),
      },
      items: [...page.items],
    };
  } catch (err) {
    throw listError(err, info, params);
  }
}

/** A compacted continue token or resourceVersion → 410 Expired (kube's texts). */
function listError(err: unknown, info: ResourceInfo, params: ListParams): unknown {
  if (err instanceof StorageError && err.code === "compacted") {
    if (!params.continue) return tooOld(err, params.resourceVersion, "list");
    return new ApiError("Expired", `The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.`);
  }
  return toApiError(err, info, "");
}

/** The cacher's 410 for a revision older than its window: `too old resource version: RV (OLDEST-1)`
 *  (storage/cacher/watch_cache.go); without a known window, etcd3's text for a compacted start. */
function tooOld(err: StorageError, rv: string | undefined, what: "list" | "watch"): ApiError {
  const oldest = err.revision;
  if (oldest === undefined || rv === undefined) return new ApiError("Expired", `The resourceVersion for the provided ${what} is too old.`);
  return new ApiError("Expired", `too old resource version: ${rv} (${oldest - 1})`);
}

/** Selectors are parsed before the stream starts, so a bad one is a 400 and not a broken stream. */
export function watch(
  info: ResourceInfo,
  store: Store,
  namespace: string,
  params: ListParams,
  signal: AbortSignal,
  bookmarks: Ticker | undefined,
): AsyncIterable<WatchEvent> {
  checkWatchListParams(params);
  return watchEvents(info, store, namespace, params, signal, bookmarks, selectionPredicate(info, params));
}

/** apimachinery's ValidateListOptions for a watch: sendInitialEvents (WatchList, KEP-3157) needs
 *  allowWatchBookmarks=true and resourceVersionMatch=NotOlderThan; resourceVersionMatch needs it. */
function checkWatchListParams(params: ListParams): void {
  const errs: FieldError[] = [];
  if (params.sendInitialEvents !== undefined) {
    if (params.allowWatchBookmarks !== true) errs.push({ type: "FieldValueForbidden", field: "allowWatchBookmarks", detail: "sendInitialEvents requires setting allowWatchBookmarks to true" });
    if (params.resourceVersionMatch !== "NotOlderThan") {
      errs.push({ type: "FieldValueForbidden", field: "resourceVersionMatch", detail: "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan" });
    }
  } else if (params.resourceVersionMatch) {
    errs.push({ type: "FieldValueForbidden", field: "resourceVersionMatch", detail: "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided" });
  }
  if (errs.length > 0) throw invalid("meta.k8s.io", "ListOptions", "", errs);
}

/** sendInitialEvents=true: the state as ADDED events, then a BOOKMARK annotated
 *  `k8s.io/initial-events-end: "true"` at that state's revision (sent even without other bookmarks,
 *  as the watch cache does), then changes; =false: changes only, from now when no revision is given. */
async function* watchListEvents(info: ResourceInfo, store: Store, namespace: string, params: ListParams): AsyncGenerator<WatchEvent, string> {
  const given = params.resourceVersion && params.resourceVersion !== "0" ? params.resourceVersion : undefined;
  if (params.sendInitialEvents === false && given !== undefined) return given; // no state needed
  const state = await list(info, store, namespace, { ...params, limit: 0, continue: "", resourceVersion: "", resourceVersionMatch: "" });
  const rv = state.metadata.resourceVersion ?? "";
  if (params.sendInitialEvents === false) return rv;
  for (const object of state.items) yield { type: "ADDED", object };
  const metadata = { resourceVersion: rv, annotations: { "k8s.io/initial-events-end": "true" } };
  yield { type: "BOOKMARK", object: { apiVersion: apiVersionOf(info.group, info.version), kind: info.kind, metadata } };
  return rv;
}

async function* watchEvents(
  info: ResourceInfo,
  store: Store,
  namespace: string,
  params: ListParams,
  signal: AbortSignal,
  bookmarks: Ticker | undefined,
  filter: ((o: ApiObject) => boolean) | undefined,
): AsyncGenerator<WatchEvent> {
  try {
    const from = params.sendInitialEvents === undefined ? params.resourceVersion : yield* watchListEvents(info, store, namespace, params);
    yield* store.watch({
      ...(info.namespaced && namespace !== "" ? { namespace } : {}),
      ...(from !== undefined ? { resourceVersion: from } : {}),
      signal,
      ...(filter ? { filter } : {}),
      ...(params.allowWatchBookmarks && bookmarks ? { bookmarks } : {}),
    });
  } catch (err) {
    if (err instanceof StorageError && err.code === "compacted") throw tooOld(err, params.resourceVersion, "watch");
    throw toApiError(err, info, "");
  }
}

export async function deleteCollection(
  info: ResourceInfo,
  store: Store,
  namespace: string,
  params: ListParams,
  remove: (o: ApiObject) => Promise<ApiObject>,
): Promise<ApiList> {
  const all = await list(info, store, namespace, { ...params, limit: 0, continue: "" });
  const items: ApiObject[] = [];
  for (const o of all.items) {
    try {
      items.push(await remove(o));
    } catch (err) {
      // Deleted concurrently: kube's DeleteCollection ignores NotFound.
      if (!(err instanceof ApiError && err.code === "NotFound")) throw err;
    }
  }
  return { ...all, items };
}
