// Service-account JWTs as kube-apiserver issues and checks them (pkg/serviceaccount/jwt.go + claims.go):
// JWS compact serialisation (RFC 7515 §7.1) signed RS256 or ES256/384/512 (RFC 7518 §3.3, §3.4: the
// ECDSA signature is raw r||s, not DER), header {alg, kid} with kid = base64url(SHA-256(PKIX DER of the
// public key)), claims iss/sub/aud/exp/iat/nbf/jti + "kubernetes.io". Pure: time and the jti are parameters.
import type { Authenticator } from "../types.ts";
import type { TokenCheck, TokenCheckResult } from "./token.ts";
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from "node:crypto";

export type JwtAlgorithm = "RS256" | "ES256" | "ES384" | "ES512";

export interface TokenKey {
  readonly alg: JwtAlgorithm;
  readonly kid: string;
  /** Private for a signing key, public for a verifying key. */
  readonly key: KeyObject;
}

export type KeyParseResult = { readonly ok: true; readonly keys: readonly TokenKey[] } | { readonly ok: false; readonly reason: string };

export interface ObjectRef {
  readonly name: string;
  readonly uid: string;
}
export type BoundKind = "Pod" | "Secret" | "Node";

/** The "kubernetes.io" private claim (claims.go `kubernetes`), keys in go-jose's (sorted) output order. */
export interface KubernetesClaim {
  readonly namespace: string;
  readonly node?: ObjectRef;
  readonly pod?: ObjectRef;
  readonly secret?: ObjectRef;
  readonly serviceaccount: ObjectRef;
}

export interface ServiceAccountClaims {
  readonly aud: readonly string[];
  readonly exp: number;
  readonly iat: number;
  readonly iss: string;
  readonly jti: string;
  readonly "kubernetes.io": KubernetesClaim;
  readonly nbf: number;
  readonly sub: string;
}

export interface ClaimsInput {
  readonly issuer: string;
  readonly audiences: readonly string[];
  readonly namespace: string;
  readonly serviceAccount: ObjectRef;
  readonly bound?: { readonly kind: BoundKind; readonly ref: ObjectRef };
  readonly now: Date;
  readonly expirationSeconds: number;
  readonly jti: string;
}

/** jwt.DefaultLeeway: exp/nbf/iat are checked with a minute of clock skew allowed. */
export const TOKEN_LEEWAY_SECONDS = 60;
const CURVE_ALG: Readonly<Record<string, JwtAlgorithm>> = { prime256v1: "ES256", secp384r1: "ES384", secp521r1: "ES512" };
const HASH: Readonly<Record<JwtAlgorithm, string>> = { RS256: "sha256", ES256: "sha256", ES384: "sha384", ES512: "sha512" };

/** keyIDFromPublicKey: base64url, no padding, of SHA-256 over the PKIX (SubjectPublicKeyInfo) DER. */
export function keyId(publicKey: KeyObject): string {
  return createHash("sha256").update(publicKey.export({ type: "spki", format: "der" })).digest("base64url");
}

