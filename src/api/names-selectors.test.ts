import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fieldErrorString } from "./errors.ts";
import { isDns1123Label, isDns1123Subdomain, isQualifiedName, isValidLabelValue } from "./names.ts";
import { matchesLabels, parseFieldSelector, parseLabelSelector } from "./selectors.ts";
import { validateObjectMeta } from "./validation.ts";

describe("names (apimachinery messages)", () => {
  it("RFC 1123 label and subdomain", () => {
    assert.deepEqual(isDns1123Label("ok-1"), []);
    assert.deepEqual(isDns1123Label("Bad"), [
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    ]);
    assert.deepEqual(isDns1123Label("a".repeat(64)).slice(0, 1), ["must be no more than 63 characters"]);
    assert.deepEqual(isDns1123Subdomain("a.b-c"), []);
    assert.deepEqual(isDns1123Subdomain("a_b"), [
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    ]);
  });

  it("qualified names and label values", () => {
    assert.deepEqual(isQualifiedName("example.com/my_Name"), []);
    assert.equal(isQualifiedName("a/b/c").length, 1);
    assert.match(isQualifiedName("-x")[0] ?? "", /^name part must consist of alphanumeric characters/);
    assert.deepEqual(isValidLabelValue(""), []);
    assert.equal(isValidLabelValue("-bad").length, 1);
  });

  it("ObjectMeta rules per scope", () => {
    const render = (errs: ReturnType<typeof validateObjectMeta>) => errs.map(fieldErrorString);
    assert.deepEqual(render(validateObjectMeta({ name: "x", namespace: "default" }, { namespaced: true, resource: "pods" })), []);
    assert.deepEqual(render(validateObjectMeta({ name: "x", namespace: "default" }, { namespaced: false, resource: "nodes" })), ["metadata.namespace: Forbidden: not allowed on this type"]);
    assert.deepEqual(render(validateObjectMeta({ name: "x" }, { namespaced: true, resource: "pods" })), ["metadata.namespace: Required value"]);
    assert.deepEqual(render(validateObjectMeta({ generateName: "job-", namespace: "d" }, { namespaced: true, resource: "pods" })), []);
    assert.equal(validateObjectMeta({ name: "Role:Name" }, { namespaced: false, resource: "clusterroles" }).length, 0);
    assert.equal(validateObjectMeta({ name: "a/b" }, { namespaced: false, resource: "clusterroles" }).length, 1);
    assert.match(render(validateObjectMeta({ name: "x", namespace: "d", labels: { "bad key!": "v" } }, { namespaced: true, resource: "pods" }))[0] ?? "", /^metadata.labels: Invalid value: "bad key!"/);
  });
});

describe("selectors", () => {
  const cases: [string, Record<string, string>, boolean][] = [
    ["a=b", { a: "b" }, true],
    ["a==b", { a: "c" }, false],
    ["a!=b", {}, true],
    ["a in (b, c)", { a: "c" }, true],
    ["a notin (b,c)", { a: "c" }, false],
    ["a", { a: "" }, true],
    ["!a", { a: "" }, false],
    ["a=b,c", { a: "b" }, false],
    ["a>3", { a: "4" }, true],
    ["", { x: "y" }, true],
  ];
  for (const [sel, labels, want] of cases) {
    it(`label selector ${JSON.stringify(sel)} on ${JSON.stringify(labels)} → ${want}`, () => {
      assert.equal(matchesLabels(parseLabelSelector(sel), labels), want);
    });
  }
  it("rejects malformed label selectors", () => {
    for (const bad of ["a b", "a in b", "a in (b", "!", "=b"]) assert.throws(() => parseLabelSelector(bad), /^ApiError: found '.*', expected: /, bad);
    assert.throws(() => parseLabelSelector("a b"), { message: "found 'b', expected: in, notin, =, ==, !=, gt, lt" });
    assert.throws(() => parseLabelSelector("a=b c"), { message: "found 'c', expected: ',' or 'end of string'" });
  });
  it("field selectors: known labels only, escapes", () => {
    assert.deepEqual(parseFieldSelector("metadata.name=a\\,b", []), [{ field: "metadata.name", op: "=", value: "a,b" }]);
    assert.deepEqual(parseFieldSelector("spec.signerName!=x", ["spec.signerName"]), [{ field: "spec.signerName", op: "!=", value: "x" }]);
    assert.throws(() => parseFieldSelector("spec.nodeName=x", []), /field label not supported: spec.nodeName/);
    assert.throws(() => parseFieldSelector("garbage", []), /invalid selector: 'garbage'; can't understand 'garbage'/);
  });
});
