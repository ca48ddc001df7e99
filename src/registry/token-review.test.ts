import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ApiError, findResource, type ApiObject } from "../api/index.ts";
import { staticTokenCheck, tokenReviewer, type TokenCheck, type TokenReviewer } from "../auth/index.ts";
import { createReviewHandler } from "./reviews.ts";
import { harness } from "./testing.ts";

const AUTHN = "authentication.k8s.io";
const API = ["https://kubernetes.default.svc.cluster.local"];
const info = findResource(AUTHN, "v1", "tokenreviews");
const body = (spec: object): ApiObject => ({ apiVersion: `${AUTHN}/v1`, kind: "TokenReview", metadata: {}, spec }) as unknown as ApiObject;
const apiError = (code: string, message: string) => (e: unknown) => e instanceof ApiError && e.code === code && e.message === message;

/** A fake service-account check: "sa-tok" carries audience "vault" only. */
const saCheck: TokenCheck = async (token, audiences) => {
  if (token !== "sa-tok") return { outcome: "not-applicable" };
  if (!audiences.includes("vault")) return { outcome: "rejected", reason: "wrong audience" };
  return { outcome: "authenticated", user: { name: "system:serviceaccount:ns:sa", uid: "u1", groups: ["system:serviceaccounts"], extra: { k: ["v"] } }, audiences: ["vault"] };
};
const reviewer: TokenReviewer = tokenReviewer([staticTokenCheck('tok-a,alice,,"dev"\n', API), saCheck], API);

describe("TokenReview (tokenreview/storage.go)", () => {
  it("answers kube's status shapes (table)", async () => {
    assert.ok(info);
    const t = await harness();
    const h = createReviewHandler(info, t.rbac, { tokenReview: reviewer });
    const cases: [string, object, unknown][] = [
      ["static token, API audiences", { token: "tok-a" }, { authenticated: true, user: { username: "alice", groups: ["dev", "system:authenticated"] }, audiences: API }],
      ["static token, foreign audience: no opinion", { token: "tok-a", audiences: ["vault"] }, { user: {}, error: "invalid bearer token" }],
      ["SA token, its audience", { token: "sa-tok", audiences: ["vault"] },
        { authenticated: true, user: { username: "system:serviceaccount:ns:sa", uid: "u1", groups: ["system:serviceaccounts", "system:authenticated"], extra: { k: ["v"] } }, audiences: ["vault"] }],
      ["SA token, API audiences: the authenticator's error", { token: "sa-tok" }, { user: {}, error: "wrong audience" }],
      ["garbage", { token: "zzz" }, { user: {}, error: "invalid bearer token" }],
    ];
    for (const [name, spec, status] of cases) {
      const out = (await h.create(t.ctx(), "", body(spec))) as unknown as Record<string, unknown>;
      assert.equal(out.kind, "TokenReview", name);
      assert.deepEqual(out.spec, spec, name);
      assert.deepEqual(out.status, status, name);
    }
  });

  it("an empty token is 400 before the checker is asked; no checker is 503, and the registry still builds", async () => {
    assert.ok(info);
    const t = await harness();
    let asked = 0;
    const h = createReviewHandler(info, t.rbac, { tokenReview: async (...a) => (asked++, reviewer(...a)) });
    await assert.rejects(h.create(t.ctx(), "", body({ token: "" })), apiError("BadRequest", "token is required for TokenReview in authentication"));
    await assert.rejects(h.create(t.ctx(), "", body({})), apiError("BadRequest", "token is required for TokenReview in authentication"));
    assert.equal(asked, 0);
    const bare = t.h(AUTHN, "tokenreviews"); // the harness registry has no checker
    await assert.rejects(bare.create(t.ctx(), "", body({ token: "tok-a" })), (e: unknown) => e instanceof ApiError && e.code === "ServiceUnavailable");
    await assert.rejects(async () => bare.get(t.ctx(), "", "x"), (e: unknown) => e instanceof ApiError && e.code === "MethodNotAllowed");
  });
});
