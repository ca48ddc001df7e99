// Columns and cells per kind, as kube-apiserver's printers print them
// (pkg/printers/internalversion/printers.go), column types included (kube declares some count columns
// "string" while their cells are numbers). Cells are strings/numbers kubectl prints verbatim.
import { humanDuration } from "../base/index.ts";
import type { ApiObject } from "./meta.ts";
import {
  AGE_COLUMN,
  CREATED_AT_COLUMN,
  NAME_COLUMN,
  age,
  ageOf,
  arr,
  col,
  containersAndImages,
  createdAt,
  formatLabelSelector,
  formatLabels,
  num,
  orNone,
  pathValue,
  rec,
  str,
  type TableColumn,
} from "./table.ts";

export interface Printer {
  readonly columns: readonly TableColumn[];
  cells(obj: ApiObject, now: Date): unknown[];
}

const name = (o: ApiObject): string => o.metadata.name ?? "";

export const defaultPrinter: Printer = {
  columns: [NAME_COLUMN, CREATED_AT_COLUMN],
  cells: (o) => [name(o), createdAt(o)],
};

export const namespacePrinter: Printer = {
  columns: [NAME_COLUMN, col("Status"), AGE_COLUMN],
  cells: (o, now) => [name(o), str(o, "status.phase"), age(o, now)],
};

export const configMapPrinter: Printer = {
  columns: [NAME_COLUMN, col("Data"), AGE_COLUMN],
  cells: (o, now) => [name(o), Object.keys(rec(o, "data")).length + Object.keys(rec(o, "binaryData")).length, age(o, now)],
};

export const secretPrinter: Printer = {
  columns: [NAME_COLUMN, col("Type"), col("Data"), AGE_COLUMN],
  cells: (o, now) => [
    name(o),
    str(o, "type") || "Opaque",
    Object.keys(rec(o, "data")).length + Object.keys(rec(o, "stringData")).length,
    age(o, now),
  ],
};

export const serviceAccountPrinter: Printer = {
  columns: [NAME_COLUMN, col("Secrets"), AGE_COLUMN],
  cells: (o, now) => [name(o), arr(o, "secrets").length, age(o, now)],
};

function servicePorts(o: ApiObject): string {
  const ports = arr(o, "spec.ports").map((p) => {
    const proto = str(p, "protocol") || "TCP";
    const node = num(p, "nodePort");
    return node > 0 ? `${num(p, "port")}:${node}/${proto}` : `${num(p, "port")}/${proto}`;
  });
  return ports.length === 0 ? "<none>" : ports.join(",");
}

function serviceExternalIp(o: ApiObject): string {
  const type = str(o, "spec.type") || "ClusterIP";
  const external = arr(o, "spec.externalIPs").map(String);
  if (type === "ExternalName") return str(o, "spec.externalName");
  if (type === "LoadBalancer") {
    const ingress = arr(o, "status.loadBalancer.ingress").map((i) => str(i, "ip") || str(i, "hostname"));
    const all = [...ingress, ...external];
    return all.length === 0 ? "<pending>" : all.join(",");
  }
  return external.length === 0 ? "<none>" : external.join(",");
}

export const servicePrinter: Printer = {
  columns: [NAME_COLUMN, col("Type"), col("Cluster-IP"), col("External-IP"), col("Port(s)"), AGE_COLUMN, col("Selector", { wide: true })],
  cells: (o, now) => [
    name(o),
    str(o, "spec.type") || "ClusterIP",
    orNone(str(o, "spec.clusterIP")),
    serviceExternalIp(o),
    servicePorts(o),
    age(o, now),
    formatLabels(rec(o, "spec.selector")),
  ],
};

/** printPod, simplified: reason/phase, then a waiting/terminated container reason overrides. */
function podStatus(o: ApiObject): string {
  let reason = str(o, "status.reason") || str(o, "status.phase") || "Pending";
  for (const cs of arr(o, "status.containerStatuses")) {
    const waiting = str(cs, "state.waiting.reason");
    const terminated = str(cs, "state.terminated.reason");
    if (waiting) reason = waiting;
    else if (terminated) reason = terminated;
  }
  if (o.metadata.deletionTimestamp) reason = "Terminating";
  return reason;
}

