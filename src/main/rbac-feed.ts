// Keeps the in-memory RbacIndex equal to storage (list, then watch from the list's revision — an
// informer) and runs kube-controller-manager's clusterrole-aggregation controller: whenever a
// ClusterRole changes, aggregated roles (admin/edit/view…) get the union of their selected roles' rules.
import type { ApiObject, ClusterRole, RbacObject } from "../api/index.ts";
import { aggregateClusterRoles, type RbacIndex } from "../auth/index.ts";
import { StorageError, type Store } from "../storage/index.ts";

export interface RbacStores {
  readonly clusterRoles: Store;
  readonly clusterRoleBindings: Store;
  readonly roles: Store;
  readonly roleBindings: Store;
}

type Log = (line: string) => void;

const keyOf = (o: ApiObject): string => `${o.metadata.namespace ?? ""}/${o.metadata.name ?? ""}`;

/** One informer: resolves after the initial list is in the index; keeps watching until `signal`. */
async function inform(store: Store, onChange: (type: "upsert" | "remove", obj: ApiObject) => void, signal: AbortSignal, log: Log): Promise<void> {
  const known = new Map<string, ApiObject>();
  const relist = async (): Promise<string> => {
    const list = await store.list();
    const seen = new Set<string>();
    for (const item of list.items) {
      seen.add(keyOf(item));
      known.set(keyOf(item), item);
      onChange("upsert", item);
    }
    for (const [k, obj] of known) {
      if (!seen.has(k)) {
        known.delete(k);
        onChange("remove", obj);
      }
    }
    return list.resourceVersion;
  };
  let rv = await relist();
  void (async () => {
    while (!signal.aborted) {
      try {
        for await (const ev of store.watch({ resourceVersion: rv, signal })) {
          rv = ev.object.metadata.resourceVersion ?? rv;
          if (ev.type === "ADDED" || ev.type === "MODIFIED") {
            known.set(keyOf(ev.object), ev.object);
            onChange("upsert", ev.object);
          } else if (ev.type === "DELETED") {
            known.delete(keyOf(ev.object));
            onChange("remove", ev.object);
          }
        }
      } catch (err) {
        if (signal.aborted) return;
        if (!(err instanceof StorageError && err.code === "compacted")) log(`rbac informer: ${err instanceof Error ? err.message : String(err)}`);
        rv = await relist().catch(() => rv);
      }
      // A watch that ended without an abort is retried, but never in a tight loop (reflector backoff).
      if (!signal.aborted) await new Promise((r) => setTimeout(r, 200));
    }
  })();
}

/** Feeds `index` from the four RBAC stores and keeps aggregated ClusterRoles current. */
export async function feedRbacIndex(
  index: RbacIndex,
  stores: RbacStores,
  signal: AbortSignal,
  log: Log,
  onPolicyChange: () => void = () => undefined,
  /** false: leave aggregation to the leader-elected controller (main/leader-aggregation.ts). */
  options: { readonly aggregate?: boolean } = {},
): Promise<void> {
  const clusterRoles = new Map<string, ClusterRole>();
  let pending = false;
  let ready = false;
  const aggregate = (): void => {
    if (options.aggregate === false || pending || !ready || signal.aborted) return;
    pending = true;
    setImmediate(() => {
      pending = false;
      for (const role of aggregateClusterRoles([...clusterRoles.values()])) {
        const name = role.metadata.name ?? "";
        stores.clusterRoles
          .guaranteedUpdate("", name, (cur) => (JSON.stringify(cur["rules"]) === JSON.stringify(role.rules) ? undefined : { ...cur, rules: role.rules }))
          .catch((err: unknown) => log(`clusterrole aggregation of "${name}": ${err instanceof Error ? err.message : String(err)}`));
      }
    });
  };
  const apply = (type: "upsert" | "remove", obj: ApiObject): void => {
    const rbac = obj as RbacObject;
    if (type === "upsert") index.upsert(rbac);
    else index.remove(rbac);
    onPolicyChange();
    if (obj.kind === "ClusterRole") {
      if (type === "upsert") clusterRoles.set(obj.metadata.name ?? "", obj as ClusterRole);
      else clusterRoles.delete(obj.metadata.name ?? "");
      aggregate();
    }
  };
  await Promise.all([stores.clusterRoles, stores.clusterRoleBindings, stores.roles, stores.roleBindings].map((s) => inform(s, apply, signal, log)));
  ready = true;
  aggregate();
}
