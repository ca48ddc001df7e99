import { test } from "node:test";
import assert from "node:assert/strict";
import { SubjectIndex } from "./subject-index.ts";
import { crb, G, rb, SA, U, userInfo } from "./testing.ts";

test("SubjectIndex.candidates: only bindings naming the user or its groups, once each, in first-insert order", () => {
  const idx = new SubjectIndex();
  let seq = 0;
  const next = () => ++seq;
  idx.put("b1", crb("b1", "r", [G("dev")]), "", next);
  idx.put("b2", crb("b2", "r", [U("jane"), G("dev")]), "", next);
  idx.put("b3", crb("b3", "r", [U("someone")]), "", next);
  idx.put("b4", crb("b4", "r", [SA("robot", "ns1")]), "", next);
  idx.put("b5", crb("b5", "r", [SA("robot")]), "", next); // CRB SA without namespace: never applies, not indexed
  for (let i = 0; i < 10_000; i++) idx.put(`x${i}`, crb(`x${i}`, "r", [U(`u${i}`)]), "", next);
  const names = (u: ReturnType<typeof userInfo>) => idx.candidates(u).map((e) => e.name);
  assert.deepEqual(names(userInfo("jane", "dev")), ["b1", "b2"]);
  assert.deepEqual(names(userInfo("jane")), ["b2"]);
  assert.deepEqual(names(userInfo("system:serviceaccount:ns1:robot")), ["b4"]);
  assert.deepEqual(names(userInfo("u9999")), ["x9999"]);
  assert.deepEqual(names(userInfo("nobody", "none")), []);
  idx.put("b1", crb("b1", "r", [G("ops"), G("dev")]), "", next);
  assert.deepEqual(names(userInfo("jane", "ops", "dev")), ["b1", "b2"], "an update keeps its position");
  idx.delete("b2");
  assert.deepEqual(names(userInfo("jane", "dev")), ["b1"]);
  assert.equal(idx.size, 10_004);
});

test("SubjectIndex: RoleBinding ServiceAccount subjects default to the binding namespace", () => {
  const idx = new SubjectIndex();
  idx.put("r", rb("ns1", "r", { kind: "Role", name: "x" }, [SA("robot")]), "ns1", () => 1);
  assert.deepEqual(idx.candidates(userInfo("system:serviceaccount:ns1:robot")).map((e) => e.name), ["r"]);
});
