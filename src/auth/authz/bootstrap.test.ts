import { test } from "node:test";
import assert from "node:assert/strict";
import { bootstrapPolicy } from "./bootstrap.ts";
import { RbacIndex } from "./rbac-index.ts";
import { pathAttrs, resourceAttrs, userInfo } from "./testing.ts";
import { aggregateClusterRoles } from "./aggregation.ts";
import type { RequestAttributes } from "../types.ts";

function loaded(): RbacIndex {
  const p = bootstrapPolicy();
  const idx = new RbacIndex();
  for (const o of [...p.clusterRoles, ...p.clusterRoleBindings, ...p.roles, ...p.roleBindings]) idx.upsert(o);
  return idx;
}

const anonymous = userInfo("system:anonymous", "system:unauthenticated");
const jane = userInfo("jane", "dev", "system:authenticated");

test("bootstrap policy decisions (§5)", () => {
  const idx = loaded();
  const cases: Array<[string, RequestAttributes, boolean]> = [
    ["anonymous /healthz", pathAttrs(anonymous, "get", "/healthz"), true],
    ["anonymous /version", pathAttrs(anonymous, "get", "/version"), true],
    ["anonymous /api discovery (kpki:anonymous-discovery)", pathAttrs(anonymous, "get", "/api"), true],
    ["anonymous /apis/apps/v1", pathAttrs(anonymous, "get", "/apis/apps/v1"), true],
    ["anonymous /metrics", pathAttrs(anonymous, "get", "/metrics"), false],
    ["anonymous list pods", resourceAttrs(anonymous, "list", "pods", { namespace: "default" }), false],
    ["anonymous post /api", pathAttrs(anonymous, "post", "/api"), false],
    ["authenticated /apis", pathAttrs(jane, "get", "/apis"), true],
    ["authenticated SSAR", resourceAttrs(jane, "create", "selfsubjectaccessreviews", { apiGroup: "authorization.k8s.io" }), true],
    ["authenticated SSRR", resourceAttrs(jane, "create", "selfsubjectrulesreviews", { apiGroup: "authorization.k8s.io" }), true],
    ["authenticated whoami", resourceAttrs(jane, "create", "selfsubjectreviews", { apiGroup: "authentication.k8s.io" }), true],
    ["authenticated list pods", resourceAttrs(jane, "list", "pods", { namespace: "default" }), false],
    ["masters anything", resourceAttrs(userInfo("x", "system:masters"), "delete", "nodes"), true],
    ["kubeadm:cluster-admins anything", resourceAttrs(userInfo("kubernetes-admin", "kubeadm:cluster-admins"), "escalate", "clusterroles", { apiGroup: "rbac.authorization.k8s.io" }), true],
    ["monitoring /metrics", pathAttrs(userInfo("prom", "system:monitoring"), "get", "/metrics"), true],
    ["kube-proxy watches endpointslices", resourceAttrs(userInfo("system:kube-proxy"), "watch", "endpointslices", { apiGroup: "discovery.k8s.io" }), true],
    ["scheduler binds pods", resourceAttrs(userInfo("system:kube-scheduler"), "create", "pods", { subresource: "binding", namespace: "a" }), true],
    ["kcm lists everything", resourceAttrs(userInfo("system:kube-controller-manager"), "list", "widgets", { apiGroup: "x.io" }), true],
    ["nodes renew via selfnodeclient", resourceAttrs(userInfo("system:node:n1", "system:nodes"), "create", "certificatesigningrequests", { apiGroup: "certificates.k8s.io", subresource: "selfnodeclient" }), true],
    ["system:node binding has no subjects", resourceAttrs(userInfo("system:node:n1", "system:nodes"), "get", "secrets", { namespace: "a" }), false],
    ["bootstrap token nodeclient", resourceAttrs(userInfo("system:bootstrap:abc", "system:bootstrappers:kubeadm:default-node-token"), "create", "certificatesigningrequests", { apiGroup: "certificates.k8s.io", subresource: "nodeclient" }), true],
    ["certificate-controller signs kube-apiserver-client", resourceAttrs(userInfo("system:serviceaccount:kube-system:certificate-controller"), "sign", "signers", { apiGroup: "certificates.k8s.io", name: "kubernetes.io/kube-apiserver-client" }), true],
    ["certificate-controller cannot sign other signers", resourceAttrs(userInfo("system:serviceaccount:kube-system:certificate-controller"), "sign", "signers", { apiGroup: "certificates.k8s.io", name: "example.com/x" }), false],
  ];
  for (const [name, attrs, allowed] of cases) assert.equal(idx.decide(attrs).verdict === "allow", allowed, name);
  assert.equal(
    idx.decide(resourceAttrs(userInfo("x", "system:masters"), "get", "pods")).reason,
    'RBAC: allowed by ClusterRoleBinding "cluster-admin" of ClusterRole "cluster-admin" to Group "system:masters"',
  );
  assert.equal(
    idx.decide(resourceAttrs(userInfo("kubernetes-admin", "kubeadm:cluster-admins"), "get", "pods")).reason,
    'RBAC: allowed by ClusterRoleBinding "kubeadm:cluster-admins" of ClusterRole "cluster-admin" to Group "kubeadm:cluster-admins"',
  );
});