function algorithmOf(k: KeyObject): JwtAlgorithm | undefined {
  if (k.asymmetricKeyType === "rsa") return "RS256";
  if (k.asymmetricKeyType === "ec") return CURVE_ALG[k.asymmetricKeyDetails?.namedCurve ?? ""];
  return undefined;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/** Every PEM block of a --service-account-key-file (public keys, certificates or private keys, as kube's
 *  keyutil.ParsePublicKeysPEM accepts) or the one private key of --service-account-signing-key-file. */
export function parseTokenKeys(pem: string, use: "sign" | "verify"): KeyParseResult {
  const blocks = [...pem.matchAll(PEM_BLOCK)];
  if (blocks.length === 0) return { ok: false, reason: "no PEM block found" };
  const keys: TokenKey[] = [];
  for (const [block = "", label = ""] of blocks) {
    // A signing key file's first private key signs (kube: keyutil.ParsePrivateKeyPEM skips other blocks).
    if (use === "sign" && !label.includes("PRIVATE KEY")) continue;
    let key: KeyObject;
    try {
      key = use === "sign" ? createPrivateKey(block) : createPublicKey(block);
    } catch (err) {
      if (use === "verify" && !/PUBLIC KEY|PRIVATE KEY|CERTIFICATE/.test(label)) continue;
      return { ok: false, reason: `cannot parse the ${label} block: ${err instanceof Error ? err.message : String(err)}` };
    }
    const alg = algorithmOf(key);
    if (alg === undefined) return { ok: false, reason: `a ${key.asymmetricKeyType ?? "unknown"} key cannot sign service-account tokens (RSA or ECDSA P-256/P-384/P-521 only)` };
    keys.push({ alg, kid: keyId(use === "sign" ? createPublicKey(key) : key), key });
    if (use === "sign") break;
  }
  if (keys.length > 0) return { ok: true, keys };
  return { ok: false, reason: use === "sign" ? `no private key in it (found ${blocks.map((b) => b[1]).join(", ")})` : "no key found" };
}

/** claims.go Claims(): sub system:serviceaccount:NS:NAME, iat = nbf = now, exp = now + expirationSeconds. */
export function serviceAccountClaims(c: ClaimsInput): ServiceAccountClaims {
  const now = Math.floor(c.now.getTime() / 1000);
  const k8s: KubernetesClaim = {
    namespace: c.namespace,
    ...(c.bound?.kind === "Node" ? { node: c.bound.ref } : {}),
    ...(c.bound?.kind === "Pod" ? { pod: c.bound.ref } : {}),
    ...(c.bound?.kind === "Secret" ? { secret: c.bound.ref } : {}),
    serviceaccount: c.serviceAccount,
  };
  return {
    aud: [...c.audiences], exp: now + c.expirationSeconds, iat: now, iss: c.issuer, jti: c.jti, "kubernetes.io": k8s, nbf: now,
    sub: `system:serviceaccount:${c.namespace}:${c.serviceAccount.name}`,
  };
}

const b64 = (s: string): string => Buffer.from(s, "utf8").toString("base64url");

/** RFC 7515 compact JWS. */
export function signJwt(claims: object, k: TokenKey): string {
  const input = `${b64(JSON.stringify({ alg: k.alg, kid: k.kid }))}.${b64(JSON.stringify(claims))}`;
  const sig = sign(HASH[k.alg], Buffer.from(input), k.alg === "RS256" ? k.key : { key: k.key, dsaEncoding: "ieee-p1363" });
  return `${input}.${sig.toString("base64url")}`;
}

/** A uuid v4 (RFC 9562 §5.4) from 16 random bytes: the jti. */
export function uuidFromBytes(bytes: Uint8Array): string {
  const b = Uint8Array.from(bytes.subarray(0, 16));
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = Buffer.from(b).toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export interface VerifyOptions {
  readonly issuer: string;
  readonly audiences: readonly string[];
  readonly keys: readonly TokenKey[];
  readonly now: Date;
  /** Tokens whose signature already verified with these keys (the claims are still checked each time). */
  readonly verified?: VerifiedSignatures;
}

/**
 * A bounded memo of tokens whose signature verified. A client sends the same token on every request,
 * and the signature check is the costly part (≈ 150 µs for ES256 here, against a few µs for the rest);
 * the verifying keys are fixed for the server's life, so a token that verified once verifies again.
 * Only the signature is remembered: audiences, exp/nbf/iat and the live ServiceAccount are checked on
 * every request, so a deleted ServiceAccount's token stops working at once (kube's 10 s token cache
 * would keep it for up to 10 s).
 */
export class VerifiedSignatures {
  readonly #tokens = new Set<string>();
  readonly #limit: number;

  constructor(limit = 1024) {
    this.#limit = Math.max(1, limit);
  }

  has(token: string): boolean {
    return this.#tokens.has(token);
  }

  add(token: string): void {
    if (this.#tokens.has(token)) return;
    if (this.#tokens.size >= this.#limit) this.#tokens.delete(this.#tokens.values().next().value ?? "");
    this.#tokens.add(token);
  }
}

export type VerifyResult =
  | { readonly outcome: "valid"; readonly claims: ServiceAccountClaims }
  /** Not a JWT, or one from another issuer: another authenticator may know it (jwt.go hasCorrectIssuer). */
  | { readonly outcome: "not-ours" }
  | { readonly outcome: "invalid"; readonly reason: string };

const B64URL = /^[A-Za-z0-9_-]*$/;
/** Go's %q of a []string (jwt.go's audience error): ["a" "b"]. */
const goQuoted = (list: readonly string[]): string => `[${list.map((a) => JSON.stringify(a)).join(" ")}]`;

function decodePart(part: string): unknown {
  if (!B64URL.test(part)) return undefined;
  try {
    return JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as unknown;
  } catch {
    return undefined;
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isRef = (v: unknown): v is ObjectRef => isRecord(v) && typeof v["name"] === "string" && typeof v["uid"] === "string";

/** The private claim, checked as kube's validator reads it (every reference needs name and uid). */
function kubernetesClaim(v: unknown): KubernetesClaim | undefined {
  if (!isRecord(v) || typeof v["namespace"] !== "string" || v["namespace"] === "" || !isRef(v["serviceaccount"])) return undefined;
  for (const k of ["pod", "secret", "node"]) if (v[k] !== undefined && !isRef(v[k])) return undefined;
  return v as unknown as KubernetesClaim;
}

/** Signature with one of `keys` (alg must be the key's: "none"/HS256 never verify), then aud ∩ audiences,
 *  then exp/nbf/iat with TOKEN_LEEWAY_SECONDS — jwt.go AuthenticateToken and claims.go Validate order. */
export function verifyServiceAccountToken(token: string, o: VerifyOptions): VerifyResult {
  const parts = token.split(".");
  if (parts.length !== 3) return { outcome: "not-ours" };
  const [h = "", p = "", s = ""] = parts;
  const payload = decodePart(p);
  if (!isRecord(payload) || payload["iss"] !== o.issuer) return { outcome: "not-ours" };
  const header = decodePart(h);
  if (!isRecord(header) || typeof header["alg"] !== "string") return { outcome: "invalid", reason: "malformed token header" };
  if (!B64URL.test(s)) return { outcome: "invalid", reason: "malformed token signature" };
  if (!(o.verified?.has(token) ?? false)) {
    const sig = Buffer.from(s, "base64url");
    const data = Buffer.from(`${h}.${p}`);
    const ok = o.keys.some((k) => k.alg === header["alg"] && verify(HASH[k.alg], data, k.alg === "RS256" ? k.key : { key: k.key, dsaEncoding: "ieee-p1363" }, sig));
    if (!ok) return { outcome: "invalid", reason: `token signature does not verify (alg ${String(header["alg"])})` };
    o.verified?.add(token);
  }
  const aud = typeof payload["aud"] === "string" ? [payload["aud"]] : Array.isArray(payload["aud"]) ? payload["aud"].filter((a) => typeof a === "string") : [];
  if (!aud.some((a) => o.audiences.includes(a))) {
    return { outcome: "invalid", reason: `token audiences ${goQuoted(aud)} is invalid for the target audiences ${goQuoted(o.audiences)}` };
  }
  const now = o.now.getTime() / 1000;
  const num = (k: string): number | undefined => (typeof payload[k] === "number" ? (payload[k] as number) : undefined);
  const [exp, nbf, iat] = [num("exp"), num("nbf"), num("iat")];
  if (exp === undefined) return { outcome: "invalid", reason: "service account token has no expiration" };
  if (nbf !== undefined && now + TOKEN_LEEWAY_SECONDS < nbf) return { outcome: "invalid", reason: "service account token is not valid yet" };
  if (now - TOKEN_LEEWAY_SECONDS > exp) return { outcome: "invalid", reason: "service account token has expired" };
  if (iat !== undefined && now + TOKEN_LEEWAY_SECONDS < iat) return { outcome: "invalid", reason: "service account token is issued in the future" };
  const k8s = kubernetesClaim(payload["kubernetes.io"]);
  if (k8s === undefined) return { outcome: "invalid", reason: "service account token has no valid kubernetes.io claim" };
  return { outcome: "valid", claims: { ...(payload as unknown as ServiceAccountClaims), aud, "kubernetes.io": k8s } };
}

// ---- the authenticator (jwt.go jwtTokenAuthenticator + claims.go validator) ------------------------

/** What the validator needs of a live object; undefined = not found. */
export interface LiveObject {
  readonly uid: string;
  readonly deletionTimestamp?: string;
}
/** Reads the ServiceAccount or the bound object (namespace "" for a Node). The consumer owns this
 *  narrow seam (DESIGN.md rule 2): main/ builds it on storage. */
export type TokenObjectLookup = (kind: "ServiceAccount" | BoundKind, namespace: string, name: string) => Promise<LiveObject | undefined>;

export interface ServiceAccountAuthenticatorOptions {
  readonly issuer: string;
  readonly audiences: readonly string[];
  readonly keys: readonly TokenKey[];
  readonly now: () => Date;
  readonly lookup: TokenObjectLookup;
  /** Shared by the request authenticator and TokenReview (VerifiedSignatures). */
  readonly verified?: VerifiedSignatures;
}

export const SERVICE_ACCOUNTS_GROUP = "system:serviceaccounts";
const EXTRA = "authentication.kubernetes.io/";

/** claims.go Validate: an object deleted more than the leeway ago, gone, or re-created (other uid) voids the token. */
async function liveCheck(o: ServiceAccountAuthenticatorOptions, kind: "ServiceAccount" | BoundKind, ns: string, ref: ObjectRef, now: Date): Promise<string | undefined> {
  const what = kind === "ServiceAccount" ? "service account" : kind.toLowerCase();
  const where = kind === "Node" ? ref.name : `${ns}/${ref.name}`;
  const live = await o.lookup(kind, kind === "Node" ? "" : ns, ref.name);
  if (live === undefined) return `${what} ${where} not found`;
  const deleted = live.deletionTimestamp === undefined ? undefined : Date.parse(live.deletionTimestamp);
  if (deleted !== undefined && deleted < now.getTime() - TOKEN_LEEWAY_SECONDS * 1000) return `${what} ${where} has been deleted`;
  if (live.uid !== ref.uid) {
    return kind === "ServiceAccount" ? `service account UID (${live.uid}) does not match claim (${ref.uid})` : `${what} UID (${live.uid}) does not match service account ${what} ref claim (${ref.uid})`;
  }
  return undefined;
}

/** jwt.go AuthenticateToken for one call's audiences (a TokenReview's spec.audiences, else the API
 *  audiences): "authenticated" carries aud ∩ audiences; a JWT that is not ours is "not-applicable". */
export async function checkServiceAccountToken(o: ServiceAccountAuthenticatorOptions, token: string, audiences: readonly string[]): Promise<TokenCheckResult> {
  const now = o.now();
  const r = verifyServiceAccountToken(token, { ...o, audiences, now });
  if (r.outcome === "not-ours") return { outcome: "not-applicable" };
  if (r.outcome === "invalid") return { outcome: "rejected", reason: r.reason };
  const k = r.claims["kubernetes.io"];
  const checks: ["ServiceAccount" | BoundKind, ObjectRef | undefined][] = [["ServiceAccount", k.serviceaccount], ["Secret", k.secret], ["Pod", k.pod], ["Node", k.node]];
  for (const [kind, ref] of checks) {
    const problem = ref === undefined ? undefined : await liveCheck(o, kind, k.namespace, ref, now);
    if (problem !== undefined) return { outcome: "rejected", reason: problem };
  }
  const extra: Record<string, string[]> = { [`${EXTRA}credential-id`]: [`JTI=${r.claims.jti}`] };
  if (k.pod) Object.assign(extra, { [`${EXTRA}pod-name`]: [k.pod.name], [`${EXTRA}pod-uid`]: [k.pod.uid] });
  if (k.node) Object.assign(extra, { [`${EXTRA}node-name`]: [k.node.name], [`${EXTRA}node-uid`]: [k.node.uid] });
  const name = `system:serviceaccount:${k.namespace}:${k.serviceaccount.name}`;
  const user = { name, uid: k.serviceaccount.uid, groups: [SERVICE_ACCOUNTS_GROUP, `${SERVICE_ACCOUNTS_GROUP}:${k.namespace}`], extra };
  return { outcome: "authenticated", user, audiences: r.claims.aud.filter((a) => audiences.includes(a)) };
}

/** The token check as a TokenCheck (a TokenReview's per-call audiences). */
export const serviceAccountTokenCheck = (o: ServiceAccountAuthenticatorOptions): TokenCheck => (token, audiences) => checkServiceAccountToken(o, token, audiences);

/** A bearer JWT of our issuer → system:serviceaccount:NS:NAME; any failure is "rejected" (401), a token
 *  that is not ours is "not-applicable" so the static token file can still answer it. */
export function serviceAccountTokenAuthenticator(o: ServiceAccountAuthenticatorOptions): Authenticator {
  return {
    async authenticate(c) {
      if (c.bearerToken === undefined || c.bearerToken === "") return { outcome: "not-applicable" };
      const r = await checkServiceAccountToken(o, c.bearerToken, o.audiences);
      return r.outcome === "authenticated" ? { outcome: "authenticated", user: r.user } : r;
    },
  };
}

// ---- service-account issuer discovery (pkg/serviceaccount/openidmetadata.go) ------------------------

export const OIDC_CONFIG_PATH = "/.well-known/openid-configuration";
export const JWKS_PATH = "/openid/v1/jwks";

/** The verifying keys as an RFC 7517 JWK Set, members in go-jose's order (use, kty, kid, crv, alg, …). */
export function publicJwks(keys: readonly TokenKey[]): { keys: Record<string, unknown>[] } {
  return {
    keys: keys.map((k) => {
      const jwk = k.key.export({ format: "jwk" });
      const material = jwk.kty === "RSA" ? { n: jwk.n, e: jwk.e } : { x: jwk.x, y: jwk.y };
      return { use: "sig", kty: jwk.kty, kid: k.kid, ...(jwk.crv ? { crv: jwk.crv } : {}), alg: k.alg, ...material };
    }),
  };
}

/** The OpenID Provider Metadata kube serves (OIDC Discovery 1.0 §3): only what service-account tokens need. */
export function openIdMetadata(issuer: string, jwksUri: string, keys: readonly TokenKey[]): Record<string, unknown> {
  return {
    issuer,
    jwks_uri: jwksUri,
    response_types_supported: ["id_token"],
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: [...new Set(keys.map((k) => k.alg))].sort(),
  };
}
