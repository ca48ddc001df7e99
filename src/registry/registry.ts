// createRegistry: one handler per row of the resource table — the generic Store handler with the
// kind's strategy, or a review handler for the virtual kinds — plus handlers supplied by the caller.
import { RESOURCES, type ApiObject, type ResourceInfo } from "../api/index.ts";
import type { Store } from "../storage/index.ts";
import { createResourceHandler } from "./handler.ts";
import { createReviewHandler } from "./reviews.ts";
import { serviceIpAllocator } from "./service-alloc.ts";
import { DEFAULT_SERVICE_IP_RANGE } from "./service-ip.ts";
import { SERVICE_IP_RESERVATIONS } from "./service-ip-reservations.ts";
import { serviceStrategy } from "./service.ts";
import { STRATEGIES, strategyKey } from "./strategies.ts";
import type { AdmissionDeps, Registry, RegistryOptions, RequestContext, ResourceHandler, ResourceStrategy, StoreLookup } from "./types.ts";

const key = (i: ResourceInfo): string => `${i.group}/${i.version}/${i.resource}`;

/** Calls `stores` once per resource, so every handler of a resource shares one Store. */
export function memoizeStores(stores: StoreLookup): StoreLookup {
  const cache = new Map<string, Store>();
  return (info) => {
    const k = key(info);
    let s = cache.get(k);
    if (s === undefined) {
      s = stores(info);
      cache.set(k, s);
    }
    return s;
  };
}

/** Deletes every namespaced object in `namespace` (kube's namespace controller does this asynchronously;
 *  kpki does it before the namespace itself is removed, so `kubectl delete ns` sees it gone at once).
 *  Each deleted object goes through its kind's afterDelete (a Service gives back its ClusterIP). */
export function namespaceCascade(
  stores: StoreLookup,
  strategyOf: (info: ResourceInfo) => ResourceStrategy | undefined = () => undefined,
): (namespace: string, ctx: RequestContext) => Promise<void> {
  return async (namespace, ctx) => {
    for (const info of RESOURCES) {
      if (!info.namespaced || info.virtual) continue;
      const store = stores(info);
      const strategy = strategyOf(info);
      const { items } = await store.list({ namespace });
      for (const o of items) {
        let gone: ApiObject;
        try {
          gone = await store.delete(namespace, o.metadata.name ?? "");
        } catch {
          continue; // Already gone: a concurrent delete won.
        }
        if (strategy?.afterDelete) await strategy.afterDelete(gone, ctx);
      }
    }
  };
}

export function createRegistry(opts: RegistryOptions): Registry {
  const stores = memoizeStores(opts.stores);
  const deps: AdmissionDeps = { stores, rules: opts.rules, serviceIpRange: opts.serviceIpRange ?? DEFAULT_SERVICE_IP_RANGE };
  const namespacesInfo = RESOURCES.find((r) => r.group === "" && r.resource === "namespaces");
  if (namespacesInfo === undefined) throw new Error("resource table has no namespaces");
  // Services reserve their ClusterIPs through the allocator's lifecycle hooks (service-alloc.ts).
  const ips = serviceIpAllocator(deps.serviceIpRange, stores(SERVICE_IP_RESERVATIONS));
  const strategies = new Map<string, ResourceStrategy>();
  for (const info of RESOURCES) {
    if (info.virtual) continue;
    const isServices = info.group === "" && info.resource === "services";
    strategies.set(key(info), isServices ? serviceStrategy(deps.serviceIpRange, ips) : (STRATEGIES[strategyKey(info.group, info.resource)]?.(deps) ?? {}));
  }
  const cascade = namespaceCascade(stores, (info) => strategies.get(key(info)));
  const handlers = new Map<string, ResourceHandler>();
  for (const info of RESOURCES) {
    const strategy = strategies.get(key(info));
    if (strategy === undefined) {
      handlers.set(key(info), createReviewHandler(info, opts.rules, opts.tokenReview ? { tokenReview: opts.tokenReview } : {}));
      continue;
    }
    const handler = createResourceHandler(info, {
      store: stores(info),
      namespaces: stores(namespacesInfo),
      strategy,
      clock: opts.clock,
      random: opts.random,
      ...(info === namespacesInfo ? { cascade } : {}),
      ...(opts.bookmarks ? { bookmarks: opts.bookmarks } : {}),
    });
    handlers.set(key(info), handler);
  }
  for (const h of opts.extraHandlers ?? []) handlers.set(key(h.info), h);
  const infos = [...handlers.values()].map((h) => h.info);
  return {
    handler: (group, version, resource) => handlers.get(`${group}/${version}/${resource}`),
    resources: () => infos,
  };
}
