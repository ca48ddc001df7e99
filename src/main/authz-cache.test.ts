import { test } from "node:test";
import assert from "node:assert/strict";
import type { Authorizer, RequestAttributes } from "../auth/index.ts";
import { cachedAuthorizer } from "./authz-cache.ts";

const attrs = (over: Partial<RequestAttributes> = {}): RequestAttributes => ({
  user: { name: "minjun", groups: ["dev-team"], extra: {} },
  verb: "list", isResourceRequest: true, path: "/api/v1/namespaces/default/pods", apiGroup: "", apiVersion: "v1",
  resource: "pods", subresource: "", namespace: "default", name: "", ...over,
});

test("caches decisions per user and attributes until invalidated", async () => {
  let calls = 0;
  let allow = true;
  const inner: Authorizer = { authorize: async () => (calls++, { verdict: allow ? "allow" : "no-opinion", reason: "" }) };
  const a = cachedAuthorizer(inner);
  assert.equal((await a.authorize(attrs())).verdict, "allow");
  assert.equal((await a.authorize(attrs())).verdict, "allow");
  assert.equal(calls, 1, "second identical request is a hit");
  const others = [attrs({ verb: "get" }), attrs({ namespace: "kube-system" }), attrs({ user: { name: "minjun", groups: ["other"], extra: {} } }), attrs({ apiGroup: "apps", resource: "deployments" })];
  for (const o of others) await a.authorize(o);
  assert.equal(calls, 5, "any attribute or group difference is a miss");
  allow = false;
  a.invalidate();
  assert.equal((await a.authorize(attrs())).verdict, "no-opinion", "a policy change is seen after invalidate()");
});

test("a decision computed across an invalidation is not remembered", async () => {
  let release: () => void = () => undefined;
  let calls = 0;
  const inner: Authorizer = {
    authorize: () => (calls++, new Promise((r) => (release = () => r({ verdict: "allow", reason: "" })))),
  };
  const a = cachedAuthorizer(inner);
  const pending = a.authorize(attrs());
  a.invalidate();
  release();
  await pending;
  const again = a.authorize(attrs());
  release();
  await again;
  assert.equal(calls, 2);
});
