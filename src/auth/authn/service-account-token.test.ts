import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, createHmac, createPublicKey, generateKeyPairSync, sign as rawSign, type KeyObject } from "node:crypto";
import {
  checkServiceAccountToken, keyId, openIdMetadata, publicJwks, parseTokenKeys, serviceAccountClaims, serviceAccountTokenAuthenticator, signJwt, VerifiedSignatures, uuidFromBytes, verifyServiceAccountToken, type LiveObject, type TokenKey,
} from "./service-account-token.ts";

const ISS = "https://kubernetes.default.svc.cluster.local";
const NOW = new Date("2026-01-01T00:00:00Z");
const SA = { name: "ci", uid: "sa-uid-1" };

function pair(kind: "rsa" | "ec"): { signing: TokenKey; verifying: TokenKey; pub: KeyObject } {
  const { privateKey, publicKey } = kind === "rsa" ? generateKeyPairSync("rsa", { modulusLength: 2048 }) : generateKeyPairSync("ec", { namedCurve: "P-256" });
  const s = parseTokenKeys(privateKey.export({ type: "pkcs8", format: "pem" }).toString(), "sign");
  const v = parseTokenKeys(publicKey.export({ type: "spki", format: "pem" }).toString(), "verify");
  assert.ok(s.ok && v.ok);
  return { signing: s.keys[0]!, verifying: v.keys[0]!, pub: publicKey };
}
const RSA = pair("rsa");
const EC = pair("ec");

const claims = (o: { now?: Date; iss?: string; aud?: string[]; exp?: number } = {}) =>
  serviceAccountClaims({ issuer: o.iss ?? ISS, audiences: o.aud ?? [ISS], namespace: "default", serviceAccount: SA, now: o.now ?? NOW, expirationSeconds: o.exp ?? 3600, jti: "j-1" });
const verifyAt = (token: string, now: Date, keys: TokenKey[] = [RSA.verifying, EC.verifying]) => verifyServiceAccountToken(token, { issuer: ISS, audiences: [ISS], keys, now });
const part = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString("base64url");

test("sign/verify round trip, RS256 and ES256, with kube's header and claims", () => {
  for (const [alg, k, sigLen] of [["RS256", RSA, 256], ["ES256", EC, 64]] as const) {
    const token = signJwt(claims(), k.signing);
    const [h = "", p = "", s = ""] = token.split(".");
    assert.deepEqual(JSON.parse(Buffer.from(h, "base64url").toString()), { alg, kid: k.verifying.kid });
    assert.equal(Buffer.from(s, "base64url").length, sigLen, `${alg}: raw signature (P1363 r||s for ECDSA)`);
    const payload = JSON.parse(Buffer.from(p, "base64url").toString()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(payload), ["aud", "exp", "iat", "iss", "jti", "kubernetes.io", "nbf", "sub"]);
    assert.equal(payload["sub"], "system:serviceaccount:default:ci");
    assert.equal(payload["exp"], NOW.getTime() / 1000 + 3600);
    const r = verifyAt(token, NOW);
    assert.equal(r.outcome, "valid", alg);
  }
});

test("kid is base64url(SHA-256(PKIX DER)) without padding", () => {
  const want = createHash("sha256").update(RSA.pub.export({ type: "spki", format: "der" })).digest("base64").replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  assert.equal(keyId(RSA.pub), want);
  assert.equal(RSA.verifying.kid, want);
  assert.equal(RSA.signing.kid, want, "the signing key's kid is its public key's");
  assert.doesNotMatch(want, /[=+/]/);
});

