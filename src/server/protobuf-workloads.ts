// Protobuf field tables of the workload and Service kinds kubectl's typed clients POST:
// `kubectl create deployment` (apps/v1 Deployment) and `kubectl create service …` (core/v1 Service).
// Numbers from k8s.io/api core/v1 and apps/v1 generated.proto, confirmed against captured bodies
// (kubectl 1.32.4 and 1.33.1). Fields kubectl never sends and that are awkward to map (volumes, probes,
// affinity, security contexts) are left out: the decoder skips unknown field numbers.
import { f, LABEL_SELECTOR, OBJECT_META, ptr, strings, type Message } from "./protobuf-schema.ts";

const CONTAINER_PORT: Message = {
  1: f("name", "string"),
  2: f("hostPort", "int"),
  3: f("containerPort", "int"),
  4: f("protocol", "string"),
  5: f("hostIP", "string"),
};
const ENV_VAR: Message = { 1: f("name", "string"), 2: f("value", "string") };
const RESOURCES: Message = { 1: f("limits", { map: "quantity" }), 2: f("requests", { map: "quantity" }) };

const CONTAINER: Message = {
  1: f("name", "string"),
  2: f("image", "string"),
  3: f("command", "string", true),
  4: f("args", "string", true),
  5: f("workingDir", "string"),
  6: f("ports", CONTAINER_PORT, true),
  7: f("env", ENV_VAR, true),
  8: f("resources", RESOURCES),
  13: f("terminationMessagePath", "string"),
  14: f("imagePullPolicy", "string"),
  16: f("stdin", "bool"),
  17: f("stdinOnce", "bool"),
  18: f("tty", "bool"),
  20: f("terminationMessagePolicy", "string"),
  24: f("restartPolicy", "string"),
};

const POD_SPEC: Message = {
  2: f("containers", CONTAINER, true),
  3: f("restartPolicy", "string"),
  4: ptr("terminationGracePeriodSeconds", "int"),
  5: ptr("activeDeadlineSeconds", "int"),
  6: f("dnsPolicy", "string"),
  7: f("nodeSelector", { map: "string" }),
  8: f("serviceAccountName", "string"),
  10: f("nodeName", "string"),
  11: f("hostNetwork", "bool"),
  12: f("hostPID", "bool"),
  13: f("hostIPC", "bool"),
  15: f("imagePullSecrets", { 1: f("name", "string") }, true),
  16: f("hostname", "string"),
  17: f("subdomain", "string"),
  19: f("schedulerName", "string"),
  20: f("initContainers", CONTAINER, true),
  21: ptr("automountServiceAccountToken", "bool"),
  24: f("priorityClassName", "string"),
  25: ptr("priority", "int"),
  30: ptr("enableServiceLinks", "bool"),
};

const POD_TEMPLATE_SPEC: Message = { 1: f("metadata", OBJECT_META), 2: f("spec", POD_SPEC) };

export const POD: Message = { 1: f("metadata", OBJECT_META), 2: f("spec", POD_SPEC) };

export const DEPLOYMENT: Message = {
  1: f("metadata", OBJECT_META),
  2: f("spec", {
    1: ptr("replicas", "int"),
    2: f("selector", LABEL_SELECTOR),
    3: f("template", POD_TEMPLATE_SPEC),
    4: f("strategy", { 1: f("type", "string"), 2: f("rollingUpdate", { 1: f("maxUnavailable", "intOrString"), 2: f("maxSurge", "intOrString") }) }),
    5: f("minReadySeconds", "int"),
    6: ptr("revisionHistoryLimit", "int"),
    7: f("paused", "bool"),
    9: ptr("progressDeadlineSeconds", "int"),
  }),
  // 3 status: written by controllers only; a client's status is dropped on create (kube does too).
};

export const REPLICA_SET: Message = {
  1: f("metadata", OBJECT_META),
  2: f("spec", { 1: ptr("replicas", "int"), 2: f("selector", LABEL_SELECTOR), 3: f("template", POD_TEMPLATE_SPEC), 4: f("minReadySeconds", "int") }),
};

const SERVICE_PORT: Message = {
  1: f("name", "string"),
  2: f("protocol", "string"),
  3: f("port", "int"),
  4: f("targetPort", "intOrString"),
  5: f("nodePort", "int"),
  6: f("appProtocol", "string"),
};

export const SERVICE: Message = {
  1: f("metadata", OBJECT_META),
  2: f("spec", {
    1: f("ports", SERVICE_PORT, true),
    2: f("selector", { map: "string" }),
    3: f("clusterIP", "string"),
    4: f("type", "string"),
    5: strings("externalIPs"),
    7: f("sessionAffinity", "string"),
    8: f("loadBalancerIP", "string"),
    9: strings("loadBalancerSourceRanges"),
    10: f("externalName", "string"),
    11: f("externalTrafficPolicy", "string"),
    12: f("healthCheckNodePort", "int"),
    13: f("publishNotReadyAddresses", "bool"),
    17: f("ipFamilyPolicy", "string"),
    18: strings("clusterIPs"),
    19: strings("ipFamilies"),
    20: ptr("allocateLoadBalancerNodePorts", "bool"),
    21: f("loadBalancerClass", "string"),
    22: f("internalTrafficPolicy", "string"),
  }),
};
