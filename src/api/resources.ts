// The resource table: every resource kpki serves, as data (DESIGN.md rule 9). The server builds
// discovery, OpenAPI and Tables from it; the registry builds one handler per row.
// Verbs, shortNames, subresources and categories follow kube-apiserver 1.32's discovery.
import type { ApiObject } from "./meta.ts";
import * as p from "./printers.ts";
import type { Printer } from "./printers.ts";
import type { TableColumn } from "./table.ts";

export type { TableColumn } from "./table.ts";

export interface ResourceInfo {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly singular: string;
  readonly kind: string;
  readonly listKind: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
  readonly verbs: readonly string[];
  readonly subresources: readonly string[];
  readonly categories?: readonly string[];
  readonly columns: readonly TableColumn[];
  cells(obj: ApiObject, now: Date): unknown[];
  /** Field-selector labels beyond metadata.name / metadata.namespace (kube's per-kind SelectableFields). */
  readonly fieldSelectors: readonly string[];
  /** Not stored: the review APIs (create answers, nothing persists). */
  readonly virtual?: boolean;
}

const CRUD = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"] as const;
const CREATE_ONLY = ["create"] as const;

interface Row {
  group: string;
  /** Default "v1". */
  version?: string;
  resource: string;
  kind: string;
  namespaced: boolean;
  short?: string[];
  verbs?: readonly string[];
  sub?: string[];
  all?: boolean;
  printer?: Printer;
  fields?: string[];
  virtual?: boolean;
}

function row(r: Row): ResourceInfo {
  const printer = r.printer ?? p.defaultPrinter;
  return {
    group: r.group,
    version: r.version ?? "v1",
    resource: r.resource,
    singular: r.kind.toLowerCase(),
    kind: r.kind,
    listKind: `${r.kind}List`,
    namespaced: r.namespaced,
    shortNames: r.short ?? [],
    verbs: [...(r.verbs ?? CRUD)],
    subresources: r.sub ?? [],
    ...(r.all ? { categories: ["all"] } : {}),
    columns: printer.columns,
    cells: printer.cells,
    fieldSelectors: r.fields ?? [],
    ...(r.virtual ? { virtual: true } : {}),
  };
}

const RBAC = "rbac.authorization.k8s.io";
const AUTHZ = "authorization.k8s.io";
const EVENT_FIELDS = [
  "involvedObject.kind",
  "involvedObject.namespace",
  "involvedObject.name",
  "involvedObject.uid",
  "involvedObject.apiVersion",
  "involvedObject.resourceVersion",
  "involvedObject.fieldPath",
  "reason",
  "reportingComponent",
  "source",
  "type",
];
const POD_FIELDS = [
  "spec.nodeName",
  "spec.restartPolicy",
  "spec.schedulerName",
  "spec.serviceAccountName",
  "spec.hostNetwork",
  "status.phase",
  "status.podIP",
  "status.nominatedNodeName",
];

