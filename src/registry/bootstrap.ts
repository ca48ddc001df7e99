// First-start objects, idempotent so main can call them on every start: the four default namespaces
// and the bootstrap RBAC policy with kube's reconcile semantics (pkg/registry/rbac/rest/storage_rbac.go
// EnsureRBACPolicy): missing objects are created; existing ones with the autoupdate annotation not
// "false" gain missing rules/subjects, labels and annotations (nothing is removed).
import { RESOURCES, type ApiObject, type ResourceInfo } from "../api/index.ts";
import type { BootstrapPolicy } from "../auth/index.ts";
import { StorageError } from "../storage/index.ts";
import { DEFAULT_SERVICE_IP_RANGE, kubernetesServiceIp, primaryCidr, type ServiceIpRange } from "./service-ip.ts";
import { SERVICE_IP_RESERVATIONS, repairServiceIpReservations, reserveIp } from "./service-ip-reservations.ts";
import type { StoreLookup } from "./types.ts";

export const DEFAULT_NAMESPACES: readonly string[] = ["default", "kube-system", "kube-public", "kube-node-lease"];

const AUTOUPDATE = "rbac.authorization.kubernetes.io/autoupdate";

function info(group: string, resource: string): ResourceInfo {
  const i = RESOURCES.find((r) => r.group === group && r.resource === resource);
  if (i === undefined) throw new Error(`resource table has no ${resource}`);
  return i;
}

async function createIfMissing(stores: StoreLookup, i: ResourceInfo, obj: ApiObject): Promise<boolean> {
  try {
    await stores(i).create(obj);
    return true;
  } catch (err) {
    if (err instanceof StorageError && err.code === "exists") return false;
    throw err;
  }
}

export async function ensureDefaultNamespaces(stores: StoreLookup): Promise<string[]> {
  const ns = info("", "namespaces");
  const created: string[] = [];
  for (const name of DEFAULT_NAMESPACES) {
    if ((await stores(ns).get("", name)) !== undefined) continue;
    const obj: ApiObject = { apiVersion: "v1", kind: "Namespace", metadata: { name }, spec: { finalizers: ["kubernetes"] }, status: { phase: "Active" } };
    if (await createIfMissing(stores, ns, obj)) created.push(name);
  }
  return created;
}

/** kube-apiserver's default --service-cluster-ip-range is 10.0.0.0/24, kubeadm's 10.96.0.0/12; kpki
 *  provisions kubeadm's, whose first address (10.96.0.1) is in the apiserver certificate's SANs. */
export const DEFAULT_KUBERNETES_SERVICE_IP = kubernetesServiceIp(DEFAULT_SERVICE_IP_RANGE);

function clusterIpOf(svc: ApiObject | undefined, dflt: string): string {
  const ip = (svc?.spec as { clusterIP?: unknown } | undefined)?.clusterIP;
  return typeof ip === "string" ? ip : dflt;
}

export interface KubernetesServiceResult {
  readonly action: "created" | "updated" | "unchanged";
  /** The Service's ClusterIP as stored. */
  readonly clusterIP: string;
  /** The first host address of the range; differs from clusterIP when the range changed since the
   *  Service was created (kube keeps the old address and logs, since clusterIP is immutable). */
  readonly expectedClusterIP: string;
}

/** The `kubernetes` Service in `default` (kube-apiserver's kubernetesservice controller): ClusterIP = the
 *  first host address of the primary service range, port 443 → the secure port. On a dual-stack server
 *  it stays SingleStack of the primary family, as kube's (options/validation.go
 *  validatePublicIPServiceClusterIPRangeIPFamilies: "The kubernetes.default Service is SingleStack based
 *  on the configured ServiceIPRange"). Created when missing; its ports
 *  are reconciled when the secure port changed (kube does the same on every start); an existing
 *  ClusterIP is never changed. Then, as kube's repair controller does at start, every Service's
 *  ClusterIP gets its reservation (service-ip-reservations.ts); with `now`, orphaned ones go. */
export async function ensureKubernetesService(
  stores: StoreLookup,
  o: { securePort: number; serviceIpRange?: ServiceIpRange; now?: Date },
): Promise<KubernetesServiceResult> {
  const result = await reconcileKubernetesService(stores, o);
  await repairServiceIpReservations(stores, o.now === undefined ? {} : { now: o.now });
  return result;
}

