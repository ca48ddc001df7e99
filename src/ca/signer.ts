// Signer: a CA that turns a Csr + SigningProfile into a Certificate (DESIGN.md vocabulary), following
// Kubernetes' CertificateAuthority.Sign + PermissiveSigningPolicy (reference §5).
import { equalBytes, MINUTE, HOUR } from "../base/index.ts";
import type { Clock, RandomSource } from "../base/index.ts";
import {
  canonicalCsr, keyIdentifier, makeDn, randomSerial, verifyCsrSignatureAsync, EKU,
} from "../pki/index.ts";
import type { Certificate, CertificateTemplate, CertRole, Csr, DistinguishedName, SubjectAltNames } from "../pki/index.ts";
import { CaError } from "./errors.ts";
import { assertSigningCa, issueFromTemplate } from "./issue.ts";
import type { CaFiles, KeySigner } from "./issue.ts";
import { usagesToExtensions } from "./usages.ts";

/** A named issuance policy (cfssl "profile"). */
export interface SigningProfile {
  readonly name: string;
  readonly usages: readonly string[];
  readonly expiryMs: number;
  readonly isCa?: boolean;
  readonly pathLen?: number;
  /** Default 5 minutes (kube-controller-manager's Backdate). */
  readonly backdateMs?: number;
  readonly role?: CertRole;
  /** Default true: the subject comes from the CSR unless SignOptions.subject overrides it. */
  readonly copySubject?: boolean;
}

export interface SignOptions {
  readonly subject?: DistinguishedName;
  readonly sans?: SubjectAltNames;
  readonly notAfter?: Date;
  readonly now?: Date;
  readonly skipLint?: boolean;
}

export interface Signer {
  readonly signerName: string;
  readonly caCertificate: Certificate;
  /** The signer's chain up to but not including the root ([] for a root). */
  readonly chain: readonly Certificate[];
  sign(csr: Csr, profile: SigningProfile, options?: SignOptions): Promise<{ certificate: Certificate; chain: readonly Certificate[] }>;
}

const DEFAULT_BACKDATE = 5 * MINUTE;
const badCsr = (): CaError => new CaError("bad-csr", "unable to verify certificate request signature: signature does not verify");

/** Draws from `src` 4 KiB at a time: node's randomBytes costs ≈ 7 µs a call whatever the size, which
 *  is a visible share of an issuance. The bytes still all come from the given source, in order. */
export function bufferedRandom(src: RandomSource, chunk = 4096): RandomSource {
  let buf: Uint8Array = new Uint8Array(0);
  let pos = 0;
  return {
    bytes(n) {
      if (n > chunk) return src.bytes(n);
      if (pos + n > buf.length) {
        buf = src.bytes(chunk);
        pos = 0;
      }
      pos += n;
      return buf.slice(pos - n, pos);
    },
  };
}
const SHORT = 8 * HOUR; // kube-controller-manager signer.go: shorter TTLs are not backdated at the end

/** Go's %v of a time.Time in UTC: "2026-11-22 21:54:36 +0000 UTC". */
export const goTime = (d: Date): string => `${d.toISOString().slice(0, 19).replace("T", " ")} +0000 UTC`;

/** Validity per PermissiveSigningPolicy (reference §5.2), capped at the CA's notAfter. */
export function validityWindow(now: Date, caNotAfter: Date, ttlMs: number, o: { backdateMs?: number; notAfter?: Date } = {}): { notBefore: Date; notAfter: Date } {
  const backdate = o.backdateMs ?? DEFAULT_BACKDATE;
  const notBefore = new Date(now.getTime() - backdate);
  let notAfter = o.notAfter ?? new Date(now.getTime() + ttlMs - (ttlMs < SHORT ? 0 : backdate));
  if (notAfter.getTime() >= caNotAfter.getTime()) notAfter = caNotAfter;
  if (notBefore.getTime() >= caNotAfter.getTime()) throw new CaError("ca-expired", `the signer has expired: NotAfter=${goTime(caNotAfter)}`);
  if (now.getTime() >= caNotAfter.getTime()) {
    throw new CaError("ca-expired", `refusing to sign a certificate that expired in the past: NotAfter=${goTime(caNotAfter)}`);
  }
  return { notBefore, notAfter };
}

