import { test } from "node:test";
import assert from "node:assert/strict";
import { forbiddenError, forbiddenMessage } from "./forbidden.ts";
import { pathAttrs, resourceAttrs, userInfo } from "./testing.ts";

const minjun = userInfo("minjun", "dev-team");

test("forbiddenMessage (responsewriters/errors.go, §6.2)", () => {
  const cases: Array<[Parameters<typeof forbiddenMessage>[0], string, string]> = [
    [pathAttrs(minjun, "get", "/whatever"), "", 'User "minjun" cannot get path "/whatever"'],
    [resourceAttrs(minjun, "list", "deployments", { apiGroup: "apps", namespace: "default" }), "",
      'User "minjun" cannot list resource "deployments" in API group "apps" in the namespace "default"'],
    [resourceAttrs(minjun, "get", "pod", { apiGroup: "v2", namespace: "test", subresource: "quota" }), "",
      'User "minjun" cannot get resource "pod/quota" in API group "v2" in the namespace "test"'],
    [resourceAttrs(minjun, "list", "nodes"), "", 'User "minjun" cannot list resource "nodes" in API group "" at the cluster scope'],
    [resourceAttrs(minjun, "get", "pods"), 'RBAC: clusterrole.rbac.authorization.k8s.io "x" not found',
      'User "minjun" cannot get resource "pods" in API group "" at the cluster scope: RBAC: clusterrole.rbac.authorization.k8s.io "x" not found'],
    [pathAttrs(userInfo("a&b"), "get", "/<x>"), "r<&>", 'User "a&amp;b" cannot get path "/&lt;x&gt;": r<&>'],
  ];
  for (const [attrs, reason, want] of cases) assert.equal(forbiddenMessage(attrs, reason), want);
});

test("forbiddenError: outer message and details (NewForbidden)", () => {
  const list = forbiddenError(resourceAttrs(minjun, "list", "deployments", { apiGroup: "apps", namespace: "default" }), "");
  assert.equal(list.code, "Forbidden");
  assert.equal(list.message, 'deployments.apps is forbidden: User "minjun" cannot list resource "deployments" in API group "apps" in the namespace "default"');
  assert.deepEqual(list.details, { group: "apps", kind: "deployments" });
  const named = forbiddenError(resourceAttrs(userInfo("NAME"), "get", "pod", { name: "mypod" }), "");
  assert.equal(named.message, 'pod "mypod" is forbidden: User "NAME" cannot get resource "pod" in API group "" at the cluster scope');
  assert.deepEqual(named.details, { name: "mypod", kind: "pod" });
  const path = forbiddenError(pathAttrs(userInfo("NAME"), "get", "/whatever"), "");
  assert.equal(path.message, 'forbidden: User "NAME" cannot get path "/whatever"');
  assert.deepEqual(path.details, {});
});