test("rejections (table, injected clock)", () => {
  const good = signJwt(claims(), RSA.signing);
  const [h, p] = good.split(".");
  const hs256 = `${part({ alg: "HS256", kid: RSA.verifying.kid })}.${p}`;
  const rs = (header: object, payload: object): string => {
    const input = `${part(header)}.${part(payload)}`;
    return `${input}.${rawSign("sha256", Buffer.from(input), RSA.signing.key).toString("base64url")}`;
  };
  const later = (s: number): Date => new Date(NOW.getTime() + s * 1000);
  const cases: [string, string, Date, string | RegExp][] = [
    ["bad signature", `${h}.${p}.${"A".repeat(342)}`, NOW, /signature does not verify/],
    ["signed by another key", signJwt(claims(), pair("rsa").signing), NOW, /signature does not verify/],
    ["alg none", `${part({ alg: "none" })}.${p}.`, NOW, /signature does not verify \(alg none\)/],
    ["HS256 with the public key as secret", `${hs256}.${createHmac("sha256", RSA.pub.export({ type: "spki", format: "pem" })).update(hs256).digest("base64url")}`, NOW, /alg HS256/],
    ["RS256 header on an ES256 key's token", `${part({ alg: "RS256", kid: EC.verifying.kid })}.${signJwt(claims(), EC.signing).split(".").slice(1).join(".")}`, NOW, /signature/],
    ["wrong aud", signJwt(claims({ aud: ["vault"] }), RSA.signing), NOW, 'token audiences ["vault"] is invalid for the target audiences ["https://kubernetes.default.svc.cluster.local"]'],
    ["expired beyond the leeway", good, later(3600 + 61), "service account token has expired"],
    ["nbf in the future beyond the leeway", good, later(-61), "service account token is not valid yet"],
    ["iat in the future", rs({ alg: "RS256" }, { ...claims(), nbf: undefined, iat: NOW.getTime() / 1000 + 120 }), NOW, "service account token is issued in the future"],
    ["no exp", rs({ alg: "RS256" }, { ...claims(), exp: undefined }), NOW, "service account token has no expiration"],
    ["no kubernetes.io claim", rs({ alg: "RS256" }, { ...claims(), "kubernetes.io": undefined }), NOW, /no valid kubernetes.io claim/],
    ["malformed header", `%%%.${p}.abc`, NOW, "malformed token header"],
    ["malformed signature", `${h}.${p}.a+b/`, NOW, "malformed token signature"],
  ];
  for (const [name, token, now, want] of cases) {
    const r = verifyAt(token, now);
    assert.equal(r.outcome, "invalid", name);
    if (r.outcome === "invalid") assert.match(r.reason, typeof want === "string" ? new RegExp(`^${want.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`) : want, name);
  }
  // Inside the leeway: still valid.
  assert.equal(verifyAt(good, later(3600 + 59)).outcome, "valid");
  assert.equal(verifyAt(good, later(-59)).outcome, "valid");
});

test("not ours → not-ours (another authenticator may know it)", () => {
  const cases: [string, string][] = [
    ["static token", "abc123"],
    ["two parts", "a.b"],
    ["four parts", "a.b.c.d"],
    ["payload not JSON", "a.%%%.c"],
    ["other issuer", signJwt(claims({ iss: "https://dex.example" }), RSA.signing)],
  ];
  for (const [name, token] of cases) assert.equal(verifyAt(token, NOW).outcome, "not-ours", name);
});

test("parseTokenKeys: clear reasons; several public keys; Ed25519 refused", () => {
  assert.deepEqual(parseTokenKeys("hello", "verify"), { ok: false, reason: "no PEM block found" });
  const ed = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const r = parseTokenKeys(ed, "sign");
  assert.ok(!r.ok && /ed25519 key cannot sign/.test(r.reason));
  const two = [RSA.pub, EC.pub].map((k) => k.export({ type: "spki", format: "pem" }).toString()).join("");
  const v = parseTokenKeys(two, "verify");
  assert.ok(v.ok);
  assert.deepEqual(v.keys.map((k) => k.alg), ["RS256", "ES256"]);
  // A signing key file holding only public material says so; a private key after it is used.
  assert.deepEqual(parseTokenKeys(two, "sign"), { ok: false, reason: "no private key in it (found PUBLIC KEY, PUBLIC KEY)" });
  const withKey = parseTokenKeys(two + EC.signing.key.export({ type: "pkcs8", format: "pem" }).toString(), "sign");
  assert.ok(withKey.ok && withKey.keys[0]?.alg === "ES256");
});

test("VerifiedSignatures: a token's signature is checked once; its claims every time; bounded", () => {
  const verified = new VerifiedSignatures(2);
  const token = signJwt(claims(), EC.signing);
  const at = (now: Date, keys: TokenKey[] = [EC.verifying]) => verifyServiceAccountToken(token, { issuer: ISS, audiences: [ISS], keys, now, verified });
  assert.equal(at(NOW).outcome, "valid");
  assert.ok(verified.has(token));
  // Remembered: valid without its key (proof the signature was not checked again) …
  assert.equal(at(NOW, []).outcome, "valid");
  // … but an expired or wrong-audience use of it is still refused.
  assert.deepEqual(at(new Date(NOW.getTime() + 2 * 3600_000)), { outcome: "invalid", reason: "service account token has expired" });
  assert.equal(verifyServiceAccountToken(token, { issuer: ISS, audiences: ["other"], keys: [EC.verifying], now: NOW, verified }).outcome, "invalid");
  // A token whose signature fails is never remembered.
  const [h, p] = token.split(".");
  const forged = `${h}.${p}.${Buffer.alloc(64).toString("base64url")}`;
  assert.equal(verifyServiceAccountToken(forged, { issuer: ISS, audiences: [ISS], keys: [EC.verifying], now: NOW, verified }).outcome, "invalid");
  assert.ok(!verified.has(forged));
  // Bounded: the oldest token goes first.
  const others = [signJwt(claims({ exp: 1200 }), EC.signing), signJwt(claims({ exp: 1800 }), EC.signing)];
  for (const t of others) verified.add(t);
  assert.ok(!verified.has(token) && others.every((t) => verified.has(t)));
});

test("uuidFromBytes is a v4 uuid", () => {
  assert.equal(uuidFromBytes(new Uint8Array(16).fill(0xff)), "ffffffff-ffff-4fff-bfff-ffffffffffff");
});