export const RESOURCES: readonly ResourceInfo[] = [
  row({ group: "", resource: "namespaces", kind: "Namespace", namespaced: false, short: ["ns"], verbs: ["create", "delete", "get", "list", "patch", "update", "watch"], sub: ["finalize", "status"], printer: p.namespacePrinter, fields: ["status.phase"] }),
  row({ group: "", resource: "configmaps", kind: "ConfigMap", namespaced: true, short: ["cm"], printer: p.configMapPrinter }),
  row({ group: "", resource: "secrets", kind: "Secret", namespaced: true, printer: p.secretPrinter, fields: ["type"] }),
  row({ group: "", resource: "serviceaccounts", kind: "ServiceAccount", namespaced: true, short: ["sa"], sub: ["token"], printer: p.serviceAccountPrinter }),
  row({ group: "", resource: "services", kind: "Service", namespaced: true, short: ["svc"], sub: ["status"], all: true, printer: p.servicePrinter }),
  row({ group: "", resource: "pods", kind: "Pod", namespaced: true, short: ["po"], sub: ["status"], all: true, printer: p.podPrinter, fields: POD_FIELDS }),
  row({ group: "", resource: "nodes", kind: "Node", namespaced: false, short: ["no"], sub: ["status"], printer: p.nodePrinter, fields: ["spec.unschedulable"] }),
  row({ group: "", resource: "events", kind: "Event", namespaced: true, short: ["ev"], printer: p.eventPrinter, fields: EVENT_FIELDS }),
  row({ group: "apps", resource: "deployments", kind: "Deployment", namespaced: true, short: ["deploy"], sub: ["scale", "status"], all: true, printer: p.deploymentPrinter }),
  row({ group: "apps", resource: "replicasets", kind: "ReplicaSet", namespaced: true, short: ["rs"], sub: ["scale", "status"], all: true, printer: p.replicaSetPrinter, fields: ["status.replicas"] }),
  row({ group: "apps", resource: "statefulsets", kind: "StatefulSet", namespaced: true, short: ["sts"], sub: ["scale", "status"], all: true, printer: p.statefulSetPrinter }),
  row({ group: "apps", resource: "daemonsets", kind: "DaemonSet", namespaced: true, short: ["ds"], sub: ["status"], all: true, printer: p.daemonSetPrinter }),
  row({ group: RBAC, resource: "roles", kind: "Role", namespaced: true }),
  row({ group: RBAC, resource: "rolebindings", kind: "RoleBinding", namespaced: true, printer: p.bindingPrinter }),
  row({ group: RBAC, resource: "clusterroles", kind: "ClusterRole", namespaced: false }),
  row({ group: RBAC, resource: "clusterrolebindings", kind: "ClusterRoleBinding", namespaced: false, printer: p.bindingPrinter }),
  row({ group: AUTHZ, resource: "selfsubjectaccessreviews", kind: "SelfSubjectAccessReview", namespaced: false, verbs: CREATE_ONLY, virtual: true }),
  row({ group: AUTHZ, resource: "selfsubjectrulesreviews", kind: "SelfSubjectRulesReview", namespaced: false, verbs: CREATE_ONLY, virtual: true }),
  row({ group: AUTHZ, resource: "subjectaccessreviews", kind: "SubjectAccessReview", namespaced: false, verbs: CREATE_ONLY, virtual: true }),
  row({ group: AUTHZ, resource: "localsubjectaccessreviews", kind: "LocalSubjectAccessReview", namespaced: true, verbs: CREATE_ONLY, virtual: true }),
  row({ group: "authentication.k8s.io", resource: "selfsubjectreviews", kind: "SelfSubjectReview", namespaced: false, verbs: CREATE_ONLY, virtual: true }),
  row({ group: "authentication.k8s.io", resource: "tokenreviews", kind: "TokenReview", namespaced: false, verbs: CREATE_ONLY, virtual: true }),
  // kubectl 1.27's `auth whoami` asks v1beta1 (falling back to v1alpha1); kube 1.27–1.29 served both.
  // Rows of a group's older versions come after its preferred one (discovery lists them in this order).
  row({ group: "authentication.k8s.io", version: "v1beta1", resource: "selfsubjectreviews", kind: "SelfSubjectReview", namespaced: false, verbs: CREATE_ONLY, virtual: true }),
  row({ group: "authentication.k8s.io", version: "v1alpha1", resource: "selfsubjectreviews", kind: "SelfSubjectReview", namespaced: false, verbs: CREATE_ONLY, virtual: true }),
  row({ group: "certificates.k8s.io", resource: "certificatesigningrequests", kind: "CertificateSigningRequest", namespaced: false, short: ["csr"], sub: ["approval", "status"], printer: p.csrPrinter, fields: ["spec.signerName"] }),
  row({ group: "coordination.k8s.io", resource: "leases", kind: "Lease", namespaced: true, printer: p.leasePrinter }),
];

export function findResource(group: string, version: string, resource: string): ResourceInfo | undefined {
  return RESOURCES.find((r) => r.group === group && r.version === version && r.resource === resource);
}

/** The row for a group + resource in any served version (review APIs ask without a version). */
export function findGroupResource(group: string, resource: string): ResourceInfo | undefined {
  return RESOURCES.find((r) => r.group === group && r.resource === resource);
}

/** The row for an apiVersion + kind (apply bodies, bootstrap objects). */
export function findKind(apiVersion: string, kind: string): ResourceInfo | undefined {
  return RESOURCES.find((r) => (r.group === "" ? r.version : `${r.group}/${r.version}`) === apiVersion && r.kind === kind);
}
