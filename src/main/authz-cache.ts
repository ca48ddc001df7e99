// A decision cache in front of the authorizer chain. RBAC decisions are a pure function of the policy
// objects and the request attributes, so caching them is exact as long as every policy change empties
// the cache: the RBAC informer (rbac-feed.ts) calls invalidate() on each Role/Binding event before the
// change is visible anywhere else. Saves the rule walk on the keep-alive GET path (bench/serve.bench.ts).
import type { Authorizer, Decision, RequestAttributes } from "../auth/index.ts";

export interface CachedAuthorizer extends Authorizer {
  invalidate(): void;
}

function keyOf(a: RequestAttributes): string {
  const u = a.user;
  // \u0000 cannot occur in names, groups, verbs or paths that reach here, so the key is unambiguous.
  return `${u.name}\u0000${u.groups.join("\u0001")}\u0000${a.verb}\u0000${a.isResourceRequest ? 1 : 0}\u0000${a.apiGroup}\u0000${a.resource}\u0000${a.subresource}\u0000${a.namespace}\u0000${a.name}\u0000${a.isResourceRequest ? "" : a.path}`;
}

export function cachedAuthorizer(inner: Authorizer, maxEntries = 10_000): CachedAuthorizer {
  let cache = new Map<string, Decision>();
  return {
    async authorize(a) {
      const key = keyOf(a);
      const hit = cache.get(key);
      if (hit !== undefined) return hit;
      const generation = cache;
      const d = await inner.authorize(a);
      // Only remember it if no policy change happened while deciding.
      if (generation === cache) {
        if (cache.size >= maxEntries) cache.clear();
        cache.set(key, d);
      }
      return d;
    },
    invalidate() {
      cache = new Map();
    },
  };
}