test("bootstrap admin/edit/view are aggregated: view ⊂ edit ⊂ admin, view has no secrets", () => {
  const idx = loaded();
  idx.upsert({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", metadata: { name: "v", namespace: "n" },
    subjects: [{ kind: "User", name: "viewer" }], roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" } });
  idx.upsert({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", metadata: { name: "e", namespace: "n" },
    subjects: [{ kind: "User", name: "editor" }], roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "edit" } });
  idx.upsert({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", metadata: { name: "a", namespace: "n" },
    subjects: [{ kind: "User", name: "admin" }], roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "admin" } });
  const can = (who: string, verb: string, resource: string, apiGroup = "") =>
    idx.decide(resourceAttrs(userInfo(who), verb, resource, { namespace: "n", apiGroup })).verdict === "allow";
  assert.equal(can("viewer", "list", "pods"), true);
  assert.equal(can("viewer", "get", "secrets"), false);
  assert.equal(can("editor", "get", "secrets"), true);
  assert.equal(can("editor", "list", "pods"), true);
  assert.equal(can("editor", "create", "roles", "rbac.authorization.k8s.io"), false);
  assert.equal(can("admin", "create", "roles", "rbac.authorization.k8s.io"), true);
  assert.equal(can("admin", "list", "deployments", "apps"), true);
  assert.deepEqual(aggregateClusterRoles(bootstrapPolicy().clusterRoles), [], "already at the fixed point");
});

test("bootstrap objects carry the bootstrapping label + autoupdate annotation; kubeadm's do not", () => {
  const p = bootstrapPolicy();
  for (const o of [...p.clusterRoles, ...p.clusterRoleBindings, ...p.roles, ...p.roleBindings]) {
    const kubeadm = (o.metadata.name ?? "").startsWith("kubeadm:");
    assert.equal(o.metadata.labels?.["kubernetes.io/bootstrapping"], kubeadm ? undefined : "rbac-defaults", o.metadata.name);
    assert.equal(o.metadata.annotations?.["rbac.authorization.kubernetes.io/autoupdate"], kubeadm ? undefined : "true", o.metadata.name);
  }
  const names = new Set(p.clusterRoles.map((r) => r.metadata.name));
  for (const b of p.clusterRoleBindings) assert.ok(names.has(b.roleRef.name), `${b.metadata.name} → ${b.roleRef.name}`);
  assert.equal(p.clusterRoleBindings.find((b) => b.metadata.name === "system:node")?.subjects, undefined);
  assert.deepEqual(p.clusterRoles.find((r) => r.metadata.name === "edit")?.metadata.labels?.["rbac.authorization.k8s.io/aggregate-to-admin"], "true");
  assert.equal(new Set(p.clusterRoles.map((r) => r.metadata.name)).size, p.clusterRoles.length, "unique names");
});
