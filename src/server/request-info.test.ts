import { test } from "node:test";
import assert from "node:assert/strict";
import { parseRequestInfo } from "./request-info.ts";

// Cases from apiserver/pkg/endpoints/request/requestinfo_test.go (reference k8s-authn-and-rbac.md §4).
const CASES: readonly [string, string, Partial<ReturnType<typeof parseRequestInfo>>][] = [
  ["GET", "/api", { isResourceRequest: false, verb: "get", path: "/api" }],
  ["GET", "/apis/apps/v1", { isResourceRequest: false }],
  ["GET", "/healthz", { isResourceRequest: false, verb: "get" }],
  ["GET", "/api/v1/namespaces/default/pods", { verb: "list", resource: "pods", namespace: "default", name: "" }],
  ["GET", "/api/v1/namespaces/default/pods?watch=true", { verb: "watch", resource: "pods" }],
  ["GET", "/api/v1/namespaces/default/pods?watch=false", { verb: "list" }],
  ["GET", "/api/v1/namespaces/default/pods/foo", { verb: "get", name: "foo", subresource: "" }],
  ["GET", "/api/v1/namespaces/default/pods/foo/log", { verb: "get", name: "foo", subresource: "log" }],
  ["POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/ns/roles", { verb: "create", apiGroup: "rbac.authorization.k8s.io", apiVersion: "v1", resource: "roles", namespace: "ns" }],
  ["DELETE", "/api/v1/namespaces/ns/pods", { verb: "deletecollection" }],
  ["DELETE", "/api/v1/namespaces/ns/pods/x", { verb: "delete", name: "x" }],
  ["PUT", "/apis/certificates.k8s.io/v1/certificatesigningrequests/c/approval", { verb: "update", resource: "certificatesigningrequests", name: "c", subresource: "approval", namespace: "" }],
  ["GET", "/api/v1/namespaces/foo", { verb: "get", resource: "namespaces", name: "foo", namespace: "foo" }],
  ["PUT", "/api/v1/namespaces/foo/status", { resource: "namespaces", name: "foo", subresource: "status", namespace: "foo" }],
  ["GET", "/api/v1/namespaces", { verb: "list", resource: "namespaces", namespace: "" }],
  ["GET", "/api/v1/watch/namespaces/ns/pods", { verb: "watch", resource: "pods", namespace: "ns" }],
  ["GET", "/apis/apps/v1/deployments", { verb: "list", resource: "deployments", apiGroup: "apps", namespace: "" }],
  ["PATCH", "/apis/apps/v1/namespaces/d/deployments/x", { verb: "patch" }],
  ["GET", "/api/v1/namespaces/d/pods?fieldSelector=metadata.name%3Dweb", { verb: "list", name: "web" }],
  ["GET", "/api/v1/namespaces/d/pods?watch=1&fieldSelector=metadata.name%3D%3Dweb", { verb: "watch", name: "web" }],
  ["GET", "/api/v1/namespaces/d/pods?fieldSelector=metadata.name%3Dweb,status.phase%3DRunning", { verb: "list", name: "" }],
  ["GET", "/api/v1/namespaces/d/pods?fieldSelector=spec.nodeName%3Dn", { name: "" }],
];

test("parseRequestInfo matches requestinfo.go", () => {
  for (const [method, url, want] of CASES) {
    const [path = "", q = ""] = url.split("?");
    const got = parseRequestInfo(method, path, new URLSearchParams(q));
    for (const [k, v] of Object.entries(want)) {
      assert.equal(got[k as keyof typeof got], v, `${method} ${url}: ${k}`);
    }
    if (want.isResourceRequest === undefined) assert.equal(got.isResourceRequest, true, `${method} ${url}`);
  }
});
