// The pre-issuance lint gate and the key that signs: nothing reaches a signature without passing lint.
import { sign } from "node:crypto";
import {
  commonName, formatDn, lintCertificate, publicKeyMatches, signatureSchemeFor, signTemplate,
} from "../pki/index.ts";
import type { Certificate, CertificateTemplate, CertRole, KeyAlgorithm, KeyPair } from "../pki/index.ts";
import type { KeyObject } from "node:crypto";
import { CaError } from "./errors.ts";

/** A private key that can sign bytes (memory/file today; HSM/KMS later). */
export interface KeySigner {
  readonly algorithm: KeyAlgorithm;
  readonly publicKey: KeyObject;
  sign(data: Uint8Array): Promise<Uint8Array>;
}

/** A KeySigner over an in-memory KeyPair. node:crypto's sign is synchronous and native (no thread-pool hop). */
export function localKeySigner(k: KeyPair): KeySigner & { signSync(data: Uint8Array): Uint8Array } {
  const digest = signatureSchemeFor(k.algorithm).digest;
  const signSync = (data: Uint8Array): Uint8Array => sign(digest, data, k.privateKey);
  return Object.freeze({
    algorithm: k.algorithm,
    publicKey: k.publicKey,
    signSync,
    sign: (data: Uint8Array) => Promise.resolve(signSync(data)),
  });
}

/** Where a CA's certificate and key came from, for error messages (ca/ reads no files itself). */
export interface CaFiles {
  readonly cert: string;
  readonly key: string;
}

/** Every signer built on a CA's certificate and key goes through this before it signs anything: the key
 *  must be the certificate's, or what it signs verifies against nothing; and the certificate must be a
 *  CA — CA:TRUE (RFC 5280 §4.2.1.9) and keyCertSign when keyUsage is present (§4.2.1.3) — or what it
 *  signs fails Go's, openssl's and every browser's chain check. One-line errors, naming the files when given. */
export function assertSigningCa(key: KeySigner, cert: Certificate, files?: CaFiles): void {
  const certName = files?.cert ?? `CA certificate "${formatDn(cert.subject)}"`;
  if (!publicKeyMatches(key.publicKey, cert.publicKey)) {
    throw new CaError("key-mismatch", files ? `${files.key} does not match ${files.cert}` : `CA key does not match the certificate "${formatDn(cert.subject)}"`);
  }
  if (cert.basicConstraints?.ca !== true) {
    throw new CaError("not-a-ca", `${certName}: not a CA certificate (no basicConstraints CA:TRUE); it cannot sign certificates`);
  }
  if (cert.keyUsage !== undefined && !cert.keyUsage.includes("keyCertSign")) {
    throw new CaError("not-a-ca", `${certName}: CA certificate without keyUsage keyCertSign; it cannot sign certificates`);
  }
}

export interface IssueOptions {
  readonly key: KeySigner;
  /** The issuing CA certificate; absent for self-signed roots. */
  readonly issuer?: Certificate;
  readonly role?: CertRole;
  readonly at: Date;
  readonly skipLint?: boolean;
}

/** Signs `t` with `key` after the lint gate: throws CaError("lint-failed", "refusing to issue <CN>: e_xxx: text")
 *  on the first error-level finding (warnings pass). */
export async function issueFromTemplate(t: CertificateTemplate, o: IssueOptions): Promise<Certificate> {
  const check = (unsigned: Certificate): void => {
    const errors = lintCertificate(unsigned, { issuer: o.issuer, role: o.role, preIssuance: true }).filter((f) => f.level === "error");
    if (errors.length === 0) return;
    const who = commonName(unsigned.subject) ?? (formatDn(unsigned.subject) || "certificate");
    throw new CaError("lint-failed", `refusing to issue ${who}: ${errors.map((f) => `${f.id}: ${f.text}`).join("; ")}`);
  };
  const signFn = "signSync" in o.key ? (o.key as { signSync(d: Uint8Array): Uint8Array }).signSync : (d: Uint8Array) => o.key.sign(d);
  return signTemplate(t, signFn, o.key.algorithm, o.skipLint ? {} : { check });
}
