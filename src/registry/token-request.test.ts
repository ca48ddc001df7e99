import { test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { ApiError, type ApiObject } from "../api/index.ts";
import { parseTokenKeys, verifyServiceAccountToken, type TokenKey } from "../auth/index.ts";
import { seededRandom } from "../base/index.ts";
import { harness, type Harness } from "./testing.ts";
import { withTokenRequests, type TokenIssuerConfig } from "./token-request.ts";
import type { ResourceHandler } from "./types.ts";

const ISS = "https://kubernetes.default.svc.cluster.local";
const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
const signing = (() => {
  const r = parseTokenKeys(privateKey.export({ type: "pkcs8", format: "pem" }).toString(), "sign");
  assert.ok(r.ok);
  return r.keys[0]!;
})();
const verifying: TokenKey[] = (() => {
  const r = parseTokenKeys(publicKey.export({ type: "spki", format: "pem" }).toString(), "verify");
  assert.ok(r.ok);
  return [...r.keys];
})();

const tokenRequest = (name: string, spec: Record<string, unknown> = {}): ApiObject =>
  ({ apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", metadata: { name, namespace: "default" }, spec }) as ApiObject;

async function setup(issuer: TokenIssuerConfig | string = { key: signing, issuer: ISS, audiences: [ISS] }): Promise<{ t: Harness; sa: ResourceHandler }> {
  const t = await harness();
  const registry = withTokenRequests(t.registry, { stores: t.stores, random: seededRandom(3), issuer });
  const sa = registry.handler("", "v1", "serviceaccounts")!;
  await sa.create(t.ctx(), "default", { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "ci" } } as ApiObject);
  await t.h("", "secrets").create(t.ctx(), "default", { apiVersion: "v1", kind: "Secret", metadata: { name: "s" } } as ApiObject);
  await t.h("", "pods").create(t.ctx(), "default", { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: { serviceAccountName: "other", containers: [{ name: "c", image: "i" }] } } as ApiObject);
  return { t, sa };
}

test("TokenRequest: defaults, echo, status, and a token that verifies", async () => {
  const { t, sa } = await setup();
  const out = (await sa.create(t.ctx(), "default", tokenRequest("ci"), "token")) as unknown as Record<string, Record<string, unknown>>;
  assert.equal(out["kind"] as unknown, "TokenRequest");
  assert.deepEqual(out["spec"], { audiences: [ISS], expirationSeconds: 3600 });
  assert.deepEqual(out["metadata"], { name: "ci", namespace: "default", creationTimestamp: "2026-11-22T20:00:00Z" });
  assert.equal(out["status"]?.["expirationTimestamp"], "2026-11-22T21:00:00Z");
  const r = verifyServiceAccountToken(String(out["status"]?.["token"]), { issuer: ISS, audiences: [ISS], keys: verifying, now: t.clock.now() });
  assert.equal(r.outcome, "valid");
  const saObj = await t.h("", "serviceaccounts").get(t.ctx(), "default", "ci");
  if (r.outcome === "valid") assert.deepEqual(r.claims["kubernetes.io"], { namespace: "default", serviceaccount: { name: "ci", uid: saObj.metadata.uid } });
});

test("TokenRequest errors as kube-apiserver words them", async () => {
  const { t, sa } = await setup();
  const secretUid = (await t.h("", "secrets").get(t.ctx(), "default", "s")).metadata.uid;
  const cases: [string, ApiObject, string, string][] = [
    ["no such SA", tokenRequest("nope"), "NotFound", 'serviceaccounts "nope" not found'],
    ["too short", tokenRequest("ci", { expirationSeconds: 300 }), "Invalid", 'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 300: may not specify a duration less than 10 minutes'],
    ["too long", tokenRequest("ci", { expirationSeconds: 2 ** 32 + 1 }), "Invalid", 'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 4294967297: may not specify a duration larger than 2^32 seconds'],
    ["bound secret missing", tokenRequest("ci", { boundObjectRef: { kind: "Secret", apiVersion: "v1", name: "gone" } }), "NotFound", 'secrets "gone" not found'],
    ["bound uid mismatch", tokenRequest("ci", { boundObjectRef: { kind: "Secret", apiVersion: "v1", name: "s", uid: "x" } }), "Conflict",
      'Operation cannot be fulfilled on Secret "s": the UID in the bound object reference (x) does not match the UID in record. The object might have been deleted and then recreated'],
    ["unknown kind", tokenRequest("ci", { boundObjectRef: { kind: "ConfigMap", apiVersion: "v1", name: "s" } }), "BadRequest", "cannot bind token to object of type /v1, Kind=ConfigMap"],
    ["pod of another SA", tokenRequest("ci", { boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "p" } }), "BadRequest", 'cannot bind token for serviceaccount "ci" to pod running with different serviceaccount name.'],
  ];
  for (const [name, body, code, message] of cases) {
    await assert.rejects(sa.create(t.ctx(), "default", body, "token"), (e: unknown) => e instanceof ApiError && e.code === code && e.message === message, name);
  }
  const ok = (await sa.create(t.ctx(), "default", tokenRequest("ci", { boundObjectRef: { kind: "Secret", apiVersion: "v1", name: "s", uid: secretUid } }), "token")) as unknown as Record<string, Record<string, unknown>>;
  const r = verifyServiceAccountToken(String(ok["status"]?.["token"]), { issuer: ISS, audiences: [ISS], keys: verifying, now: t.clock.now() });
  assert.ok(r.outcome === "valid" && r.claims["kubernetes.io"].secret?.uid === secretUid);
  await assert.rejects(sa.get(t.ctx(), "default", "ci", "token"), (e: unknown) => e instanceof ApiError && e.code === "MethodNotAllowed");
  assert.equal((await sa.get(t.ctx(), "default", "ci")).kind, "ServiceAccount", "the main resource is untouched");
});

test("max expiration shortens with kube's warning; no signing key → a clear error", async () => {
  const { t, sa } = await setup({ key: signing, issuer: ISS, audiences: ["api"], maxExpirationSeconds: 7200 });
  const ctx = t.ctx();
  const out = (await sa.create(ctx, "default", tokenRequest("ci", { expirationSeconds: 86400, audiences: ["vault"] }), "token")) as unknown as Record<string, Record<string, unknown>>;
  assert.deepEqual(out["spec"], { audiences: ["vault"], expirationSeconds: 7200 });
  assert.deepEqual(ctx.warnings, ["requested expiration of 86400 seconds shortened to 7200 seconds"]);
  const off = await setup("no service-account signing key");
  await assert.rejects(off.sa.create(off.t.ctx(), "default", tokenRequest("ci"), "token"), /service-account tokens are off: no service-account signing key/);
});
