// bootstrapPolicy(): the RBAC objects a fresh cluster starts with (reference §5; bootstrappolicy/policy.go and
// kubeadm's phases/bootstraptoken + kubeconfig). Upstream objects carry the bootstrapping label and the
// autoupdate annotation; kubeadm's own objects carry neither, as kubeadm creates them plainly.
import { RBAC_API_VERSION } from "../../api/index.ts";
import type { ClusterRole, ClusterRoleBinding, ObjectMeta, Role, RoleBinding, Subject } from "../../api/index.ts";
import { CLUSTER_ROLES, aggregationRuleFor, rule } from "./bootstrap-roles.ts";
import { aggregateClusterRoles } from "./aggregation.ts";

export interface BootstrapPolicy {
  readonly clusterRoles: ClusterRole[];
  readonly clusterRoleBindings: ClusterRoleBinding[];
  readonly roles: Role[];
  readonly roleBindings: RoleBinding[];
}

const RBAC = "rbac.authorization.k8s.io";
const user = (name: string): Subject => ({ kind: "User", apiGroup: RBAC, name });
const group = (name: string): Subject => ({ kind: "Group", apiGroup: RBAC, name });
const serviceAccount = (namespace: string, name: string): Subject => ({ kind: "ServiceAccount", name, namespace });

function upstreamMeta(name: string, labels?: Readonly<Record<string, string>>, namespace?: string): ObjectMeta {
  return {
    name,
    ...(namespace ? { namespace } : {}),
    labels: { "kubernetes.io/bootstrapping": "rbac-defaults", ...labels },
    annotations: { "rbac.authorization.kubernetes.io/autoupdate": "true" },
  };
}

/** ClusterRoleBinding name → [ClusterRole, subjects]; the role defaults to the binding's name. */
const UPSTREAM_BINDINGS: ReadonlyArray<readonly [string, readonly Subject[], string?]> = [
  ["cluster-admin", [group("system:masters")]],
  ["system:discovery", [group("system:authenticated")]],
  ["system:basic-user", [group("system:authenticated")]],
  ["system:public-info-viewer", [group("system:authenticated"), group("system:unauthenticated")]],
  ["system:monitoring", [group("system:monitoring")]],
  ["system:node-proxier", [user("system:kube-proxy")]],
  ["system:kube-controller-manager", [user("system:kube-controller-manager")]],
  ["system:kube-dns", [serviceAccount("kube-system", "kube-dns")]],
  ["system:kube-scheduler", [user("system:kube-scheduler")]],
  ["system:volume-scheduler", [user("system:kube-scheduler")]],
  // The Node authorizer serves kubelets upstream; the binding is kept with no subjects.
  ["system:node", []],
  ["system:service-account-issuer-discovery", [group("system:serviceaccounts")]],
  ["system:controller:certificate-controller", [serviceAccount("kube-system", "certificate-controller")]],
  ["system:controller:root-ca-cert-publisher", [serviceAccount("kube-system", "root-ca-cert-publisher")]],
  ["system:controller:clusterrole-aggregation-controller", [serviceAccount("kube-system", "clusterrole-aggregation-controller")]],
  // kpki's one deliberate difference (issue 3 §2: anonymous may reach "health, version and discovery"):
  // Kubernetes ≥ 1.14 lets system:unauthenticated read only health/version (system:public-info-viewer);
  // kpki also lets it read discovery (/api, /apis, /openapi), as Kubernetes did before 1.14, through this
  // separately named binding so the upstream bindings stay byte-identical and an operator can delete it
  // to get the upstream behaviour. Resource requests by system:anonymous stay forbidden.
  ["kpki:anonymous-discovery", [group("system:unauthenticated")], "system:discovery"],
];

/** kubeadm's own bindings (phases/bootstraptoken/node, phases/kubeconfig admin.conf). */
const KUBEADM_BINDINGS: ReadonlyArray<readonly [string, string, readonly Subject[]]> = [
  ["kubeadm:cluster-admins", "cluster-admin", [group("kubeadm:cluster-admins")]],
  ["kubeadm:kubelet-bootstrap", "system:node-bootstrapper", [group("system:bootstrappers:kubeadm:default-node-token")]],
  ["kubeadm:node-autoapprove-bootstrap", "system:certificates.k8s.io:certificatesigningrequests:nodeclient", [group("system:bootstrappers:kubeadm:default-node-token")]],
  ["kubeadm:node-autoapprove-certificate-rotation", "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient", [group("system:nodes")]],
  ["kubeadm:get-nodes", "kubeadm:get-nodes", [group("system:bootstrappers:kubeadm:default-node-token")]],
];

function clusterRoleBinding(name: string, role: string, subjects: readonly Subject[], meta: ObjectMeta): ClusterRoleBinding {
  return {
    apiVersion: RBAC_API_VERSION,
    kind: "ClusterRoleBinding",
    metadata: meta,
    ...(subjects.length > 0 ? { subjects: subjects.map((s) => ({ ...s })) } : {}),
    roleRef: { apiGroup: RBAC, kind: "ClusterRole", name: role },
  };
}

function clusterRoles(): ClusterRole[] {
  const roles: ClusterRole[] = CLUSTER_ROLES.map((spec) => {
    const aggregationRule = aggregationRuleFor(spec);
    return {
      apiVersion: RBAC_API_VERSION,
      kind: "ClusterRole",
      metadata: upstreamMeta(spec.name, spec.labels),
      rules: spec.rules.map((r) => structuredClone(r)),
      ...(aggregationRule ? { aggregationRule } : {}),
    };
  });
  roles.push({ apiVersion: RBAC_API_VERSION, kind: "ClusterRole", metadata: { name: "kubeadm:get-nodes" }, rules: [rule(["get"], [""], ["nodes"])] });
  // admin/edit/view are served already aggregated, so a fresh server is right before any controller runs.
  const aggregated = new Map(aggregateClusterRoles(roles).map((r) => [r.metadata.name, r]));
  return roles.map((r) => aggregated.get(r.metadata.name) ?? r);
}

/** Namespaced bootstrap roles (policy.go NamespaceRoles): the authentication config reader in kube-system. */
function namespaced(): { roles: Role[]; roleBindings: RoleBinding[] } {
  const name = "extension-apiserver-authentication-reader";
  const role: Role = {
    apiVersion: RBAC_API_VERSION,
    kind: "Role",
    metadata: upstreamMeta(name, undefined, "kube-system"),
    rules: [rule(["get", "list", "watch"], [""], ["configmaps"], ["extension-apiserver-authentication"])],
  };
  const binding: RoleBinding = {
    apiVersion: RBAC_API_VERSION,
    kind: "RoleBinding",
    metadata: upstreamMeta(`system::${name}`, undefined, "kube-system"),
    subjects: [user("system:kube-controller-manager"), user("system:kube-scheduler")],
    roleRef: { apiGroup: RBAC, kind: "Role", name },
  };
  return { roles: [role], roleBindings: [binding] };
}

export function bootstrapPolicy(): BootstrapPolicy {
  const clusterRoleBindings = [
    ...UPSTREAM_BINDINGS.map(([name, subjects, role]) => clusterRoleBinding(name, role ?? name, subjects, upstreamMeta(name))),
    ...KUBEADM_BINDINGS.map(([name, role, subjects]) => clusterRoleBinding(name, role, subjects, { name })),
  ];
  return { clusterRoles: clusterRoles(), clusterRoleBindings, ...namespaced() };
}