export const podPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col("Ready"),
    col("Status"),
    col("Restarts"),
    AGE_COLUMN,
    col("IP", { wide: true }),
    col("Node", { wide: true }),
    col("Nominated Node", { wide: true }),
    col("Readiness Gates", { wide: true }),
  ],
  cells(o, now) {
    const statuses = arr(o, "status.containerStatuses");
    const total = arr(o, "spec.containers").length;
    const ready = statuses.filter((s) => pathValue(s, "ready") === true).length;
    const restarts = statuses.reduce<number>((n, s) => n + num(s, "restartCount"), 0);
    const gates = arr(o, "spec.readinessGates").length;
    return [
      name(o),
      `${ready}/${total}`,
      podStatus(o),
      String(restarts),
      age(o, now),
      orNone(str(o, "status.podIP")),
      orNone(str(o, "spec.nodeName")),
      orNone(str(o, "status.nominatedNodeName")),
      gates === 0 ? "<none>" : `0/${gates}`,
    ];
  },
};

function nodeStatus(o: ApiObject): string {
  const ready = arr(o, "status.conditions").find((c) => str(c, "type") === "Ready");
  const base = ready === undefined ? "Unknown" : str(ready, "status") === "True" ? "Ready" : "NotReady";
  return rec(o, "spec").unschedulable === true ? `${base},SchedulingDisabled` : base;
}

function nodeRoles(o: ApiObject): string {
  const roles: string[] = [];
  for (const [k, v] of Object.entries(o.metadata.labels ?? {})) {
    if (k.startsWith("node-role.kubernetes.io/")) roles.push(k.slice("node-role.kubernetes.io/".length));
    else if (k === "kubernetes.io/role" && v) roles.push(v);
  }
  return roles.length === 0 ? "<none>" : roles.sort().join(",");
}

function nodeAddress(o: ApiObject, type: string): string {
  const a = arr(o, "status.addresses").find((x) => str(x, "type") === type);
  return a === undefined ? "<none>" : str(a, "address");
}

export const nodePrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col("Status"),
    col("Roles"),
    AGE_COLUMN,
    col("Version"),
    col("Internal-IP", { wide: true }),
    col("External-IP", { wide: true }),
    col("OS-Image", { wide: true }),
    col("Kernel-Version", { wide: true }),
    col("Container-Runtime", { wide: true }),
  ],
  cells: (o, now) => [
    name(o),
    nodeStatus(o),
    nodeRoles(o),
    age(o, now),
    str(o, "status.nodeInfo.kubeletVersion"),
    nodeAddress(o, "InternalIP"),
    nodeAddress(o, "ExternalIP"),
    orNone(str(o, "status.nodeInfo.osImage")),
    orNone(str(o, "status.nodeInfo.kernelVersion")),
    orNone(str(o, "status.nodeInfo.containerRuntimeVersion")),
  ],
};

export const eventPrinter: Printer = {
  columns: [
    col("Last Seen"),
    col("Type"),
    col("Reason"),
    col("Object"),
    col("Subobject", { wide: true }),
    col("Source", { wide: true }),
    col("Message"),
    col("First Seen", { wide: true }),
    col("Count", { wide: true }),
    col("Name", { format: "name", wide: true }),
  ],
  cells(o, now) {
    const first = str(o, "firstTimestamp") || str(o, "eventTime") || o.metadata.creationTimestamp || "";
    const last = str(o, "lastTimestamp") || first;
    const kind = str(o, "involvedObject.kind").toLowerCase();
    const source = [str(o, "source.component") || str(o, "reportingComponent"), str(o, "source.host")].filter(Boolean).join(", ");
    return [
      ageOf(last, now),
      str(o, "type"),
      str(o, "reason"),
      `${kind}/${str(o, "involvedObject.name")}`,
      str(o, "involvedObject.fieldPath"),
      source,
      str(o, "message").trim(),
      ageOf(first, now),
      num(o, "count") || 1,
      name(o),
    ];
  },
};

const wideContainers = [col("Containers", { wide: true }), col("Images", { wide: true })];

export const deploymentPrinter: Printer = {
  columns: [NAME_COLUMN, col("Ready"), col("Up-to-date"), col("Available"), AGE_COLUMN, ...wideContainers, col("Selector", { wide: true })],
  cells(o, now) {
    const [c, i] = containersAndImages(o, "spec.template.spec");
    return [
      name(o),
      `${num(o, "status.readyReplicas")}/${num(o, "spec.replicas")}`,
      num(o, "status.updatedReplicas"),
      num(o, "status.availableReplicas"),
      age(o, now),
      c,
      i,
      formatLabelSelector(rec(o, "spec.selector")),
    ];
  },
};

