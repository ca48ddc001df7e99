import { test } from "node:test";
import assert from "node:assert/strict";
import { ApiError, alreadyExists, forbidden, invalid, notFound } from "../api/index.ts";
import { StorageError } from "../storage/index.ts";
import { errorResponse, UNAUTHORIZED_BODY } from "./status.ts";

// Wire bodies byte for byte (reference k8s-authn-and-rbac.md §6.1 field order).
const CASES: [string, unknown, number, string][] = [
  ["NotFound", notFound("certificates.k8s.io", "certificatesigningrequests", "nope"), 404,
    '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"certificatesigningrequests.certificates.k8s.io \\"nope\\" not found","reason":"NotFound","details":{"name":"nope","group":"certificates.k8s.io","kind":"certificatesigningrequests"},"code":404}'],
  ["AlreadyExists (core group: no group in details)", alreadyExists("", "namespaces", "default"), 409,
    '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"namespaces \\"default\\" already exists","reason":"AlreadyExists","details":{"name":"default","kind":"namespaces"},"code":409}'],
  ["Forbidden, non-resource (details {})", forbidden("", "", "", 'User "x" cannot get path "/foo"'), 403,
    '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"forbidden: User \\"x\\" cannot get path \\"/foo\\"","reason":"Forbidden","details":{},"code":403}'],
  ["Invalid with causes", invalid("rbac.authorization.k8s.io", "Role", "r", [{ type: "FieldValueRequired", field: "rules[0].verbs", detail: "verbs must contain at least one value" }]), 422,
    '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Role.rbac.authorization.k8s.io \\"r\\" is invalid: rules[0].verbs: Required value: verbs must contain at least one value","reason":"Invalid","details":{"name":"r","group":"rbac.authorization.k8s.io","kind":"Role","causes":[{"reason":"FieldValueRequired","message":"Required value: verbs must contain at least one value","field":"rules[0].verbs"}]},"code":422}'],
  ["compacted storage revision → 410 Gone", new StorageError("compacted", "revision 3 is compacted"), 410,
    '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: revision 3 is compacted","reason":"Gone","code":410}'],
  ["unknown failure → 500", new Error("boom"), 500,
    '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Internal error occurred: boom","reason":"InternalError","details":{"causes":[{"message":"boom"}]},"code":500}'],
  ["415", new ApiError("UnsupportedMediaType", "nope"), 415, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"nope","reason":"UnsupportedMediaType","code":415}'],
];

test("errorResponse: HTTP status and Status body for every layer's errors", () => {
  for (const [name, err, status, body] of CASES) {
    const r = errorResponse(err);
    assert.equal(r.httpStatus, status, name);
    assert.equal(JSON.stringify(r.body), body, name);
  }
});

test("the 401 body is apiserver's NewUnauthorized(\"Unauthorized\")", () => {
  assert.equal(UNAUTHORIZED_BODY, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}');
});
