import { test } from "node:test";
import assert from "node:assert/strict";
import { RbacIndex } from "./rbac-index.ts";
import { clusterRole, crb, G, pathAttrs, rb, resourceAttrs, role, SA, U, userInfo } from "./testing.ts";

const podReader = [{ verbs: ["get", "list", "watch"], apiGroups: [""], resources: ["pods"] }];

function seeded(): RbacIndex {
  const idx = new RbacIndex();
  idx.upsert(clusterRole("cluster-admin", [{ verbs: ["*"], apiGroups: ["*"], resources: ["*"] }, { verbs: ["*"], nonResourceURLs: ["*"] }]));
  idx.upsert(crb("cluster-admin", "cluster-admin", [G("system:masters")]));
  idx.upsert(clusterRole("discovery", [{ verbs: ["get"], nonResourceURLs: ["/api", "/api/*"] }]));
  idx.upsert(crb("discovery", "discovery", [G("system:authenticated")]));
  idx.upsert(role("default", "pod-reader", podReader));
  idx.upsert(rb("default", "read-pods", { kind: "Role", name: "pod-reader" }, [U("jane"), G("dev-team")]));
  idx.upsert(clusterRole("secret-reader", [{ verbs: ["get"], apiGroups: [""], resources: ["secrets"] }]));
  idx.upsert(rb("ns1", "sa-secrets", { kind: "ClusterRole", name: "secret-reader" }, [SA("robot")]));
  idx.upsert(rb("ns1", "crb-to-role-style", { kind: "ClusterRole", name: "missing" }, [U("bob")]));
  idx.upsert(crb("to-role", "pod-reader", [U("carol")], "Role"));
  return idx;
}

test("RbacIndex decisions and reasons (§3.1, §3.3)", () => {
  const idx = seeded();
  const minjun = userInfo("minjun", "dev-team", "system:authenticated");
  const robot = userInfo("system:serviceaccount:ns1:robot", "system:serviceaccounts");
  const cases: Array<[string, Parameters<RbacIndex["decide"]>[0], "allow" | "no-opinion", string]> = [
    ["masters via CRB", resourceAttrs(userInfo("root", "system:masters"), "delete", "nodes"), "allow",
      'RBAC: allowed by ClusterRoleBinding "cluster-admin" of ClusterRole "cluster-admin" to Group "system:masters"'],
    ["group in namespace", resourceAttrs(minjun, "list", "pods", { namespace: "default" }), "allow",
      'RBAC: allowed by RoleBinding "read-pods/default" of Role "pod-reader" to Group "dev-team"'],
    ["first matching subject is named", resourceAttrs(userInfo("jane", "dev-team"), "get", "pods", { namespace: "default", name: "p" }), "allow",
      'RBAC: allowed by RoleBinding "read-pods/default" of Role "pod-reader" to User "jane"'],
    ["other namespace", resourceAttrs(minjun, "list", "pods", { namespace: "kube-system" }), "no-opinion", ""],
    ["cluster scope never uses RoleBindings", resourceAttrs(minjun, "list", "pods"), "no-opinion", ""],
    ["deployments not granted", resourceAttrs(minjun, "list", "deployments", { apiGroup: "apps", namespace: "default" }), "no-opinion", ""],
    ["discovery path", pathAttrs(minjun, "get", "/api/v1"), "allow",
      'RBAC: allowed by ClusterRoleBinding "discovery" of ClusterRole "discovery" to Group "system:authenticated"'],
    ["service account, ns defaulted", resourceAttrs(robot, "get", "secrets", { namespace: "ns1" }), "allow",
      'RBAC: allowed by RoleBinding "sa-secrets/ns1" of ClusterRole "secret-reader" to ServiceAccount "robot/ns1"'],
    ["RoleBinding to ClusterRole is namespace-limited", resourceAttrs(robot, "get", "secrets", { namespace: "ns2" }), "no-opinion", ""],
    ["missing role → reason, no opinion", resourceAttrs(userInfo("bob"), "get", "pods", { namespace: "ns1" }), "no-opinion",
      'RBAC: clusterrole.rbac.authorization.k8s.io "missing" not found'],
    ["CRB to a Role never resolves", resourceAttrs(userInfo("carol"), "get", "pods"), "no-opinion",
      'RBAC: role.rbac.authorization.k8s.io "pod-reader" not found'],
  ];
  for (const [name, attrs, verdict, reason] of cases) assert.deepEqual(idx.decide(attrs), { verdict, reason }, name);
});