function roleFor(profile: SigningProfile, eku: readonly string[]): CertRole | undefined {
  if (profile.role) return profile.role;
  if (profile.isCa) return "intermediate-ca";
  const server = eku.includes(EKU.serverAuth);
  const client = eku.includes(EKU.clientAuth);
  return server && client ? "peer" : server ? "server" : client ? "client" : undefined;
}

export function createLocalSigner(opts: {
  signerName: string;
  caCertificate: Certificate;
  key: KeySigner;
  chain?: readonly Certificate[];
  clock: Clock;
  random: RandomSource;
  /** Proof-of-possession check; default pki's verifyCsrSignatureAsync (a CryptoPool passes its threaded one). */
  verifyCsr?: (csr: Csr) => boolean | Promise<boolean>;
  /** Proof of possession and signature in one step (a CryptoPool: one trip to a worker thread instead
   *  of two). Returns undefined, having signed nothing, when the CSR's signature does not verify. */
  signWithProof?: (csr: Csr, tbs: Uint8Array) => Promise<Uint8Array | undefined>;
  /** The CA's certificate and key files, named in the errors of assertSigningCa. */
  files?: CaFiles;
}): Signer {
  const ca = opts.caCertificate;
  assertSigningCa(opts.key, ca, opts.files);
  const selfSigned = equalBytes(ca.subjectDer, ca.issuerDer);
  const chain = Object.freeze(selfSigned ? [] : [ca, ...(opts.chain ?? []).filter((c) => !equalBytes(c.subjectDer, c.issuerDer))]);
  // AKI = the issuer's SKI (Go behaviour); computed for CAs that lack one.
  const aki = ca.subjectKeyId ?? keyIdentifier(ca.spki);
  const verifyCsr = opts.verifyCsr ?? verifyCsrSignatureAsync;
  const random = bufferedRandom(opts.random);

  async function sign(given: Csr, profile: SigningProfile, o: SignOptions = {}): Promise<{ certificate: Certificate; chain: readonly Certificate[] }> {
    if (!(profile.expiryMs > 0)) throw new CaError("bad-profile", `profile "${profile.name}" has no positive expiry`);
    const csr = canonicalCsr(given);
    const now = o.now ?? opts.clock.now();
    const { notBefore, notAfter } = validityWindow(now, ca.notAfter, profile.expiryMs, { backdateMs: profile.backdateMs, notAfter: o.notAfter });
    const combined = opts.signWithProof;
    if (!combined && !(await verifyCsr(csr))) throw badCsr();
    const { keyUsage, extKeyUsage } = usagesToExtensions(profile.usages);
    const isCa = profile.isCa === true; // a CSR asking for CA:TRUE is ignored (policies.go)
    const t: CertificateTemplate = {
      serialNumber: randomSerial(random),
      subject: o.subject ?? (profile.copySubject === false ? makeDn([]) : csr.subject),
      issuerDer: ca.subjectDer,
      notBefore,
      notAfter,
      spki: csr.spki,
      sans: o.sans ?? csr.sans,
      keyUsage,
      extKeyUsage,
      basicConstraints: isCa ? { ca: true, pathLen: profile.pathLen } : { ca: false },
      subjectKeyId: keyIdentifier(csr.spki),
      authorityKeyId: aki,
    };
    const role = roleFor(profile, extKeyUsage);
    // With no role from the profile or its EKUs, lint infers one from the certificate.
    // Spelled out (no spread): a copied signSync would bypass the proof.
    const key: KeySigner = combined
      ? { algorithm: opts.key.algorithm, publicKey: opts.key.publicKey, sign: async (tbs) => (await combined(csr, tbs)) ?? Promise.reject(badCsr()) }
      : opts.key;
    try {
      const certificate = await issueFromTemplate(t, { key, issuer: ca, role, at: now, skipLint: o.skipLint });
      return { certificate, chain };
    } catch (err) {
      // With the combined step lint runs before the proof is checked; a forged CSR still reads "bad-csr".
      if (combined && err instanceof CaError && err.code === "lint-failed" && !(await verifyCsr(csr))) throw badCsr();
      throw err;
    }
  }
  return Object.freeze({ signerName: opts.signerName, caCertificate: ca, chain, sign });
}
