// Test fixtures for authz tests: compact builders of RBAC objects and request attributes.
import { RBAC_API_VERSION } from "../../api/index.ts";
import type { ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, Subject } from "../../api/index.ts";
import type { RequestAttributes, UserInfo } from "../types.ts";

export const userInfo = (name: string, ...groups: string[]): UserInfo => ({ name, groups, extra: {} });

export function resourceAttrs(user: UserInfo, verb: string, resource: string, o: Partial<RequestAttributes> = {}): RequestAttributes {
  return { user, verb, isResourceRequest: true, path: "", apiGroup: "", apiVersion: "v1", resource, subresource: "", namespace: "", name: "", ...o };
}
export function pathAttrs(user: UserInfo, verb: string, path: string): RequestAttributes {
  return { user, verb, isResourceRequest: false, path, apiGroup: "", apiVersion: "", resource: "", subresource: "", namespace: "", name: "" };
}

export const U = (name: string): Subject => ({ kind: "User", apiGroup: "rbac.authorization.k8s.io", name });
export const G = (name: string): Subject => ({ kind: "Group", apiGroup: "rbac.authorization.k8s.io", name });
export const SA = (name: string, namespace?: string): Subject => ({ kind: "ServiceAccount", name, ...(namespace ? { namespace } : {}) });

export const clusterRole = (name: string, rules: PolicyRule[], labels?: Record<string, string>): ClusterRole => ({
  apiVersion: RBAC_API_VERSION,
  kind: "ClusterRole",
  metadata: { name, ...(labels ? { labels } : {}) },
  rules,
});
export const role = (namespace: string, name: string, rules: PolicyRule[]): Role => ({
  apiVersion: RBAC_API_VERSION,
  kind: "Role",
  metadata: { name, namespace },
  rules,
});
export const crb = (name: string, roleName: string, subjects: Subject[], kind = "ClusterRole"): ClusterRoleBinding => ({
  apiVersion: RBAC_API_VERSION,
  kind: "ClusterRoleBinding",
  metadata: { name },
  subjects,
  roleRef: { apiGroup: "rbac.authorization.k8s.io", kind, name: roleName },
});
export const rb = (namespace: string, name: string, roleRef: { kind: string; name: string }, subjects: Subject[]): RoleBinding => ({
  apiVersion: RBAC_API_VERSION,
  kind: "RoleBinding",
  metadata: { name, namespace },
  subjects,
  roleRef: { apiGroup: "rbac.authorization.k8s.io", ...roleRef },
});
