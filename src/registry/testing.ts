// Test wiring for registry tests: a memory backend, one Store per resource, a fixed clock and seeded
// randomness (time and randomness are parameters), an RbacIndex as authorizer and rule resolver.
import { findResource, type ApiObject, type RbacObject } from "../api/index.ts";
import { RbacIndex, privilegedGroupAuthorizer, unionAuthorizer, type UserInfo } from "../auth/index.ts";
import { fixedClock, seededRandom } from "../base/index.ts";
import { createMemoryBackend, createStore, type StorageBackend } from "../storage/index.ts";
import { ensureDefaultNamespaces } from "./bootstrap.ts";
import { createRegistry, memoizeStores } from "./registry.ts";
import type { ServiceIpRange } from "./service-ip.ts";
import type { Registry, RequestContext, ResourceHandler, StoreLookup } from "./types.ts";

export const ADMIN: UserInfo = { name: "admin", groups: ["system:masters", "system:authenticated"], extra: {} };
export const MINJUN: UserInfo = { name: "minjun", groups: ["dev-team", "system:authenticated"], extra: {} };

export interface Harness {
  registry: Registry;
  stores: StoreLookup;
  rbac: RbacIndex;
  clock: ReturnType<typeof fixedClock>;
  h(group: string, resource: string): ResourceHandler;
  ctx(user?: UserInfo, over?: Partial<RequestContext>): RequestContext;
}

/** `backend`: storage under the stores (default a fresh memory backend). */
export async function harness(opts: { serviceIpRange?: ServiceIpRange; backend?: StorageBackend } = {}): Promise<Harness> {
  const { backend = createMemoryBackend(), ...registryOpts } = opts;
  const clock = fixedClock("2026-11-22T20:00:00Z");
  const random = seededRandom(7);
  const stores = memoizeStores((info) =>
    createStore(backend, { namespaced: info.namespaced, group: info.group, resource: info.resource, apiVersion: info.group ? `${info.group}/${info.version}` : info.version, kind: info.kind }, { clock, random }),
  );
  const rbac = new RbacIndex();
  const authorizer = unionAuthorizer(privilegedGroupAuthorizer(["system:masters"]), rbac);
  const registry = createRegistry({ stores, authorizer, rules: rbac, clock, random, ...registryOpts });
  await ensureDefaultNamespaces(stores);
  return {
    registry,
    stores,
    rbac,
    clock,
    h(group, resource) {
      const info = findResource(group, "v1", resource);
      const h = info && registry.handler(group, "v1", resource);
      if (!h) throw new Error(`no handler ${group}/${resource}`);
      return h;
    },
    ctx: (user = ADMIN, over = {}) => ({ user, authorizer, dryRun: false, fieldValidation: undefined, now: clock.now(), warnings: [], fieldManager: "test", ...over }),
  };
}

/** Writes an RBAC object through the registry and feeds the index (what main's informer does). */
export async function putRbac(t: Harness, obj: RbacObject): Promise<ApiObject> {
  const resource = { Role: "roles", ClusterRole: "clusterroles", RoleBinding: "rolebindings", ClusterRoleBinding: "clusterrolebindings" }[obj.kind];
  const saved = await t.h("rbac.authorization.k8s.io", resource).create(t.ctx(), obj.metadata.namespace ?? "", obj);
  t.rbac.upsert(saved as RbacObject);
  return saved;
}

export function cm(name: string, data: Record<string, string> = {}, labels?: Record<string, string>): ApiObject {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name, ...(labels ? { labels } : {}) }, data };
}
