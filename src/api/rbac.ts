// rbac.authorization.k8s.io/v1 wire types (k8s.io/api/rbac/v1/types.go). Plain JSON shapes; the
// authorizer in auth/authz reads them, the registry validates them.
import type { ApiObject, ObjectMeta } from "./meta.ts";

export const RBAC_GROUP = "rbac.authorization.k8s.io";
export const RBAC_API_VERSION = "rbac.authorization.k8s.io/v1";

export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

/** kind is "User", "Group" or "ServiceAccount"; apiGroup is "rbac.authorization.k8s.io" for User/Group,
 *  "" for ServiceAccount (which carries namespace). */
export interface Subject {
  kind: string;
  apiGroup?: string;
  name: string;
  namespace?: string;
}

export interface RoleRef {
  apiGroup: string;
  kind: string;
  name: string;
}

/** meta/v1 LabelSelector as used by aggregationRule; named apart so it cannot clash with api/'s general selector types. */
export interface RbacSelectorRequirement {
  key: string;
  /** "In" | "NotIn" | "Exists" | "DoesNotExist" */
  operator: string;
  values?: string[];
}
export interface RbacLabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: RbacSelectorRequirement[];
}

export interface AggregationRule {
  clusterRoleSelectors?: RbacLabelSelector[];
}

export interface Role extends ApiObject {
  apiVersion: typeof RBAC_API_VERSION;
  kind: "Role";
  metadata: ObjectMeta;
  rules?: PolicyRule[];
}

export interface ClusterRole extends ApiObject {
  apiVersion: typeof RBAC_API_VERSION;
  kind: "ClusterRole";
  metadata: ObjectMeta;
  rules?: PolicyRule[];
  aggregationRule?: AggregationRule;
}

export interface RoleBinding extends ApiObject {
  apiVersion: typeof RBAC_API_VERSION;
  kind: "RoleBinding";
  metadata: ObjectMeta;
  subjects?: Subject[];
  roleRef: RoleRef;
}

export interface ClusterRoleBinding extends ApiObject {
  apiVersion: typeof RBAC_API_VERSION;
  kind: "ClusterRoleBinding";
  metadata: ObjectMeta;
  subjects?: Subject[];
  roleRef: RoleRef;
}

export type RbacObject = Role | ClusterRole | RoleBinding | ClusterRoleBinding;
