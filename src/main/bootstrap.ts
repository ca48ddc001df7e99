// What a fresh cluster holds before anyone calls it: the four system namespaces and the bootstrap
// RBAC policy. Like kube-apiserver's bootstrap-roles post-start hook it runs on every start and only
// creates what is missing (objects an admin edited are left alone).
import type { ApiObject } from "../api/index.ts";
import { bootstrapPolicy } from "../auth/index.ts";
import { StorageError, type Store } from "../storage/index.ts";
import type { RbacStores } from "./rbac-feed.ts";

export const SYSTEM_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"] as const;

function namespace(name: string): ApiObject {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    // kube-apiserver labels every namespace with its own name (NamespaceDefaultLabelName, 1.22+).
    metadata: { name, labels: { "kubernetes.io/metadata.name": name } },
    spec: { finalizers: ["kubernetes"] },
    status: { phase: "Active" },
  };
}

async function createIfMissing(store: Store, obj: ApiObject): Promise<boolean> {
  if ((await store.get(obj.metadata.namespace ?? "", obj.metadata.name ?? "")) !== undefined) return false;
  try {
    await store.create(obj);
    return true;
  } catch (err) {
    if (err instanceof StorageError && err.code === "exists") return false;
    throw err;
  }
}

/** Returns how many objects were created (0 on a later start). */
export async function ensureBootstrapObjects(namespaces: Store, rbac: RbacStores): Promise<number> {
  let created = 0;
  const count = (b: boolean): void => void (b && created++);
  for (const ns of SYSTEM_NAMESPACES) count(await createIfMissing(namespaces, namespace(ns)));
  const policy = bootstrapPolicy();
  for (const r of policy.clusterRoles) count(await createIfMissing(rbac.clusterRoles, r));
  for (const b of policy.clusterRoleBindings) count(await createIfMissing(rbac.clusterRoleBindings, b));
  for (const r of policy.roles) count(await createIfMissing(rbac.roles, r));
  for (const b of policy.roleBindings) count(await createIfMissing(rbac.roleBindings, b));
  return created;
}
