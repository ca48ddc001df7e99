import { test } from "node:test";
import assert from "node:assert/strict";
import type { PolicyRule } from "../../api/index.ts";
import { RbacIndex } from "./rbac-index.ts";
import { compactString, confirmAggregationRuleAllowed, confirmNoEscalation, uncoveredRules, AGGREGATION_RULE_FORBIDDEN } from "./escalation.ts";
import { checkBindingWrite, checkRoleWrite } from "./rbac-writes.ts";
import { clusterRole, crb, G, rb, role, U, userInfo } from "./testing.ts";
import { privilegedGroupAuthorizer, unionAuthorizer } from "./union.ts";

const r = (verbs: string[], apiGroups: string[], resources: string[], resourceNames?: string[]): PolicyRule => ({
  verbs, apiGroups, resources, ...(resourceNames ? { resourceNames } : {}),
});
const u = (verbs: string[], urls: string[]): PolicyRule => ({ verbs, nonResourceURLs: urls });

test("Covers (policy_comparator.go): owner rules vs requested rules", () => {
  const cases: Array<[string, PolicyRule[], PolicyRule[], boolean]> = [
    ["exact", [r(["get"], [""], ["pods"])], [r(["get"], [""], ["pods"])], true],
    ["owner * covers everything", [r(["*"], ["*"], ["*"])], [r(["get", "delete"], ["apps"], ["deployments/scale"])], true],
    ["requested * needs owner *", [r(["get", "list"], [""], ["pods"])], [r(["*"], [""], ["pods"])], false],
    ["subresource not covered by parent", [r(["get"], [""], ["pods"])], [r(["get"], [""], ["pods/log"])], false],
    ["*/sub covers x/sub", [r(["get"], [""], ["*/log"])], [r(["get"], [""], ["pods/log"])], true],
    ["owner names limit", [r(["get"], [""], ["pods"], ["a"])], [r(["get"], [""], ["pods"])], false],
    ["owner names cover listed", [r(["get"], [""], ["pods"], ["a", "b"])], [r(["get"], [""], ["pods"], ["b"])], true],
    ["owner without names covers named", [r(["get"], [""], ["pods"])], [r(["get"], [""], ["pods"], ["b"])], true],
    ["url prefix", [u(["get"], ["/healthz/*"])], [u(["get"], ["/healthz/etcd"])], true],
    ["url mismatch", [u(["get"], ["/healthz"])], [u(["get"], ["/metrics"])], false],
    ["rule without groups grants nothing to cover", [], [{ verbs: ["get"], resources: ["pods"] }], true],
  ];
  for (const [name, owner, servant, want] of cases) assert.equal(uncoveredRules(owner, servant).length === 0, want, name);
});

test("compactString renders Go's CompactString", () => {
  assert.equal(compactString(r(["get", "list"], [""], ["secrets"])), '{APIGroups:[""], Resources:["secrets"], Verbs:["get" "list"]}');
  assert.equal(compactString(r(["get"], ["apps"], ["deployments"], ["x"])), '{APIGroups:["apps"], Resources:["deployments"], ResourceNames:["x"], Verbs:["get"]}');
  assert.equal(compactString(u(["get"], ["/metrics"])), '{NonResourceURLs:["/metrics"], Verbs:["get"]}');
});

function index(): RbacIndex {
  const idx = new RbacIndex();
  idx.upsert(clusterRole("pods", [r(["get", "list"], [""], ["pods"])]));
  idx.upsert(crb("jane-pods", "pods", [U("jane")]));
  idx.upsert(role("team", "all", [r(["*"], ["*"], ["*"])]));
  idx.upsert(rb("team", "jane-all", { kind: "Role", name: "all" }, [U("jane")]));
  idx.upsert(clusterRole("admin", [r(["*"], ["*"], ["*"]), u(["*"], ["*"])]));
  idx.upsert(crb("admins", "admin", [G("admins")]));
  return idx;
}

