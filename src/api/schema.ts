// A compact known-fields table for fieldValidation=Strict/Warn (kube decodes strictly against the Go
// types and reports `strict decoding error: unknown field "spec.foo"`). Checked: top-level fields,
// metadata, spec (one level), status (top level) and the RBAC rule/subject/roleRef shapes. Deeper
// structures (containers, templates) are not checked — a documented simplification.
import { isObject } from "./patch.ts";

const WORKLOAD_STATUS = ["observedGeneration", "replicas", "updatedReplicas", "readyReplicas", "availableReplicas", "unavailableReplicas", "conditions", "collisionCount", "terminatingReplicas", "currentReplicas", "currentRevision", "updateRevision", "fullyLabeledReplicas", "currentNumberScheduled", "numberMisscheduled", "desiredNumberScheduled", "numberReady", "updatedNumberScheduled", "numberAvailable", "numberUnavailable"];

interface KindSchema {
  readonly top: readonly string[];
  readonly spec?: readonly string[];
  readonly status?: readonly string[];
}

const POD_SPEC = ["volumes", "initContainers", "containers", "ephemeralContainers", "restartPolicy", "terminationGracePeriodSeconds", "activeDeadlineSeconds", "dnsPolicy", "nodeSelector", "serviceAccountName", "serviceAccount", "automountServiceAccountToken", "nodeName", "hostNetwork", "hostPID", "hostIPC", "shareProcessNamespace", "securityContext", "imagePullSecrets", "hostname", "subdomain", "affinity", "schedulerName", "tolerations", "hostAliases", "priorityClassName", "priority", "dnsConfig", "readinessGates", "runtimeClassName", "enableServiceLinks", "preemptionPolicy", "overhead", "topologySpreadConstraints", "setHostnameAsFQDN", "os", "hostUsers", "schedulingGates", "resourceClaims", "resources"];
const POD_STATUS = ["observedGeneration", "phase", "conditions", "message", "reason", "nominatedNodeName", "hostIP", "hostIPs", "podIP", "podIPs", "startTime", "initContainerStatuses", "containerStatuses", "qosClass", "ephemeralContainerStatuses", "resize", "resourceClaimStatuses"];

const SCHEMAS: Readonly<Record<string, KindSchema>> = {
  Namespace: { top: ["spec", "status"], spec: ["finalizers"], status: ["phase", "conditions"] },
  ConfigMap: { top: ["data", "binaryData", "immutable"] },
  Secret: { top: ["data", "stringData", "type", "immutable"] },
  ServiceAccount: { top: ["secrets", "imagePullSecrets", "automountServiceAccountToken"] },
  Service: {
    top: ["spec", "status"],
    spec: ["ports", "selector", "clusterIP", "clusterIPs", "type", "externalIPs", "sessionAffinity", "loadBalancerIP", "loadBalancerSourceRanges", "externalName", "externalTrafficPolicy", "healthCheckNodePort", "publishNotReadyAddresses", "sessionAffinityConfig", "ipFamilies", "ipFamilyPolicy", "allocateLoadBalancerNodePorts", "loadBalancerClass", "internalTrafficPolicy", "trafficDistribution"],
    status: ["loadBalancer", "conditions"],
  },
  Pod: { top: ["spec", "status"], spec: POD_SPEC, status: POD_STATUS },
  Node: {
    top: ["spec", "status"],
    spec: ["podCIDR", "podCIDRs", "providerID", "unschedulable", "taints", "configSource", "externalID"],
    status: ["capacity", "allocatable", "phase", "conditions", "addresses", "daemonEndpoints", "nodeInfo", "images", "volumesInUse", "volumesAttached", "config", "runtimeHandlers", "features"],
  },
  Event: { top: ["involvedObject", "reason", "message", "source", "firstTimestamp", "lastTimestamp", "count", "type", "eventTime", "series", "action", "related", "reportingComponent", "reportingInstance"] },
  Deployment: { top: ["spec", "status"], spec: ["replicas", "selector", "template", "strategy", "minReadySeconds", "revisionHistoryLimit", "paused", "progressDeadlineSeconds"], status: WORKLOAD_STATUS },
  ReplicaSet: { top: ["spec", "status"], spec: ["replicas", "minReadySeconds", "selector", "template"], status: WORKLOAD_STATUS },
  StatefulSet: {
    top: ["spec", "status"],
    spec: ["replicas", "selector", "template", "volumeClaimTemplates", "serviceName", "podManagementPolicy", "updateStrategy", "revisionHistoryLimit", "minReadySeconds", "persistentVolumeClaimRetentionPolicy", "ordinals"],
    status: WORKLOAD_STATUS,
  },
  DaemonSet: { top: ["spec", "status"], spec: ["selector", "template", "updateStrategy", "minReadySeconds", "revisionHistoryLimit"], status: WORKLOAD_STATUS },
  Role: { top: ["rules"] },
  ClusterRole: { top: ["rules", "aggregationRule"] },
  RoleBinding: { top: ["subjects", "roleRef"] },
  ClusterRoleBinding: { top: ["subjects", "roleRef"] },
  CertificateSigningRequest: {
    top: ["spec", "status"],
    spec: ["request", "signerName", "expirationSeconds", "usages", "username", "uid", "groups", "extra"],
    status: ["conditions", "certificate"],
  },
  Lease: { top: ["spec"], spec: ["holderIdentity", "leaseDurationSeconds", "acquireTime", "renewTime", "leaseTransitions", "strategy", "preferredHolder"] },
};

const META_FIELDS = ["name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences", "finalizers", "managedFields"];
const RULE_FIELDS = ["verbs", "apiGroups", "resources", "resourceNames", "nonResourceURLs"];
const SUBJECT_FIELDS = ["kind", "apiGroup", "name", "namespace"];
const ROLE_REF_FIELDS = ["apiGroup", "kind", "name"];

function unknownKeys(v: unknown, known: readonly string[], path: string, out: string[]): void {
  if (!isObject(v)) return;
  for (const k of Object.keys(v)) if (!known.includes(k)) out.push(path === "" ? k : `${path}.${k}`);
}

function unknownInList(v: unknown, known: readonly string[], path: string, out: string[]): void {
  if (!Array.isArray(v)) return;
  v.forEach((item, i) => unknownKeys(item, known, `${path}[${i}]`, out));
}

/** Field paths of `obj` that the kind does not have (empty for kinds without a schema entry). */
export function unknownFields(kind: string, obj: Record<string, unknown>): string[] {
  const schema = SCHEMAS[kind];
  if (schema === undefined) return [];
  const out: string[] = [];
  unknownKeys(obj, ["apiVersion", "kind", "metadata", ...schema.top], "", out);
  unknownKeys(obj.metadata, META_FIELDS, "metadata", out);
  if (schema.spec) unknownKeys(obj.spec, schema.spec, "spec", out);
  if (schema.status) unknownKeys(obj.status, schema.status, "status", out);
  if (schema.top.includes("rules")) unknownInList(obj.rules, RULE_FIELDS, "rules", out);
  if (schema.top.includes("subjects")) {
    unknownInList(obj.subjects, SUBJECT_FIELDS, "subjects", out);
    unknownKeys(obj.roleRef, ROLE_REF_FIELDS, "roleRef", out);
  }
  return out;
}

/** kube's strict decoding message: `strict decoding error: unknown field "a", unknown field "b"`. */
export function strictDecodingMessage(fields: readonly string[]): string {
  return `strict decoding error: ${fields.map((f) => `unknown field "${f}"`).join(", ")}`;
}
