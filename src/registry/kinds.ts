// Small per-kind strategies (pkg/registry/core/namespace/strategy.go, event/lease AllowCreateOnUpdate).
import type { ApiObject } from "../api/index.ts";
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
