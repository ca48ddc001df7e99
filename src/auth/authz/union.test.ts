import { test } from "node:test";
import assert from "node:assert/strict";
import type { Authorizer, Verdict } from "../types.ts";
import { alwaysAllow, alwaysDeny, privilegedGroupAuthorizer, unionAuthorizer, unionRuleResolver } from "./union.ts";
import { resourceAttrs, userInfo } from "./testing.ts";

const fixed = (verdict: Verdict, reason: string): Authorizer => ({ authorize: async () => ({ verdict, reason }) });
const attrs = resourceAttrs(userInfo("jane", "dev"), "get", "pods");

test("unionAuthorizer: first allow/deny wins, no-opinion reasons joined by newline", async () => {
  const cases: Array<[string, Authorizer[], Verdict, string]> = [
    ["empty", [], "no-opinion", ""],
    ["allow first", [fixed("allow", "a"), fixed("deny", "d")], "allow", "a"],
    ["deny wins over later allow", [fixed("no-opinion", "x"), fixed("deny", "d"), fixed("allow", "a")], "deny", "d"],
    ["reasons joined", [fixed("no-opinion", "one"), fixed("no-opinion", ""), fixed("no-opinion", "two")], "no-opinion", "one\ntwo"],
    ["alwaysDeny is no-opinion", [alwaysDeny, fixed("allow", "later")], "allow", "later"],
    ["alwaysDeny reason", [alwaysDeny], "no-opinion", "Everything is forbidden."],
    ["alwaysAllow", [alwaysAllow], "allow", ""],
  ];
  for (const [name, list, verdict, reason] of cases) assert.deepEqual(await unionAuthorizer(...list).authorize(attrs), { verdict, reason }, name);
});

test("privilegedGroupAuthorizer: any listed group allows with empty reason", async () => {
  const masters = privilegedGroupAuthorizer(["system:masters"]);
  assert.deepEqual(await masters.authorize(resourceAttrs(userInfo("x", "a", "system:masters"), "delete", "nodes")), { verdict: "allow", reason: "" });
  assert.deepEqual(await masters.authorize(attrs), { verdict: "no-opinion", reason: "" });
});

test("unionRuleResolver concatenates rules, ORs incomplete, aggregates errors", () => {
  const broken = { rulesFor: () => ({ resourceRules: [], nonResourceRules: [], incomplete: true, evaluationError: "e1" }) };
  const review = unionRuleResolver(alwaysAllow, broken, broken).rulesFor(userInfo("x"), "default");
  assert.equal(review.resourceRules.length, 1);
  assert.equal(review.nonResourceRules.length, 1);
  assert.equal(review.incomplete, true);
  assert.equal(review.evaluationError, "e1");
});
