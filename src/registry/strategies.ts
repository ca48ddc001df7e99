// The per-kind strategy table, keyed "group/resource" (core group: "/pods"). Each entry is a factory
// so a strategy can read other objects (RBAC escalation resolves the bound role) without importing
// storage wiring. Kinds without an entry get only the generic REST rules of handler.ts.
import type { AdmissionDeps, ResourceStrategy } from "./types.ts";
import { bindingStrategy, roleStrategy } from "./escalation.ts";
import { createOnUpdate, namespaceStrategy, daemonSetStrategy, podStrategy, secretStrategy, workloadStrategy } from "./kinds.ts";
import { serviceStrategy } from "./service.ts";
import { csrStrategy } from "./csr/index.ts";

export type StrategyFactory = (deps: AdmissionDeps) => ResourceStrategy;

export const STRATEGIES: Readonly<Record<string, StrategyFactory>> = {
  "/namespaces": () => namespaceStrategy,
  "/events": () => createOnUpdate,
  "/pods": () => podStrategy,
  "/services": (deps) => serviceStrategy(deps.serviceIpRange),
  "/secrets": () => secretStrategy,
  "apps/deployments": () => workloadStrategy,
  "apps/replicasets": () => workloadStrategy,
  "apps/statefulsets": () => workloadStrategy,
  "apps/daemonsets": () => daemonSetStrategy,
  // H8 (CSR): certificatesigningrequests + /status + /approval rules and admission (registry/csr/).
  "certificates.k8s.io/certificatesigningrequests": () => csrStrategy as ResourceStrategy,
  "coordination.k8s.io/leases": () => createOnUpdate,
  "rbac.authorization.k8s.io/roles": (deps) => roleStrategy(deps, "roles"),
  "rbac.authorization.k8s.io/clusterroles": (deps) => roleStrategy(deps, "clusterroles"),
  "rbac.authorization.k8s.io/rolebindings": (deps) => bindingStrategy(deps, "rolebindings"),
  "rbac.authorization.k8s.io/clusterrolebindings": (deps) => bindingStrategy(deps, "clusterrolebindings"),
};

export function strategyKey(group: string, resource: string): string {
  return `${group}/${resource}`;
}
