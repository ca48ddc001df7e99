import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { seededRandom } from "../base/index.ts";
import { StorageError } from "./types.ts";
import { decodeObject, encodeObject, parseResourceVersion, randomUuid, resourcePrefix, rfc3339Seconds } from "./codec.ts";
import { decodeContinue, encodeContinue } from "./store-list.ts";
import { prefixEnd } from "./sqlite/schema.ts";

const isCode = (code: string) => (err: unknown) => err instanceof StorageError && err.code === code;

describe("codec", () => {
  it("never stores resourceVersion and restores it from the revision", () => {
    const bytes = encodeObject({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x", resourceVersion: "9" } });
    assert.doesNotMatch(new TextDecoder().decode(bytes), /resourceVersion/);
    const back = decodeObject({ key: "/k", value: bytes, createRevision: 3, modRevision: 12 });
    assert.equal(back.metadata.resourceVersion, "12");
    assert.equal(decodeObject({ key: "/k", value: bytes, createRevision: 3, modRevision: 12 }, 40).metadata.resourceVersion, "40");
  });

  for (const [text, why] of [["{", "invalid JSON"], ['"str"', "not an object"], ['{"kind":"X"}', "no metadata"]] as const) {
    it(`reports corrupt stored bytes: ${why}`, () => {
      assert.throws(() => decodeObject({ key: "/k", value: new TextEncoder().encode(text), createRevision: 1, modRevision: 1 }), isCode("corrupt"));
    });
  }

  it("parses resourceVersions", () => {
    for (const [rv, want] of [[undefined, undefined], ["", undefined], ["0", 0], ["42", 42]] as const) assert.equal(parseResourceVersion(rv), want);
    for (const bad of ["-1", "1.5", "abc", " 1", "9999999999999999"]) assert.throws(() => parseResourceVersion(bad), isCode("invalid"));
  });

  it("makes RFC 4122 version-4 uuids from the random source", () => {
    const a = randomUuid(seededRandom(1));
    assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(randomUuid(seededRandom(1)), a);
    assert.notEqual(randomUuid(seededRandom(2)), a);
  });

  it("formats metav1.Time with second precision", () => {
    assert.equal(rfc3339Seconds(new Date("2024-05-01T12:00:00.999Z")), "2024-05-01T12:00:00Z");
  });

  it("lays keys out as kube's etcd store does", () => {
    assert.equal(resourcePrefix("", "pods"), "/registry/core/pods/");
    assert.equal(resourcePrefix("rbac.authorization.k8s.io", "roles"), "/registry/rbac.authorization.k8s.io/roles/");
  });

  it("computes prefix range ends", () => {
    for (const [p, end] of [["/a/", "/a0"], ["/registry/core/pods/", "/registry/core/pods0"], ["ab", "ac"]] as const) assert.equal(prefixEnd(p), end);
    assert.ok("/zzz" < prefixEnd(""));
  });
});

describe("continue tokens", () => {
  it("round-trips", () => {
    assert.deepEqual(decodeContinue(encodeContinue({ rv: 17, start: "default/x" })), { rv: 17, start: "default/x" });
  });

  const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString("base64url");
  for (const [name, token] of [
    ["garbage", "%%%"],
    ["wrong version", b64({ v: "v2", rv: 1, start: "a" })],
    ["rv not a number", b64({ v: "meta.k8s.io/v1", rv: "1", start: "a" })],
    ["rv zero", b64({ v: "meta.k8s.io/v1", rv: 0, start: "a" })],
    ["empty start", b64({ v: "meta.k8s.io/v1", rv: 1, start: "" })],
    ["path traversal", b64({ v: "meta.k8s.io/v1", rv: 1, start: "../secrets/x" })],
  ] as const) {
    it(`rejects ${name}`, () => assert.throws(() => decodeContinue(token), isCode("invalid")));
  }
});