test("confirmNoEscalation: exact Forbidden text (sorted, compacted lines)", () => {
  const idx = index();
  const jane = userInfo("jane", "dev", "system:authenticated");
  assert.equal(confirmNoEscalation(idx, jane, "", [r(["get"], [""], ["pods"])]), undefined);
  assert.equal(confirmNoEscalation(idx, jane, "team", [r(["get"], ["apps"], ["deployments"])]), undefined, "namespace rules count");
  assert.equal(
    confirmNoEscalation(idx, jane, "", [r(["get", "list", "delete"], [""], ["secrets", "pods"]), u(["get"], ["/metrics"])]),
    'user "jane" (groups=["dev" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n' +
      '{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}\n' +
      '{APIGroups:[""], Resources:["secrets"], Verbs:["get" "list" "delete"]}\n' +
      '{NonResourceURLs:["/metrics"], Verbs:["get"]}',
  );
  assert.equal(
    confirmNoEscalation(idx, userInfo("nobody"), "", [r(["get"], [""], ["pods"], ["a", "b"])]),
    'user "nobody" (groups=[]) is attempting to grant RBAC permissions not currently held:\n' +
      '{APIGroups:[""], Resources:["pods"], ResourceNames:["a"], Verbs:["get"]}\n' +
      '{APIGroups:[""], Resources:["pods"], ResourceNames:["b"], Verbs:["get"]}',
  );
  idx.upsert(crb("broken", "gone", [U("jane")]));
  assert.match(
    confirmNoEscalation(idx, jane, "", [r(["get"], [""], ["secrets"])]) ?? "",
    /Verbs:\["get"\]\}; resolution errors: \[clusterrole\.rbac\.authorization\.k8s\.io "gone" not found\]$/,
  );
});

test("aggregationRule needs full authority", () => {
  const idx = index();
  const agg = { ...clusterRole("agg", []), aggregationRule: { clusterRoleSelectors: [{ matchLabels: { a: "b" } }] } };
  assert.equal(confirmAggregationRuleAllowed(idx, userInfo("jane"), agg), AGGREGATION_RULE_FORBIDDEN);
  assert.equal(confirmAggregationRuleAllowed(idx, userInfo("jane"), clusterRole("agg", []), agg), AGGREGATION_RULE_FORBIDDEN, "old object counts");
  assert.equal(confirmAggregationRuleAllowed(idx, userInfo("x", "admins"), agg), undefined);
  assert.equal(confirmAggregationRuleAllowed(idx, userInfo("jane"), clusterRole("plain", [])), undefined);
});

test("checkRoleWrite / checkBindingWrite: masters, escalate, bind, NotFound, Forbidden", async () => {
  const idx = index();
  idx.upsert(clusterRole("escalator", [r(["escalate", "bind"], ["rbac.authorization.k8s.io"], ["clusterroles"])]));
  idx.upsert(crb("escalators", "escalator", [U("esc")]));
  const authorizer = unionAuthorizer(privilegedGroupAuthorizer(["system:masters"]), idx);
  const ctx = (name: string, ...groups: string[]) => ({
    user: userInfo(name, ...groups), authorizer, resolver: idx, roleRefRules: idx.roleRefRules.bind(idx),
  });
  const secretsRole = clusterRole("secrets", [r(["get"], [""], ["secrets"])]);
  const err = await checkRoleWrite(ctx("jane"), secretsRole);
  assert.equal(err?.code, "Forbidden");
  assert.equal(
    err?.message,
    'clusterroles.rbac.authorization.k8s.io "secrets" is forbidden: user "jane" (groups=[]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["secrets"], Verbs:["get"]}',
  );
  assert.deepEqual(err?.details, { name: "secrets", group: "rbac.authorization.k8s.io", kind: "clusterroles" });
  assert.equal(await checkRoleWrite(ctx("root", "system:masters"), secretsRole), undefined);
  assert.equal(await checkRoleWrite(ctx("esc"), secretsRole), undefined, "escalate verb");
  assert.equal(await checkRoleWrite(ctx("jane"), clusterRole("p", [r(["get"], [""], ["pods"])])), undefined);
  assert.equal(await checkRoleWrite(ctx("jane"), role("team", "r", [r(["get"], [""], ["secrets"])])), undefined);

  const toSecrets = crb("b", "secrets", [U("mallory")]);
  const missing = await checkBindingWrite(ctx("jane"), toSecrets);
  assert.equal(missing?.code, "NotFound");
  assert.equal(missing?.message, 'clusterroles.rbac.authorization.k8s.io "secrets" not found');
  idx.upsert(secretsRole);
  assert.match((await checkBindingWrite(ctx("jane"), toSecrets))?.message ?? "", /^clusterrolebindings\.rbac\.authorization\.k8s\.io "b" is forbidden: user "jane"/);
  assert.equal(await checkBindingWrite(ctx("esc"), toSecrets), undefined, "bind verb");
  assert.equal(await checkBindingWrite(ctx("jane"), rb("team", "b", { kind: "ClusterRole", name: "secrets" }, [U("m")])), undefined, "namespace rules cover");
  const withOwner = { ...toSecrets, metadata: { ...toSecrets.metadata, finalizers: ["x"] } };
  assert.equal(await checkBindingWrite(ctx("jane"), withOwner, toSecrets), undefined, "GC-only update skips the check");
});
