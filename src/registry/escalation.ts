// RBAC write admission (pkg/registry/rbac/*/policybased/storage.go, reference §3.4): validation of the
// four kinds plus auth/'s escalation gate. The gate needs a binding's role rules synchronously, so the
// referenced role is read from storage first.
import {
  validateBinding,
  validateBindingUpdate,
  validateRoleRules,
  findGroupResource,
  type ApiObject,
  type ClusterRole,
  type ClusterRoleBinding,
  type Role,
  type RoleBinding,
  type RoleRef,
} from "../api/index.ts";
import { checkBindingWrite, checkRoleWrite, type RoleRefRules } from "../auth/index.ts";
import type { AdmissionDeps, RequestContext, ResourceStrategy } from "./types.ts";

function writeContext(deps: AdmissionDeps, ctx: RequestContext, resolved: RoleRefRules) {
  return { user: ctx.user, authorizer: ctx.authorizer, resolver: deps.rules, roleRefRules: () => resolved };
}

async function resolveRoleRef(deps: AdmissionDeps, ref: RoleRef | undefined, namespace: string): Promise<RoleRefRules> {
  if (ref === undefined) return { error: "no roleRef" };
  const resource = ref.kind === "Role" ? "roles" : ref.kind === "ClusterRole" ? "clusterroles" : undefined;
  const info = resource === undefined ? undefined : findGroupResource("rbac.authorization.k8s.io", resource);
  if (info === undefined) return { error: `unsupported role reference kind: "${ref.kind}"` };
  if (ref.kind === "Role" && namespace === "") return { error: `role.rbac.authorization.k8s.io "${ref.name}" not found` };
  const role = (await deps.stores(info).get(ref.kind === "Role" ? namespace : "", ref.name)) as Role | ClusterRole | undefined;
  if (role === undefined) return { error: `${ref.kind.toLowerCase()}.rbac.authorization.k8s.io "${ref.name}" not found` };
  return { rules: role.rules ?? [] };
}

export function roleStrategy(deps: AdmissionDeps, resource: "roles" | "clusterroles"): ResourceStrategy {
  const namespaced = resource === "roles";
  return {
    allowCreateOnUpdate: true,
    validate: (obj) => validateRoleRules(obj, namespaced),
    validateUpdate: (next) => validateRoleRules(next, namespaced),
    async admit(obj, current, ctx, op) {
      if (op === "delete") return;
      const err = await checkRoleWrite(writeContext(deps, ctx, { rules: [] }), obj as Role | ClusterRole, current as Role | ClusterRole | undefined);
      if (err !== undefined) throw err;
    },
  };
}

export function bindingStrategy(deps: AdmissionDeps, resource: "rolebindings" | "clusterrolebindings"): ResourceStrategy {
  const cluster = resource === "clusterrolebindings";
  return {
    allowCreateOnUpdate: true,
    validate: (obj) => validateBinding(obj, cluster),
    validateUpdate: (next, current) => [...validateBinding(next, cluster), ...validateBindingUpdate(next, current)],
    async admit(obj: ApiObject, current, ctx, op) {
      if (op === "delete") return;
      const binding = obj as RoleBinding | ClusterRoleBinding;
      const resolved = await resolveRoleRef(deps, binding.roleRef, cluster ? "" : (obj.metadata.namespace ?? ""));
      const err = await checkBindingWrite(writeContext(deps, ctx, resolved), binding, current as RoleBinding | ClusterRoleBinding | undefined);
      if (err !== undefined) throw err;
    },
  };
}
