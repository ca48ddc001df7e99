import { test } from "node:test";
import assert from "node:assert/strict";
import type { ClusterRole } from "../../api/index.ts";
import { aggregateClusterRoles, selectorMatches } from "./aggregation.ts";
import { clusterRole } from "./testing.ts";

const agg = (name: string, selector: ClusterRole["aggregationRule"], labels?: Record<string, string>): ClusterRole => ({
  ...clusterRole(name, [], labels),
  aggregationRule: selector,
});
const sel = (label: string) => ({ clusterRoleSelectors: [{ matchLabels: { [label]: "true" } }] });
const get = (res: string) => ({ verbs: ["get"], apiGroups: [""], resources: [res] });

test("selectorMatches: matchLabels and matchExpressions", () => {
  const labels = { a: "1", b: "2" };
  const cases: Array<[Parameters<typeof selectorMatches>[0], boolean]> = [
    [{}, true],
    [{ matchLabels: { a: "1" } }, true],
    [{ matchLabels: { a: "2" } }, false],
    [{ matchExpressions: [{ key: "a", operator: "In", values: ["0", "1"] }] }, true],
    [{ matchExpressions: [{ key: "c", operator: "In", values: ["1"] }] }, false],
    [{ matchExpressions: [{ key: "a", operator: "NotIn", values: ["1"] }] }, false],
    [{ matchExpressions: [{ key: "c", operator: "NotIn", values: ["1"] }] }, true],
    [{ matchExpressions: [{ key: "b", operator: "Exists" }] }, true],
    [{ matchExpressions: [{ key: "b", operator: "DoesNotExist" }] }, false],
    [{ matchExpressions: [{ key: "b", operator: "Bogus" }] }, false],
    [{ matchLabels: { a: "1" }, matchExpressions: [{ key: "c", operator: "Exists" }] }, false],
  ];
  for (const [s, want] of cases) assert.equal(selectorMatches(s, labels), want, JSON.stringify(s));
});

test("aggregateClusterRoles: union by name order, de-duplicated, chains settle, unchanged omitted", () => {
  const roles: ClusterRole[] = [
    agg("admin", sel("to-admin")),
    agg("edit", sel("to-edit"), { "to-admin": "true" }),
    agg("view", sel("to-view"), { "to-edit": "true" }),
    clusterRole("z-view-extra", [get("pods"), get("configmaps")], { "to-view": "true" }),
    clusterRole("a-view-base", [get("pods")], { "to-view": "true" }),
    clusterRole("edit-extra", [{ verbs: ["create"], apiGroups: [""], resources: ["pods"] }], { "to-edit": "true" }),
    clusterRole("unrelated", [get("secrets")]),
  ];
  const changed = aggregateClusterRoles(roles);
  assert.deepEqual(changed.map((r) => r.metadata.name), ["admin", "edit", "view"]);
  const rulesOf = (n: string) => changed.find((r) => r.metadata.name === n)?.rules;
  assert.deepEqual(rulesOf("view"), [get("pods"), get("configmaps")]);
  assert.deepEqual(rulesOf("edit"), [{ verbs: ["create"], apiGroups: [""], resources: ["pods"] }, get("pods"), get("configmaps")]);
  assert.deepEqual(rulesOf("admin"), rulesOf("edit"));
  assert.deepEqual(aggregateClusterRoles([...roles.filter((r) => !changed.some((c) => c.metadata.name === r.metadata.name)), ...changed]), []);
});

test("aggregateClusterRoles: a role never aggregates itself; removing a source shrinks the union", () => {
  const self = agg("self", sel("x"), { x: "true" });
  const withRules = { ...self, rules: [get("pods")] };
  assert.deepEqual(aggregateClusterRoles([withRules]).map((r) => r.rules), [[]]);
  assert.deepEqual(aggregateClusterRoles([self]), []);
});
