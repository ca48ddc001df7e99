// X.509 client-certificate authentication (apiserver pkg/authentication/request/x509/x509.go; reference §1).
// The TLS handshake only *requests* a certificate; verification happens here so a bad certificate becomes a
// 401 ("rejected"), not a handshake failure. Results are cached per presented chain so keep-alive requests
// do not re-verify signatures; a cached success expires no later than the chain's earliest notAfter.
import type { Clock } from "../../base/index.ts";
import { verifyChain, type Certificate } from "../../pki/index.ts";
import type { AuthenticationResult, Authenticator, PresentedCredentials, UserInfo } from "../types.ts";

export const CREDENTIAL_ID_KEY = "authentication.kubernetes.io/credential-id";
/** AllowParsingUserUIDFromCertAuth (beta, on by default since 1.34): this subject attribute is the UID. */
const UID_OID = "1.3.6.1.4.1.57683.2";

export interface X509AuthenticatorOptions {
  /** The client CA bundle now; undefined = none loaded → no opinion (dynamic CA, x509.go VerifyOptionFunc). */
  readonly roots: () => readonly Certificate[] | undefined;
  readonly clock: Clock;
  /** How long a verification result is reused (default 60 s). */
  readonly cacheTtlMs?: number;
  /** Most chains remembered (default 4096; oldest evicted first). */
  readonly cacheSize?: number;
  /** kpki's revocation (kube has none): a leaf for which this is true is rejected, before any cached
   *  verdict, so a revocation applies from the next request on. Called on every authentication. */
  readonly isRevoked?: (leaf: Certificate) => boolean;
}

interface CacheEntry {
  readonly result: AuthenticationResult;
  readonly expiresAt: number;
}

export function x509Authenticator(opts: X509AuthenticatorOptions): Authenticator {
  const ttl = opts.cacheTtlMs ?? 60_000;
  const limit = opts.cacheSize ?? 4096;
  const cache = new Map<string, CacheEntry>();
  let cachedRoots: readonly Certificate[] | undefined;
  return {
    async authenticate(c: PresentedCredentials): Promise<AuthenticationResult> {
      const leaf = c.peerCertificates[0];
      if (leaf === undefined) return { outcome: "not-applicable" };
      const roots = opts.roots();
      if (roots === undefined) return { outcome: "not-applicable" };
      if (opts.isRevoked?.(leaf) === true) return { outcome: "rejected", reason: describeFailure(leaf, "certificate has been revoked") };
      if (roots !== cachedRoots) {
        // A reloaded CA bundle invalidates every earlier verdict; the same bundle in a new array does not.
        if (cachedRoots === undefined || !sameCertificates(roots, cachedRoots)) cache.clear();
        cachedRoots = roots;
      }
      const now = opts.clock.now();
      const key = c.peerCertificates.length === 1 ? leaf.fingerprintSha256 : c.peerCertificates.map((p) => p.fingerprintSha256).join(",");
      const hit = cache.get(key);
      if (hit !== undefined && now.getTime() < hit.expiresAt) return hit.result;
      const { result, validUntil } = verifyAndMap(c.peerCertificates, roots, now);
      if (hit !== undefined) cache.delete(key);
      else if (cache.size >= limit) cache.delete(cache.keys().next().value ?? "");
      cache.set(key, { result, expiresAt: Math.min(now.getTime() + ttl, validUntil) });
      return result;
    },
  };
}

function sameCertificates(a: readonly Certificate[], b: readonly Certificate[]): boolean {
  return a.length === b.length && a.every((c, i) => c.fingerprintSha256 === b[i]?.fingerprintSha256);
}

function verifyAndMap(
  presented: readonly Certificate[],
  roots: readonly Certificate[],
  now: Date,
): { result: AuthenticationResult; validUntil: number } {
  const leaf = presented[0] as Certificate;
  // purpose "client": Go's KeyUsages=[ClientAuth] — every certificate of the chain carrying EKU must permit it.
  const verified = verifyChain(leaf, { roots, intermediates: presented.slice(1), purpose: "client", at: now });
  if (!verified.ok) {
    // Rejections are remembered briefly: a not-yet-valid certificate may become valid.
    return { result: { outcome: "rejected", reason: describeFailure(leaf, verified.reason) }, validUntil: now.getTime() + 10_000 };
  }
  const validUntil = Math.min(...verified.chain.map((cert) => cert.notAfter.getTime() + 1));
  return { result: userFromLeaf(leaf), validUntil };
}

/** `verifying certificate SN=<decimal>, SKID=<AA:BB>, AKID=<AA:BB> failed: <error>` (x509.go). */
export function describeFailure(leaf: Certificate, error: string): string {
  const serial = leaf.serialHex === "" ? "<nil>" : BigInt(`0x${leaf.serialHex}`).toString(10);
  return `verifying certificate SN=${serial}, SKID=${colonHex(leaf.subjectKeyId)}, AKID=${colonHex(leaf.authorityKeyId)} failed: ${error}`;
}

function colonHex(bytes: Uint8Array | undefined): string {
  if (bytes === undefined) return "";
  return Array.from(bytes, (b) => b.toString(16).toUpperCase().padStart(2, "0")).join(":");
}

/** CommonNameUserConversion: name = CN (the last one, as Go's pkix.Name keeps), groups = every O in order,
 *  extra credential-id = SHA-256 of the leaf DER; no CN → no opinion. */
export function userFromLeaf(leaf: Certificate): AuthenticationResult {
  const attrs = leaf.subject.attributes;
  const cn = attrs.filter((a) => a.type === "CN").at(-1)?.value ?? "";
  if (cn === "") return { outcome: "not-applicable" };
  const uids = attrs.filter((a) => a.type === UID_OID).map((a) => a.value);
  if (uids.length > 1) return { outcome: "rejected", reason: `expected 1 UID, but found multiple: [${uids.join(" ")}]` };
  if (uids.length === 1 && uids[0] === "") return { outcome: "rejected", reason: "UID cannot be an empty string" };
  const user: UserInfo = Object.freeze({
    name: cn,
    ...(uids[0] ? { uid: uids[0] } : {}),
    groups: Object.freeze(attrs.filter((a) => a.type === "O").map((a) => a.value)),
    extra: Object.freeze({ [CREDENTIAL_ID_KEY]: Object.freeze([`X509SHA256=${leaf.fingerprintSha256}`]) }),
  });
  return { outcome: "authenticated", user };
}
