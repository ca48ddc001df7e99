// The whole escalation gate of pkg/registry/rbac/*/policybased/storage.go in the order Kubernetes runs it,
// for the registry to call on create/update of the four RBAC kinds (after the normal authorization passed).
// Returns the ApiError to throw, or undefined when the write may proceed.
import { ApiError, RBAC_GROUP, groupResourceString } from "../../api/index.ts";
import type { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from "../../api/index.ts";
import type { Authorizer, RuleResolver, UserInfo } from "../types.ts";
import type { RoleRefRules } from "./rbac-index.ts";
import { goQuote } from "../format.ts";
import { canBind, canEscalate, confirmAggregationRuleAllowed, confirmNoEscalation, isEscalationAllowed } from "./escalation.ts";

export interface RbacWriteContext {
  readonly user: UserInfo;
  readonly authorizer: Authorizer;
  readonly resolver: RuleResolver;
  /** Rules of a roleRef (RbacIndex.roleRefRules does it). */
  readonly roleRefRules: (ref: RoleBinding["roleRef"], bindingNamespace: string) => RoleRefRules;
}

function forbidden(resource: string, name: string, message: string): ApiError {
  const gr = groupResourceString(RBAC_GROUP, resource);
  return new ApiError("Forbidden", `${gr} ${goQuote(name)} is forbidden: ${message}`, { name, group: RBAC_GROUP, kind: resource });
}

/** Role / ClusterRole create or update. */
export async function checkRoleWrite(ctx: RbacWriteContext, obj: Role | ClusterRole, old?: Role | ClusterRole): Promise<ApiError | undefined> {
  const resource = obj.kind === "Role" ? "roles" : "clusterroles";
  const name = obj.metadata.name ?? "";
  const namespace = obj.kind === "Role" ? (obj.metadata.namespace ?? "") : "";
  if (isEscalationAllowed(ctx.user)) return undefined;
  if (await canEscalate(ctx.authorizer, ctx.user, { resource, namespace, name })) return undefined;
  if (obj.kind === "ClusterRole") {
    const text = confirmAggregationRuleAllowed(ctx.resolver, ctx.user, obj, old?.kind === "ClusterRole" ? old : undefined);
    if (text !== undefined) return forbidden(resource, name, text);
  }
  const text = confirmNoEscalation(ctx.resolver, ctx.user, namespace, obj.rules ?? []);
  return text === undefined ? undefined : forbidden(resource, name, text);
}

/** RoleBinding / ClusterRoleBinding create or update. A missing role is a NotFound for non-privileged users. */
export async function checkBindingWrite(
  ctx: RbacWriteContext,
  obj: RoleBinding | ClusterRoleBinding,
  old?: RoleBinding | ClusterRoleBinding,
): Promise<ApiError | undefined> {
  const resource = obj.kind === "RoleBinding" ? "rolebindings" : "clusterrolebindings";
  const name = obj.metadata.name ?? "";
  const namespace = obj.kind === "RoleBinding" ? (obj.metadata.namespace ?? "") : "";
  if (obj.kind === "RoleBinding" && namespace === "") return new ApiError("BadRequest", "namespace is required");
  if (old !== undefined && isOnlyMutatingGcFields(obj, old)) return undefined;
  if (isEscalationAllowed(ctx.user)) return undefined;
  if (await canBind(ctx.authorizer, ctx.user, obj.roleRef, namespace)) return undefined;
  const resolved = ctx.roleRefRules(obj.roleRef, namespace);
  if ("error" in resolved) return roleRefError(obj.roleRef, resolved.error);
  const text = confirmNoEscalation(ctx.resolver, ctx.user, namespace, resolved.rules);
  return text === undefined ? undefined : forbidden(resource, name, text);
}

/** The registry getter's NotFound (plural resource, unlike the authorizer's lister text). */
function roleRefError(ref: RoleBinding["roleRef"], error: string): ApiError {
  const resource = ref.kind === "Role" ? "roles" : ref.kind === "ClusterRole" ? "clusterroles" : undefined;
  if (resource === undefined) return new ApiError("InternalError", `Internal error occurred: ${error}`);
  const gr = groupResourceString(RBAC_GROUP, resource);
  return new ApiError("NotFound", `${gr} ${goQuote(ref.name)} not found`, { name: ref.name, group: RBAC_GROUP, kind: resource });
}

/** rbacregistry.IsOnlyMutatingGCFields: only ownerReferences / finalizers changed. */
function isOnlyMutatingGcFields(obj: RoleBinding | ClusterRoleBinding, old: RoleBinding | ClusterRoleBinding): boolean {
  const strip = (o: RoleBinding | ClusterRoleBinding): string => {
    const { ownerReferences: _o, finalizers: _f, resourceVersion: _r, managedFields: _m, ...meta } = o.metadata;
    return JSON.stringify({ ...o, metadata: meta });
  };
  return strip(obj) === strip(old);
}
