// list / watch / deletecollection over a Store, with label and field selectors applied as the
// Store's filter (kube's SelectionPredicate), limit/continue pagination and resourceVersion.
import {
  ApiError,
  apiVersionOf,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  type ApiList,
  type ApiObject,
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
    throw listError(err, info);
  }
}

/** A compacted continue token → 410 Expired; an old resourceVersion → 410 Gone (kube's texts). */
function listError(err: unknown, info: ResourceInfo): unknown {
  if (err instanceof StorageError && err.code === "compacted") {
    return new ApiError("Expired", `The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.`);
  }
  return toApiError(err, info, "");
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
  return watchEvents(info, store, namespace, params, signal, bookmarks, selectionPredicate(info, params));
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
    yield* store.watch({
      ...(info.namespaced && namespace !== "" ? { namespace } : {}),
      ...(params.resourceVersion !== undefined ? { resourceVersion: params.resourceVersion } : {}),
      signal,
      ...(filter ? { filter } : {}),
      ...(params.allowWatchBookmarks && bookmarks ? { bookmarks } : {}),
    });
  } catch (err) {
    if (err instanceof StorageError && err.code === "compacted") {
      throw new ApiError("Gone", `too old resource version: ${params.resourceVersion ?? ""}`);
    }
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
