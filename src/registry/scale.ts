// The /scale subresource of deployments, replicasets and statefulsets (autoscaling/v1 Scale), enough
// for `kubectl scale`: GET renders the Scale; PUT/PATCH of a Scale sets spec.replicas of the parent.
import { formatLabelSelector, isObject, type ApiObject } from "../api/index.ts";

export function toScale(obj: ApiObject): ApiObject {
  const spec = isObject(obj.spec) ? obj.spec : {};
  const status = isObject(obj.status) ? obj.status : {};
  const { name, namespace, uid, resourceVersion, creationTimestamp } = obj.metadata;
  const selector = isObject(spec.selector) ? formatLabelSelector(spec.selector) : "";
  return {
    apiVersion: "autoscaling/v1",
    kind: "Scale",
    metadata: { name, namespace, uid, resourceVersion, creationTimestamp },
    spec: { replicas: typeof spec.replicas === "number" ? spec.replicas : 0 },
    status: { replicas: typeof status.replicas === "number" ? status.replicas : 0, ...(selector && selector !== "<none>" ? { selector } : {}) },
  };
}

/** The parent with the Scale's spec.replicas applied (a negative or non-integer count is left to validation). */
export function fromScale(parent: ApiObject, scale: unknown): ApiObject {
  const s = isObject(scale) && isObject(scale.spec) ? scale.spec : {};
  const replicas = typeof s.replicas === "number" ? s.replicas : 0;
  return { ...parent, spec: { ...(isObject(parent.spec) ? parent.spec : {}), replicas } };
}
