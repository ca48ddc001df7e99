import { test } from "node:test";
import assert from "node:assert/strict";
import type { PolicyRule } from "../../api/index.ts";
import { ruleAllows, subjectAppliesTo, describeSubject } from "./rules.ts";
import { pathAttrs, resourceAttrs, userInfo, U, G, SA } from "./testing.ts";
import type { RequestAttributes } from "../types.ts";

const jane = userInfo("jane", "dev");
const r = (verbs: string[], apiGroups: string[], resources: string[], resourceNames?: string[]): PolicyRule => ({
  verbs, apiGroups, resources, ...(resourceNames ? { resourceNames } : {}),
});
const get = (resource: string, o: Partial<RequestAttributes> = {}): RequestAttributes => resourceAttrs(jane, "get", resource, o);

test("ruleAllows: resource rules (rbac.go RuleAllows, §3.2)", () => {
  const cases: Array<[string, PolicyRule, RequestAttributes, boolean]> = [
    ["exact verb/group/resource", r(["get"], [""], ["pods"]), get("pods"), true],
    ["verb is case-sensitive", r(["GET"], [""], ["pods"]), get("pods"), false],
    ["verb *", r(["*"], [""], ["pods"]), get("pods"), true],
    ["other verb", r(["list"], [""], ["pods"]), get("pods"), false],
    ["group mismatch", r(["get"], ["apps"], ["pods"]), get("pods"), false],
    ["group *", r(["get"], ["*"], ["deployments"]), get("deployments", { apiGroup: "apps" }), true],
    ["no apiGroups never matches", { verbs: ["get"], resources: ["pods"] }, get("pods"), false],
    ["resource * matches subresource", r(["get"], [""], ["*"]), get("pods", { subresource: "log" }), true],
    ["pods does not match pods/log", r(["get"], [""], ["pods"]), get("pods", { subresource: "log" }), false],
    ["pods/log exact", r(["get"], [""], ["pods/log"]), get("pods", { subresource: "log" }), true],
    ["pods/* is not a wildcard", r(["get"], [""], ["pods/*"]), get("pods", { subresource: "log" }), false],
    ["*/scale matches deployments/scale", r(["get"], ["apps"], ["*/scale"]), get("deployments", { apiGroup: "apps", subresource: "scale" }), true],
    ["*/scale does not match deployments", r(["get"], ["apps"], ["*/scale"]), get("deployments", { apiGroup: "apps" }), false],
    ["*/scale does not match x/scalez", r(["get"], [""], ["*/scale"]), get("x", { subresource: "scalez" }), false],
    ["resourceNames match", r(["get"], [""], ["pods"], ["a"]), get("pods", { name: "a" }), true],
    ["resourceNames mismatch", r(["get"], [""], ["pods"], ["a"]), get("pods", { name: "b" }), false],
    ["resourceNames never allow unnamed list", r(["list"], [""], ["pods"], ["a"]), resourceAttrs(jane, "list", "pods"), false],
    ["empty resourceNames allow unnamed", r(["list"], [""], ["pods"], []), resourceAttrs(jane, "list", "pods"), true],
    ["resource rule never matches a path", r(["get"], ["*"], ["*"]), pathAttrs(jane, "get", "/api"), false],
    ["url rule never matches a resource", { verbs: ["get"], nonResourceURLs: ["*"] }, get("pods"), false],
  ];
  for (const [name, rule, attrs, want] of cases) assert.equal(ruleAllows(attrs, rule), want, name);
});

test("ruleAllows: non-resource URLs (§3.2)", () => {
  const cases: Array<[string[], string, boolean]> = [
    [["/healthz"], "/healthz", true],
    [["/healthz"], "/healthz/etcd", false],
    [["/healthz/*"], "/healthz/etcd", true],
    [["/healthz/*"], "/healthz/", true],
    [["/healthz/*"], "/healthz", false],
    [["/api*"], "/apis/apps", true],
    [["/api*"], "/api", true],
    [["*"], "/anything", true],
    [["/version"], "/version/", false],
  ];
  for (const [urls, path, want] of cases) {
    assert.equal(ruleAllows(pathAttrs(jane, "get", path), { verbs: ["get"], nonResourceURLs: urls }), want, `${urls} vs ${path}`);
  }
  assert.equal(ruleAllows(pathAttrs(jane, "post", "/healthz"), { verbs: ["get"], nonResourceURLs: ["*"] }), false);
});

test("subjectAppliesTo and describeSubject (rule.go)", () => {
  const sa = userInfo("system:serviceaccount:ns1:robot", "system:serviceaccounts");
  const cases: Array<[string, ReturnType<typeof U>, string, boolean]> = [
    ["user exact", U("jane"), "", true],
    ["user other", U("Jane"), "", false],
    ["group member", G("dev"), "", true],
    ["group other", G("ops"), "", false],
    ["unknown kind", { kind: "Robot", name: "jane" }, "", false],
  ];
  for (const [name, s, ns, want] of cases) assert.equal(subjectAppliesTo(jane, s, ns), want, name);
  assert.equal(subjectAppliesTo(sa, SA("robot", "ns1"), ""), true);
  assert.equal(subjectAppliesTo(sa, SA("robot"), "ns1"), true, "namespace defaults to the binding's");
  assert.equal(subjectAppliesTo(sa, SA("robot"), ""), false, "a CRB SA subject without namespace never matches");
  assert.equal(subjectAppliesTo(sa, SA("robot", "ns2"), "ns1"), false);
  assert.equal(describeSubject(SA("robot"), "ns1"), 'ServiceAccount "robot/ns1"');
  assert.equal(describeSubject(G("system:masters"), ""), 'Group "system:masters"');
});