test("RbacIndex: several resolution errors aggregate as [e1, e2]; an allow still wins", async () => {
  const idx = new RbacIndex();
  idx.upsert(crb("a", "nope-a", [U("x")]));
  idx.upsert(crb("b", "nope-b", [G("g")]));
  idx.upsert(crb("c", "weird", [U("x")], "Thing"));
  const d = await idx.authorize(resourceAttrs(userInfo("x", "g"), "get", "pods"));
  assert.equal(d.reason, 'RBAC: [clusterrole.rbac.authorization.k8s.io "nope-a" not found, clusterrole.rbac.authorization.k8s.io "nope-b" not found, unsupported role reference kind: "Thing"]');
  idx.upsert(clusterRole("nope-b", podReader));
  assert.equal((await idx.authorize(resourceAttrs(userInfo("x", "g"), "get", "pods"))).verdict, "allow");
});

test("RbacIndex upsert replaces and remove forgets (index stays consistent)", () => {
  const idx = seeded();
  const jane = userInfo("jane");
  const a = resourceAttrs(jane, "get", "pods", { namespace: "default" });
  assert.equal(idx.decide(a).verdict, "allow");
  idx.upsert(rb("default", "read-pods", { kind: "Role", name: "pod-reader" }, [U("someone-else")]));
  assert.equal(idx.decide(a).verdict, "no-opinion", "old subject no longer indexed after update");
  idx.upsert(rb("default", "read-pods", { kind: "Role", name: "pod-reader" }, [U("jane")]));
  assert.equal(idx.decide(a).verdict, "allow");
  idx.remove(role("default", "pod-reader", []));
  assert.equal(idx.decide(a).reason, 'RBAC: role.rbac.authorization.k8s.io "pod-reader" not found');
  idx.remove(rb("default", "read-pods", { kind: "Role", name: "pod-reader" }, []));
  assert.deepEqual(idx.decide(a), { verdict: "no-opinion", reason: "" });
  idx.remove(crb("cluster-admin", "", []));
  assert.equal(idx.decide(resourceAttrs(userInfo("root", "system:masters"), "get", "pods")).verdict, "no-opinion");
});

test("RbacIndex.rulesFor splits rules and reports errors (§7.3)", () => {
  const idx = seeded();
  idx.upsert(clusterRole("mixed", [{ verbs: ["get"], apiGroups: [""], resources: ["nodes"], nonResourceURLs: ["/x"] }]));
  idx.upsert(crb("mixed", "mixed", [U("jane")]));
  const review = idx.rulesFor(userInfo("jane", "system:authenticated"), "default");
  assert.deepEqual(review.resourceRules, [{ verbs: ["get"], apiGroups: [""], resources: ["nodes"] }, ...podReader]);
  assert.deepEqual(review.nonResourceRules, [{ verbs: ["get"], nonResourceURLs: ["/api", "/api/*"] }, { verbs: ["get"], nonResourceURLs: ["/x"] }]);
  assert.equal(review.incomplete, false);
  assert.equal(review.evaluationError, undefined);
  assert.deepEqual(idx.rulesFor(userInfo("jane"), "").resourceRules, [{ verbs: ["get"], apiGroups: [""], resources: ["nodes"] }]);
  assert.equal(idx.rulesFor(userInfo("bob"), "ns1").evaluationError, 'clusterrole.rbac.authorization.k8s.io "missing" not found');
});

test("RbacIndex: 10 000 bindings, a decision only visits the user's own bindings", () => {
  const idx = new RbacIndex();
  idx.upsert(clusterRole("r", podReader));
  for (let i = 0; i < 10_000; i++) idx.upsert(rb(`ns${i % 100}`, `b${i}`, { kind: "ClusterRole", name: "r" }, [U(`user${i}`)]));
  assert.equal(idx.decide(resourceAttrs(userInfo("user4242"), "get", "pods", { namespace: "ns42" })).verdict, "allow");
  assert.equal(idx.decide(resourceAttrs(userInfo("user4242"), "get", "pods", { namespace: "ns43" })).verdict, "no-opinion");
});