test("authenticator: user, live SA and bound-object checks", async () => {
  const objects = new Map<string, LiveObject>([["ServiceAccount/default/ci", { uid: "sa-uid-1" }], ["Pod/default/p", { uid: "pod-uid" }]]);
  let now = NOW;
  const a = serviceAccountTokenAuthenticator({
    issuer: ISS, audiences: [ISS], keys: [EC.verifying], now: () => now, lookup: async (kind, ns, name) => objects.get(`${kind}/${ns}/${name}`),
  });
  const podToken = signJwt(serviceAccountClaims({ issuer: ISS, audiences: [ISS], namespace: "default", serviceAccount: SA, bound: { kind: "Pod", ref: { name: "p", uid: "pod-uid" } }, now: NOW, expirationSeconds: 3600, jti: "j-2" }), EC.signing);
  assert.deepEqual(await a.authenticate({ peerCertificates: [], path: "/", bearerToken: podToken }), {
    outcome: "authenticated",
    user: {
      name: "system:serviceaccount:default:ci", uid: "sa-uid-1", groups: ["system:serviceaccounts", "system:serviceaccounts:default"],
      extra: { "authentication.kubernetes.io/credential-id": ["JTI=j-2"], "authentication.kubernetes.io/pod-name": ["p"], "authentication.kubernetes.io/pod-uid": ["pod-uid"] },
    },
  });
  const cases: [string, () => void, string][] = [
    ["pod re-created", () => objects.set("Pod/default/p", { uid: "other" }), "pod UID (other) does not match service account pod ref claim (pod-uid)"],
    ["pod gone", () => objects.delete("Pod/default/p"), "pod default/p not found"],
    ["sa deleted long ago", () => objects.set("ServiceAccount/default/ci", { uid: "sa-uid-1", deletionTimestamp: "2025-12-31T23:58:00Z" }), "service account default/ci has been deleted"],
    ["sa re-created", () => objects.set("ServiceAccount/default/ci", { uid: "new" }), "service account UID (new) does not match claim (sa-uid-1)"],
    ["sa gone", () => objects.clear(), "service account default/ci not found"],
  ];
  for (const [name, change, reason] of cases) {
    change();
    assert.deepEqual(await a.authenticate({ peerCertificates: [], path: "/", bearerToken: podToken }), { outcome: "rejected", reason }, name);
  }
  now = new Date(NOW.getTime() + 10 * 3600_000);
  assert.deepEqual(await a.authenticate({ peerCertificates: [], path: "/", bearerToken: "static" }), { outcome: "not-applicable" });
  assert.deepEqual(await a.authenticate({ peerCertificates: [], path: "/" }), { outcome: "not-applicable" });
});

test("issuer discovery: JWKS in go-jose member order, keys that verify the tokens; metadata", () => {
  const set = publicJwks([RSA.verifying, EC.verifying]);
  assert.deepEqual(set.keys.map((k) => Object.keys(k)), [["use", "kty", "kid", "alg", "n", "e"], ["use", "kty", "kid", "crv", "alg", "x", "y"]]);
  for (const [i, k] of [RSA, EC].entries()) {
    const jwk = set.keys[i]!;
    assert.equal(jwk["kid"], k.verifying.kid);
    const fromJwk = createPublicKey({ key: jwk as never, format: "jwk" });
    const r = verifyServiceAccountToken(signJwt(claims(), k.signing), { issuer: ISS, audiences: [ISS], keys: [{ ...k.verifying, key: fromJwk }], now: NOW });
    assert.equal(r.outcome, "valid");
  }
  assert.deepEqual(openIdMetadata(ISS, "https://h:6443/openid/v1/jwks", [RSA.verifying, EC.verifying]), {
    issuer: ISS, jwks_uri: "https://h:6443/openid/v1/jwks", response_types_supported: ["id_token"], subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: ["ES256", "RS256"],
  });
});

test("checkServiceAccountToken: per-call audiences (TokenReview spec.audiences) and the matched ones", async () => {
  const o = { issuer: ISS, audiences: [ISS], keys: [EC.verifying], now: () => NOW, lookup: async () => ({ uid: SA.uid }) };
  const token = signJwt(claims({ aud: ["a", "b", ISS] }), EC.signing);
  const cases: [string, string[], string[] | string][] = [
    ["API audiences", [ISS], [ISS]],
    ["two requested, two matched, token order", ["b", "x", "a"], ["a", "b"]],
    ["none matched", ["x"], `token audiences ["a" "b" "${ISS}"] is invalid for the target audiences ["x"]`],
  ];
  for (const [name, audiences, want] of cases) {
    const r = await checkServiceAccountToken(o, token, audiences);
    if (typeof want === "string") assert.deepEqual(r, { outcome: "rejected", reason: want }, name);
    else assert.deepEqual(r.outcome === "authenticated" ? r.audiences : r, want, name);
  }
});
