// pki/ value types: what every other module sees of X.509. No library class leaks out of pki/
// (node:crypto KeyObject is Node's own and is allowed). All values are frozen after parsing.
import type { KeyObject } from "node:crypto";

export type KeyAlgorithm =
  | { readonly kind: "rsa"; readonly bits: number }
  | { readonly kind: "ecdsa"; readonly curve: "P-256" | "P-384" | "P-521" }
  | { readonly kind: "ed25519" };

/** A private key with its public half; `privateKey` never leaves pki/ca except to be encoded to a 0600 file. */
export interface KeyPair {
  readonly algorithm: KeyAlgorithm;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/** One attribute of a distinguished name, in certificate order. `type` is a short name (CN, O, OU, C, ST, L,
 *  STREET, postalCode, serialNumber, emailAddress, DC, UID) or a dotted OID for anything else. */
export interface NameAttribute {
  readonly type: string;
  readonly value: string;
}
export interface DistinguishedName {
  readonly attributes: readonly NameAttribute[];
}

export interface SubjectAltNames {
  readonly dns: readonly string[];
  /** Textual IPs: "10.0.0.1", "::1" (canonical form). */
  readonly ip: readonly string[];
  readonly email: readonly string[];
  readonly uri: readonly string[];
}

/** RFC 5280 §4.2.1.3 bit names. */
export type KeyUsageBit =
  | "digitalSignature"
  | "contentCommitment"
  | "keyEncipherment"
  | "dataEncipherment"
  | "keyAgreement"
  | "keyCertSign"
  | "cRLSign"
  | "encipherOnly"
  | "decipherOnly";

export interface BasicConstraints {
  readonly ca: boolean;
  readonly pathLen?: number;
}

export interface Extension {
  readonly oid: string;
  readonly critical: boolean;
  readonly value: Uint8Array;
}

/** A parsed PKCS#10 request (DER + decoded fields). Never the Kubernetes object. */
export interface Csr {
  readonly der: Uint8Array;
  readonly subject: DistinguishedName;
  readonly sans: SubjectAltNames;
  readonly publicKey: KeyObject;
  readonly spki: Uint8Array;
  readonly keyAlgorithm: KeyAlgorithm;
  readonly signatureAlgorithm: string;
  /** Extensions from the extensionRequest attribute (SANs included, also decoded above). */
  readonly extensions: readonly Extension[];
  /** basicConstraints CA:TRUE requested in the extensionRequest. */
  readonly requestsCa: boolean;
}

/** Our parsed X.509 certificate. */
export interface Certificate {
  readonly der: Uint8Array;
  readonly tbs: Uint8Array;
  readonly version: number;
  /** Serial as lowercase hex without leading zeros ("0" for zero). */
  readonly serialHex: string;
  readonly subject: DistinguishedName;
  readonly issuer: DistinguishedName;
  /** Raw DER of subject/issuer names: chain building compares these exactly (RFC 5280 §7.1). */
  readonly subjectDer: Uint8Array;
  readonly issuerDer: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly publicKey: KeyObject;
  readonly spki: Uint8Array;
  readonly keyAlgorithm: KeyAlgorithm;
  readonly signatureAlgorithm: string;
  readonly sans: SubjectAltNames;
  /** undefined when the extension is absent. */
  readonly keyUsage?: readonly KeyUsageBit[];
  /** EKU OIDs in certificate order; undefined when absent. */
  readonly extKeyUsage?: readonly string[];
  readonly basicConstraints?: BasicConstraints;
  readonly subjectKeyId?: Uint8Array;
  readonly authorityKeyId?: Uint8Array;
  readonly extensions: readonly Extension[];
  /** Lowercase hex SHA-256 of `der`. */
  readonly fingerprintSha256: string;
}

/** The to-be-signed fields while issuance builds them. */
export interface CertificateTemplate {
  readonly serialNumber: Uint8Array;
  readonly subject: DistinguishedName;
  /** Issuer name DER (copied from the issuer's subjectDer so chains match byte for byte). */
  readonly issuerDer: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly spki: Uint8Array;
  readonly sans?: SubjectAltNames;
  readonly keyUsage?: readonly KeyUsageBit[];
  readonly extKeyUsage?: readonly string[];
  readonly basicConstraints?: BasicConstraints;
  readonly subjectKeyId?: Uint8Array;
  readonly authorityKeyId?: Uint8Array;
}

export type Purpose = "client" | "server" | "any";

export type VerifyResult =
  | { readonly ok: true; readonly chain: readonly Certificate[] }
  | { readonly ok: false; readonly reason: string };

export type LintLevel = "error" | "warning";
export interface LintFinding {
  /** Stable id, e.g. "e_server_auth_without_san" (zlint-style prefixes e_/w_). */
  readonly id: string;
  readonly level: LintLevel;
  readonly text: string;
}
