// Small per-kind strategies (pkg/registry/core/namespace/strategy.go, event/lease AllowCreateOnUpdate).
import { validatePodSpec, validateWorkload, type ApiObject } from "../api/index.ts";
import type { ResourceStrategy } from "./types.ts";

/** kube's NamespaceLifecycle admission: these may never be deleted. */
export const IMMORTAL_NAMESPACES: readonly string[] = ["default", "kube-system", "kube-public"];

export const namespaceStrategy: ResourceStrategy = {
  // namespace strategy PrepareForCreate: phase Active, the "kubernetes" finalizer.
  prepareForCreate(obj: ApiObject): ApiObject {
    const spec = (obj.spec ?? {}) as Record<string, unknown>;
    const finalizers = Array.isArray(spec.finalizers) ? (spec.finalizers as string[]) : [];
    return {
      ...obj,
      spec: { ...spec, finalizers: finalizers.includes("kubernetes") ? finalizers : [...finalizers, "kubernetes"] },
      status: { phase: "Active" },
    };
  },
  prepareForUpdate(next: ApiObject, current: ApiObject, _ctx, subresource: string): ApiObject {
    // Main resource: spec.finalizers only change through /finalize; status only through /status.
    if (subresource === "finalize") return { ...current, spec: next.spec };
    if (subresource === "") return { ...next, spec: current.spec, status: current.status };
    return next;
  },
  subresources: ["finalize"],
};

export const createOnUpdate: ResourceStrategy = { allowCreateOnUpdate: true };

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Json) : {});

/** Defaulting of the few fields kubectl's tables and describe read (pkg/apis/core/v1/defaults.go). */
function defaultPodSpec(spec: Json): Json {
  const containers = Array.isArray(spec.containers)
    ? spec.containers.map((c: unknown) => {
        const co = obj(c);
        const image = typeof co.image === "string" ? co.image : "";
        const latest = !/:[^/]+$/.test(image) || image.endsWith(":latest");
        const ports = Array.isArray(co.ports) ? { ports: co.ports.map((p: unknown) => ({ protocol: "TCP", ...obj(p) })) } : {};
        return { terminationMessagePath: "/dev/termination-log", terminationMessagePolicy: "File", imagePullPolicy: latest ? "Always" : "IfNotPresent", ...co, ...ports };
      })
    : spec.containers;
  return { restartPolicy: "Always", terminationGracePeriodSeconds: 30, dnsPolicy: "ClusterFirst", schedulerName: "default-scheduler", ...spec, ...(containers ? { containers } : {}) };
}

/** Pods: defaults, and a new pod is Pending (nothing schedules it in kpki). */
export const podStrategy: ResourceStrategy = {
  prepareForCreate: (o) => ({ ...o, spec: defaultPodSpec(obj(o.spec)), status: { phase: "Pending", qosClass: "BestEffort" } }),
  prepareForUpdate: (next, _cur, _ctx, sub) => (sub === "" ? { ...next, spec: defaultPodSpec(obj(next.spec)) } : next),
  validate: (o) => validatePodSpec(o.spec, "spec"),
  validateUpdate: (next, _cur, sub) => (sub === "" ? validatePodSpec(next.spec, "spec") : []),
};

/** apps/v1 SetDefaults_Deployment: an empty strategy (kubectl create deployment sends `strategy: {}`)
 *  becomes RollingUpdate, whose missing maxUnavailable/maxSurge become 25%. */
function defaultStrategy(strategy: unknown): Json {
  const s = obj(strategy);
  const type = typeof s.type === "string" && s.type !== "" ? s.type : "RollingUpdate";
  if (type !== "RollingUpdate") return { ...s, type };
  return { ...s, type, rollingUpdate: { maxUnavailable: "25%", maxSurge: "25%", ...obj(s.rollingUpdate) } };
}

function defaultWorkload(o: ApiObject): ApiObject {
  const spec = obj(o.spec);
  const extra: Json = o.kind === "Deployment" ? { progressDeadlineSeconds: 600 } : {};
  const strategy = o.kind === "Deployment" ? { strategy: defaultStrategy(spec.strategy) } : {};
  const template = obj(spec.template);
  const withTemplate = spec.template === undefined ? {} : { template: { ...template, spec: defaultPodSpec(obj(template.spec)) } };
  return { ...o, spec: { replicas: 1, revisionHistoryLimit: 10, ...extra, ...spec, ...strategy, ...withTemplate } };
}

/** Deployments, ReplicaSets, StatefulSets: replicas defaults to 1 (apps/v1 defaults.go). */
export const workloadStrategy: ResourceStrategy = {
  prepareForCreate: (o) => defaultWorkload(o),
  prepareForUpdate: (next, _cur, _ctx, sub) => (sub === "" ? defaultWorkload(next) : next),
  validate: validateWorkload,
  validateUpdate: (next, _cur, sub) => (sub === "" ? validateWorkload(next) : []),
};

/** Secrets: stringData is write-only, merged into data as base64 (core/v1 conversion); type defaults to Opaque. */
function normalizeSecret(o: ApiObject): ApiObject {
  const { stringData, ...rest } = o;
  const data: Json = { ...obj(o.data) };
  for (const [k, v] of Object.entries(obj(stringData))) data[k] = Buffer.from(String(v), "utf8").toString("base64");
  return { ...rest, type: typeof o.type === "string" && o.type !== "" ? o.type : "Opaque", ...(Object.keys(data).length > 0 ? { data } : {}) };
}

export const secretStrategy: ResourceStrategy = {
  prepareForCreate: (o) => normalizeSecret(o),
  prepareForUpdate: (next) => normalizeSecret(next),
};

/** DaemonSets have no replicas; they share the selector/template validation. */
export const daemonSetStrategy: ResourceStrategy = {
  prepareForCreate: (o) => ({ ...o, spec: { revisionHistoryLimit: 10, ...obj(o.spec), template: { ...obj(obj(o.spec).template), spec: defaultPodSpec(obj(obj(obj(o.spec).template).spec)) } } }),
  validate: validateWorkload,
  validateUpdate: (next, _cur, sub) => (sub === "" ? validateWorkload(next) : []),
};
