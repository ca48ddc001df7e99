// The bootstrap ClusterRoles of plugin/pkg/auth/authorizer/rbac/bootstrappolicy/{policy,controller_policy}.go
// as data (reference §5.2; DESIGN.md rule 9). Rules are upstream's; where the reference snapshot and later
// releases differ the later release wins (selfsubjectreviews in system:basic-user, system:monitoring).
import type { PolicyRule, ClusterRole } from "../../api/index.ts";

export const READ = ["get", "list", "watch"];
export const WRITE = ["create", "update", "patch", "delete", "deletecollection"];
export const READ_WRITE = [...READ, ...WRITE];
export const READ_UPDATE = ["get", "list", "watch", "update", "patch"];

export function rule(verbs: readonly string[], apiGroups: readonly string[], resources: readonly string[], resourceNames?: readonly string[]): PolicyRule {
  return { verbs: [...verbs], apiGroups: [...apiGroups], resources: [...resources], ...(resourceNames ? { resourceNames: [...resourceNames] } : {}) };
}
export function urls(verbs: readonly string[], nonResourceURLs: readonly string[]): PolicyRule {
  return { verbs: [...verbs], nonResourceURLs: [...nonResourceURLs] };
}
const events = (): PolicyRule => rule(["create", "update", "patch"], ["", "events.k8s.io"], ["events"]);

const CERTS = "certificates.k8s.io";
const AUTHZ = "authorization.k8s.io";
const AUTHN = "authentication.k8s.io";
const COORD = "coordination.k8s.io";
const STORAGE = "storage.k8s.io";
const AGG = "rbac.authorization.k8s.io/aggregate-to-";

export interface RoleSpec {
  readonly name: string;
  readonly rules: readonly PolicyRule[];
  readonly labels?: Readonly<Record<string, string>>;
  readonly aggregateFrom?: string;
}

const approver = (name: string, signer: string): RoleSpec => ({
  name: `system:certificates.k8s.io:${name}`,
  rules: [rule(["approve"], [CERTS], ["signers"], [signer])],
});