export const replicaSetPrinter: Printer = {
  columns: [NAME_COLUMN, col("Desired", { type: "integer" }), col("Current", { type: "integer" }), col("Ready", { type: "integer" }), AGE_COLUMN, ...wideContainers, col("Selector", { wide: true })],
  cells(o, now) {
    const [c, i] = containersAndImages(o, "spec.template.spec");
    return [name(o), num(o, "spec.replicas"), num(o, "status.replicas"), num(o, "status.readyReplicas"), age(o, now), c, i, formatLabelSelector(rec(o, "spec.selector"))];
  },
};

export const statefulSetPrinter: Printer = {
  columns: [NAME_COLUMN, col("Ready"), AGE_COLUMN, ...wideContainers],
  cells(o, now) {
    const [c, i] = containersAndImages(o, "spec.template.spec");
    return [name(o), `${num(o, "status.readyReplicas")}/${num(o, "spec.replicas")}`, age(o, now), c, i];
  },
};

export const daemonSetPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col("Desired", { type: "integer" }),
    col("Current", { type: "integer" }),
    col("Ready", { type: "integer" }),
    col("Up-to-date", { type: "integer" }),
    col("Available", { type: "integer" }),
    col("Node Selector"),
    AGE_COLUMN,
    ...wideContainers,
    col("Selector", { wide: true }),
  ],
  cells(o, now) {
    const [c, i] = containersAndImages(o, "spec.template.spec");
    return [
      name(o),
      num(o, "status.desiredNumberScheduled"),
      num(o, "status.currentNumberScheduled"),
      num(o, "status.numberReady"),
      num(o, "status.updatedNumberScheduled"),
      num(o, "status.numberAvailable"),
      formatLabels(rec(o, "spec.template.spec.nodeSelector")),
      age(o, now),
      c,
      i,
      formatLabelSelector(rec(o, "spec.selector")),
    ];
  },
};

function subjectsOf(o: ApiObject, kind: string): string {
  return arr(o, "subjects")
    .filter((s) => str(s, "kind") === kind)
    .map((s) => (kind === "ServiceAccount" ? `${str(s, "namespace")}/${str(s, "name")}` : str(s, "name")))
    .join(", ");
}

/** printRoleBinding / printClusterRoleBinding: ROLE is "<Kind>/<name>". */
export const bindingPrinter: Printer = {
  columns: [NAME_COLUMN, col("Role"), AGE_COLUMN, col("Users", { wide: true }), col("Groups", { wide: true }), col("ServiceAccounts", { wide: true })],
  cells: (o, now) => [
    name(o),
    `${str(o, "roleRef.kind")}/${str(o, "roleRef.name")}`,
    age(o, now),
    subjectsOf(o, "User"),
    subjectsOf(o, "Group"),
    subjectsOf(o, "ServiceAccount"),
  ],
};

export const leasePrinter: Printer = {
  columns: [NAME_COLUMN, col("Holder"), AGE_COLUMN],
  cells: (o, now) => [name(o), str(o, "spec.holderIdentity"), age(o, now)],
};

/** extractCSRStatus (reference k8s-csr-api-and-signers.md §11): by condition type only. */
function csrCondition(o: ApiObject): string {
  const types = new Set(arr(o, "status.conditions").map((c) => str(c, "type")));
  let s = types.has("Denied") ? "Denied" : types.has("Approved") ? "Approved" : "Pending";
  if (types.has("Failed")) s += ",Failed";
  if (str(o, "status.certificate") !== "") s += ",Issued";
  return s;
}

export const csrPrinter: Printer = {
  columns: [NAME_COLUMN, AGE_COLUMN, col("SignerName"), col("Requestor"), col("RequestedDuration"), col("Condition")],
  cells(o, now) {
    const seconds = num(o, "spec.expirationSeconds");
    return [
      name(o),
      age(o, now),
      orNone(str(o, "spec.signerName")),
      str(o, "spec.username"),
      seconds > 0 ? humanDuration(seconds * 1000) : "<none>",
      csrCondition(o),
    ];
  },
};
