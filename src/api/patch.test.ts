import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { applyJsonPatch, applyMergePatch } from "./patch.ts";
import { applyConfiguration, applyStrategicMergePatch } from "./smp.ts";

describe("RFC 7386 merge patch", () => {
  // RFC 7386 Appendix A examples.
  const cases: [unknown, unknown, unknown][] = [
    [{ a: "b" }, { a: "c" }, { a: "c" }],
    [{ a: "b" }, { b: "c" }, { a: "b", b: "c" }],
    [{ a: "b" }, { a: null }, {}],
    [{ a: "b", b: "c" }, { a: null }, { b: "c" }],
    [{ a: ["b"] }, { a: "c" }, { a: "c" }],
    [{ a: "c" }, { a: ["b"] }, { a: ["b"] }],
    [{ a: { b: "c" } }, { a: { b: "d", c: null } }, { a: { b: "d" } }],
    [{ a: [{ b: "c" }] }, { a: [1] }, { a: [1] }],
    [["a", "b"], ["c", "d"], ["c", "d"]],
    [{ a: "b" }, ["c"], ["c"]],
    [{ a: "foo" }, null, null],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: "b", c: null }, { a: "b" }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  cases.forEach(([target, patch, want], i) => it(`example ${i + 1}`, () => assert.deepEqual(applyMergePatch(target, patch), want)));
});

describe("RFC 6902 JSON patch", () => {
  it("applies operations in order", () => {
    const doc = { a: { b: [1, 2] }, c: "x" };
    const out = applyJsonPatch(doc, [
      { op: "add", path: "/a/b/1", value: 9 },
      { op: "add", path: "/a/b/-", value: 3 },
      { op: "remove", path: "/c" },
      { op: "copy", from: "/a/b", path: "/d" },
      { op: "move", from: "/d", path: "/e" },
      { op: "replace", path: "/a/b/0", value: 0 },
      { op: "test", path: "/e/1", value: 9 },
      { op: "add", path: "/x~1y", value: true },
    ]);
    assert.deepEqual(out, { a: { b: [0, 9, 2, 3] }, e: [1, 9, 2, 3], "x/y": true });
    assert.deepEqual(doc, { a: { b: [1, 2] }, c: "x" }, "input untouched");
  });
  it("fails on a missing path and a failed test", () => {
    assert.throws(() => applyJsonPatch({}, [{ op: "remove", path: "/nope" }]), /missing/);
    assert.throws(() => applyJsonPatch({ a: 1 }, [{ op: "test", path: "/a", value: 2 }]), /test failed/);
    assert.throws(() => applyJsonPatch({}, { op: "add" }), /cannot unmarshal/);
  });
});

describe("strategic merge patch", () => {
  const pod = { spec: { containers: [{ name: "a", image: "1", ports: [{ containerPort: 80 }] }, { name: "b", image: "1" }], tolerations: [{ key: "x" }] }, metadata: { finalizers: ["f1"], labels: { l: "1" } } };
  it("merges keyed lists, unions finalizers, replaces atomic lists", () => {
    const out = applyStrategicMergePatch(pod, {
      metadata: { finalizers: ["f2"], labels: { l: null } },
      spec: { containers: [{ name: "b", image: "2" }, { name: "c", image: "3" }, { name: "a", ports: [{ containerPort: 443 }] }], tolerations: [{ key: "y" }] },
    });
    assert.deepEqual(out, {
      spec: {
        containers: [{ name: "a", image: "1", ports: [{ containerPort: 80 }, { containerPort: 443 }] }, { name: "b", image: "2" }, { name: "c", image: "3" }],
        tolerations: [{ key: "y" }],
      },
      metadata: { finalizers: ["f1", "f2"], labels: {} },
    });
  });
  it("handles $patch delete/replace, $deleteFromPrimitiveList, $setElementOrder, $retainKeys", () => {
    const out = applyStrategicMergePatch(pod, {
      metadata: { "$deleteFromPrimitiveList/finalizers": ["f1"] },
      spec: {
        "$setElementOrder/containers": [{ name: "b" }, { name: "a" }],
        containers: [{ name: "a", $patch: "delete" }],
        $retainKeys: ["containers"],
      },
    });
    assert.deepEqual(out, { spec: { containers: [{ name: "b", image: "1" }] }, metadata: { finalizers: [], labels: { l: "1" } } });
    const rep = applyStrategicMergePatch(pod, { spec: { $patch: "replace", containers: [] } });
    assert.deepEqual((rep as { spec: unknown }).spec, { containers: [] });
  });
  it("apply merges the configuration into the live object", () => {
    const out = applyConfiguration({ data: { a: "1" }, metadata: { name: "x", uid: "u" } }, { data: { b: "2" }, metadata: { name: "x" } });
    assert.deepEqual(out, { data: { a: "1", b: "2" }, metadata: { name: "x", uid: "u" } });
  });
});