export const CLUSTER_ROLES: readonly RoleSpec[] = [
  { name: "cluster-admin", rules: [rule(["*"], ["*"], ["*"]), urls(["*"], ["*"])] },
  {
    name: "system:discovery",
    rules: [urls(["get"], ["/livez", "/readyz", "/healthz", "/version", "/version/", "/openapi", "/openapi/*", "/api", "/api/*", "/apis", "/apis/*"])],
  },
  { name: "system:public-info-viewer", rules: [urls(["get"], ["/livez", "/readyz", "/healthz", "/version", "/version/"])] },
  {
    name: "system:basic-user",
    rules: [rule(["create"], [AUTHZ], ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]), rule(["create"], [AUTHN], ["selfsubjectreviews"])],
  },
  {
    name: "system:monitoring",
    rules: [urls(["get"], ["/metrics", "/metrics/slis", "/livez", "/readyz", "/healthz", "/livez/*", "/readyz/*", "/healthz/*"])],
  },
  { name: "admin", rules: [], aggregateFrom: "admin" },
  { name: "edit", rules: [], labels: { [`${AGG}admin`]: "true" }, aggregateFrom: "edit" },
  { name: "view", rules: [], labels: { [`${AGG}edit`]: "true" }, aggregateFrom: "view" },
  {
    name: "system:aggregate-to-admin",
    labels: { [`${AGG}admin`]: "true" },
    rules: [rule(["create"], [AUTHZ], ["localsubjectaccessreviews"]), rule(READ_WRITE, ["rbac.authorization.k8s.io"], ["roles", "rolebindings"])],
  },
  {
    name: "system:aggregate-to-edit",
    labels: { [`${AGG}edit`]: "true" },
    rules: [
      rule(READ, [""], ["pods/attach", "pods/proxy", "pods/exec", "pods/portforward", "secrets", "services/proxy"]),
      rule(["impersonate"], [""], ["serviceaccounts"]),
      rule(WRITE, [""], ["pods", "pods/attach", "pods/proxy", "pods/exec", "pods/portforward"]),
      rule(["create"], [""], ["pods/eviction"]),
      rule(WRITE, [""], ["replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services", "services/proxy", "endpoints", "persistentvolumeclaims", "configmaps", "secrets", "events"]),
      rule(["create"], [""], ["serviceaccounts/token"]),
      rule(WRITE, ["apps"], ["statefulsets", "statefulsets/scale", "daemonsets", "deployments", "deployments/scale", "deployments/rollback", "replicasets", "replicasets/scale"]),
      rule(WRITE, ["autoscaling"], ["horizontalpodautoscalers"]),
      rule(WRITE, ["batch"], ["jobs", "cronjobs"]),
      rule(WRITE, ["extensions"], ["daemonsets", "deployments", "deployments/scale", "deployments/rollback", "ingresses", "replicasets", "replicasets/scale", "replicationcontrollers/scale", "networkpolicies"]),
      rule(WRITE, ["policy"], ["poddisruptionbudgets"]),
      rule(WRITE, ["networking.k8s.io"], ["networkpolicies", "ingresses"]),
      rule(READ_WRITE, [COORD], ["leases"]),
    ],
  },
  {
    name: "system:aggregate-to-view",
    labels: { [`${AGG}view`]: "true" },
    rules: [
      rule(READ, [""], ["pods", "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services", "services/status", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "configmaps"]),
      rule(READ, [""], ["limitranges", "resourcequotas", "bindings", "events", "pods/status", "resourcequotas/status", "namespaces/status", "replicationcontrollers/status", "pods/log"]),
      rule(READ, [""], ["namespaces"]),
      rule(READ, ["discovery.k8s.io"], ["endpointslices"]),
      rule(READ, ["apps"], ["controllerrevisions", "statefulsets", "statefulsets/status", "statefulsets/scale", "daemonsets", "daemonsets/status", "deployments", "deployments/status", "deployments/scale", "replicasets", "replicasets/status", "replicasets/scale"]),
      rule(READ, ["autoscaling"], ["horizontalpodautoscalers", "horizontalpodautoscalers/status"]),
      rule(READ, ["batch"], ["jobs", "cronjobs", "cronjobs/status", "jobs/status"]),
      rule(READ, ["extensions"], ["daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status", "ingresses", "ingresses/status", "replicasets", "replicasets/scale", "replicasets/status", "replicationcontrollers/scale", "networkpolicies"]),
      rule(READ, ["policy"], ["poddisruptionbudgets", "poddisruptionbudgets/status"]),
      rule(READ, ["networking.k8s.io"], ["networkpolicies", "ingresses", "ingresses/status"]),
    ],
  },
  {
    name: "system:node",
    rules: [
      rule(["create"], [AUTHN], ["tokenreviews"]),
      rule(["create"], [AUTHZ], ["subjectaccessreviews", "localsubjectaccessreviews"]),
      rule(READ, [""], ["services"]),
      rule(["create", "get", "list", "watch"], [""], ["nodes"]),
      rule(["update", "patch"], [""], ["nodes/status"]),
      rule(["update", "patch"], [""], ["nodes"]),
      rule(["create", "update", "patch"], [""], ["events"]),
      rule(READ, [""], ["pods"]),
      rule(["create", "delete"], [""], ["pods"]),
      rule(["update", "patch"], [""], ["pods/status"]),
      rule(["create"], [""], ["pods/eviction"]),
      rule(["get", "list", "watch"], [""], ["secrets", "configmaps"]),
      rule(["get"], [""], ["persistentvolumeclaims", "persistentvolumes"]),
      rule(["get"], [""], ["endpoints"]),
      rule(["create", "get", "list", "watch"], [CERTS], ["certificatesigningrequests"]),
      rule(["get", "create", "update", "patch", "delete"], [COORD], ["leases"]),
      rule(["get"], [STORAGE], ["volumeattachments"]),
      rule(["get", "update", "patch"], [""], ["persistentvolumeclaims/status"]),
      rule(["create"], [""], ["serviceaccounts/token"]),
      rule(["get", "watch", "list"], [STORAGE], ["csidrivers"]),
      rule(["get", "create", "update", "patch", "delete"], [STORAGE], ["csinodes"]),
      rule(["get", "list", "watch"], ["node.k8s.io"], ["runtimeclasses"]),
    ],
  },
  {
    name: "system:node-proxier",
    rules: [rule(["list", "watch"], [""], ["services", "endpoints"]), rule(READ, [""], ["nodes"]), events(), rule(["list", "watch"], ["discovery.k8s.io"], ["endpointslices"])],
  },
  {
    name: "system:kube-scheduler",
    rules: [
      events(),
      rule(["create"], [COORD], ["leases"]),
      rule(["get", "update"], [COORD], ["leases"], ["kube-scheduler"]),
      rule(["create"], [""], ["endpoints"]),
      rule(["get", "update"], [""], ["endpoints"], ["kube-scheduler"]),
      rule(READ, [""], ["nodes"]),
      rule(["get", "list", "watch", "delete"], [""], ["pods"]),
      rule(["create"], [""], ["pods/binding", "bindings"]),
      rule(["patch", "update"], [""], ["pods/status"]),
      rule(READ, [""], ["replicationcontrollers", "services"]),
      rule(READ, ["apps", "extensions"], ["replicasets"]),
      rule(READ, ["apps"], ["statefulsets"]),
      rule(READ, ["policy"], ["poddisruptionbudgets"]),
      rule(READ, [""], ["persistentvolumeclaims", "persistentvolumes"]),
      rule(["create"], [AUTHN], ["tokenreviews"]),
      rule(["create"], [AUTHZ], ["subjectaccessreviews"]),
      rule(READ, [STORAGE], ["csinodes", "csidrivers", "csistoragecapacities"]),
      rule(READ, [""], ["namespaces"]),
    ],
  },
  {
    name: "system:volume-scheduler",
    rules: [rule(READ_UPDATE, [""], ["persistentvolumes"]), rule(READ, [STORAGE], ["storageclasses"]), rule(READ_UPDATE, [""], ["persistentvolumeclaims"])],
  },
  {
    name: "system:kube-controller-manager",
    rules: [
      events(),
      rule(["create"], [COORD], ["leases"]),
      rule(["get", "update"], [COORD], ["leases"], ["kube-controller-manager"]),
      rule(["create"], [""], ["endpoints"]),
      rule(["get", "update"], [""], ["endpoints"], ["kube-controller-manager"]),
      rule(["create"], [""], ["secrets", "serviceaccounts"]),
      rule(["delete"], [""], ["secrets"]),
      rule(["get"], [""], ["namespaces", "secrets", "serviceaccounts", "configmaps"]),
      rule(["update"], [""], ["secrets", "serviceaccounts"]),
      rule(["create"], [AUTHN], ["tokenreviews"]),
      rule(["create"], [AUTHZ], ["subjectaccessreviews"]),
      rule(["list", "watch"], ["*"], ["*"]),
      rule(["create"], [""], ["serviceaccounts/token"]),
    ],
  },
  { name: "system:node-bootstrapper", rules: [rule(["create", "get", "list", "watch"], [CERTS], ["certificatesigningrequests"])] },
  { name: "system:auth-delegator", rules: [rule(["create"], [AUTHN], ["tokenreviews"]), rule(["create"], [AUTHZ], ["subjectaccessreviews"])] },
  { name: "system:kube-dns", rules: [rule(["list", "watch"], [""], ["endpoints", "services"])] },
  { name: "system:service-account-issuer-discovery", rules: [urls(["get"], ["/.well-known/openid-configuration", "/.well-known/openid-configuration/", "/openid/v1/jwks", "/openid/v1/jwks/"])] },
  { name: "system:certificates.k8s.io:certificatesigningrequests:nodeclient", rules: [rule(["create"], [CERTS], ["certificatesigningrequests/nodeclient"])] },
  { name: "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient", rules: [rule(["create"], [CERTS], ["certificatesigningrequests/selfnodeclient"])] },
  approver("legacy-unknown-approver", "kubernetes.io/legacy-unknown"),
  approver("kubelet-serving-approver", "kubernetes.io/kubelet-serving"),
  approver("kube-apiserver-client-approver", "kubernetes.io/kube-apiserver-client"),
  approver("kube-apiserver-client-kubelet-approver", "kubernetes.io/kube-apiserver-client-kubelet"),
  // controller_policy.go: bound to ServiceAccount kube-system/<name> (--use-service-account-credentials).
  {
    name: "system:controller:certificate-controller",
    rules: [
      rule(["get", "list", "watch", "delete"], [CERTS], ["certificatesigningrequests"]),
      rule(["update"], [CERTS], ["certificatesigningrequests/status", "certificatesigningrequests/approval"]),
      rule(["approve"], [CERTS], ["signers"], ["kubernetes.io/kube-apiserver-client-kubelet"]),
      rule(["sign"], [CERTS], ["signers"], ["kubernetes.io/legacy-unknown", "kubernetes.io/kube-apiserver-client", "kubernetes.io/kube-apiserver-client-kubelet", "kubernetes.io/kubelet-serving"]),
      rule(["create"], [AUTHZ], ["subjectaccessreviews"]),
      events(),
    ],
  },
  { name: "system:controller:root-ca-cert-publisher", rules: [rule(["create", "update"], [""], ["configmaps"]), events()] },
  {
    name: "system:controller:clusterrole-aggregation-controller",
    rules: [rule(["escalate", "get", "list", "watch", "update", "patch"], ["rbac.authorization.k8s.io"], ["clusterroles"])],
  },
];

export function aggregationRuleFor(spec: RoleSpec): ClusterRole["aggregationRule"] | undefined {
  return spec.aggregateFrom === undefined ? undefined : { clusterRoleSelectors: [{ matchLabels: { [`${AGG}${spec.aggregateFrom}`]: "true" } }] };
}