async function reconcileKubernetesService(stores: StoreLookup, o: { securePort: number; serviceIpRange?: ServiceIpRange }): Promise<KubernetesServiceResult> {
  const store = stores(info("", "services"));
  const range = o.serviceIpRange ?? DEFAULT_SERVICE_IP_RANGE;
  const ip = kubernetesServiceIp(range);
  const ports = [{ name: "https", protocol: "TCP", port: 443, targetPort: o.securePort }];
  const live = await store.get("default", "kubernetes");
  if (live === undefined) {
    // Reserved before the Service exists, so no user Service can take the address in between; held
    // already (by a replica racing us, or a Service that asked for it) is left to the repair's report.
    await reserveIp(stores(SERVICE_IP_RESERVATIONS), ip, { namespace: "default", name: "kubernetes" });
    const svc: ApiObject = {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "kubernetes", namespace: "default", labels: { component: "apiserver", provider: "kubernetes" } },
      spec: {
        ports, clusterIP: ip, clusterIPs: [ip], type: "ClusterIP", sessionAffinity: "None",
        ipFamilies: [primaryCidr(range).family], ipFamilyPolicy: "SingleStack", internalTrafficPolicy: "Cluster",
      },
      status: { loadBalancer: {} },
    };
    if (await createIfMissing(stores, info("", "services"), svc)) return { action: "created", clusterIP: ip, expectedClusterIP: ip };
    // Another replica created it first: report what it stored.
    return { action: "unchanged", clusterIP: clusterIpOf(await store.get("default", "kubernetes"), ip), expectedClusterIP: ip };
  }
  const spec = (live.spec ?? {}) as Record<string, unknown>;
  const clusterIP = clusterIpOf(live, ip);
  if (JSON.stringify(spec["ports"]) === JSON.stringify(ports)) return { action: "unchanged", clusterIP, expectedClusterIP: ip };
  await store.update({ ...live, spec: { ...spec, ports } });
  return { action: "updated", clusterIP, expectedClusterIP: ip };
}

function unionBy(existing: unknown, wanted: unknown): unknown[] {
  const cur = Array.isArray(existing) ? [...existing] : [];
  const seen = new Set(cur.map((x) => JSON.stringify(x)));
  for (const w of Array.isArray(wanted) ? wanted : []) if (!seen.has(JSON.stringify(w))) cur.push(w);
  return cur;
}

/** The reconciled object, or undefined when nothing changes. */
function reconcile(live: ApiObject, wanted: ApiObject): ApiObject | undefined {
  if (live.metadata.annotations?.[AUTOUPDATE] === "false") return undefined;
  const next: ApiObject = { ...live, metadata: { ...live.metadata } };
  if (live.metadata.labels || wanted.metadata.labels) next.metadata.labels = { ...live.metadata.labels, ...wanted.metadata.labels };
  if (live.metadata.annotations || wanted.metadata.annotations) {
    next.metadata.annotations = { ...live.metadata.annotations, ...wanted.metadata.annotations };
  }
  if ("rules" in wanted) next.rules = unionBy(live.rules, wanted.rules);
  if (wanted.aggregationRule !== undefined) next.aggregationRule = wanted.aggregationRule;
  if ("subjects" in wanted) next.subjects = unionBy(live.subjects, wanted.subjects);
  if (wanted.roleRef !== undefined) next.roleRef = wanted.roleRef;
  return JSON.stringify(next) === JSON.stringify(live) ? undefined : next;
}

export interface BootstrapResult {
  readonly created: number;
  readonly updated: number;
}

export async function ensureBootstrapPolicy(stores: StoreLookup, policy: BootstrapPolicy): Promise<BootstrapResult> {
  const RBAC = "rbac.authorization.k8s.io";
  const groups: [ResourceInfo, readonly ApiObject[]][] = [
    [info(RBAC, "clusterroles"), policy.clusterRoles],
    [info(RBAC, "clusterrolebindings"), policy.clusterRoleBindings],
    [info(RBAC, "roles"), policy.roles],
    [info(RBAC, "rolebindings"), policy.roleBindings],
  ];
  let created = 0;
  let updated = 0;
  for (const [i, objects] of groups) {
    const store = stores(i);
    for (const wanted of objects) {
      const ns = i.namespaced ? (wanted.metadata.namespace ?? "") : "";
      const live = await store.get(ns, wanted.metadata.name ?? "");
      if (live === undefined) {
        if (await createIfMissing(stores, i, structuredClone(wanted))) created++;
        continue;
      }
      const next = reconcile(live, wanted);
      if (next !== undefined) {
        await store.update(next);
        updated++;
      }
    }
  }
  return { created, updated };
}
