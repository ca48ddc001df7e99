// Inspection: the facts `openssl x509 -text` / `openssl req -text` show, as plain JSON-able objects
// (`kpki inspect` prints them; pki/ does no formatting for terminals).
import { toHex } from "../base/index.ts";
import { keyIdentifier, serialBytes } from "./certificate.ts";
import { formatKeyAlgorithm } from "./keys.ts";
import { inferRole } from "./lint.ts";
import type { CertRole } from "./lint-rules.ts";
import { formatDn } from "./names.ts";
import { ekuName } from "./oids.ts";
import type { Certificate, Csr, KeyAlgorithm, SubjectAltNames } from "./types.ts";

export interface KeyFacts {
  readonly type: "RSA" | "ECDSA" | "Ed25519";
  /** RSA modulus bits; 256/384/521 for ECDSA; 256 for Ed25519. */
  readonly bits: number;
  readonly curve?: string;
  /** "RSA 2048" | "ECDSA P-256" | "Ed25519". */
  readonly description: string;
}

export interface SanFacts {
  readonly dns: readonly string[];
  readonly ip: readonly string[];
  readonly email: readonly string[];
  readonly uri: readonly string[];
  /** openssl order and wording: "DNS:a, IP Address:10.0.0.1, email:x@y, URI:spiffe://…". */
  readonly text: string;
}

export interface CertificateFacts {
  readonly version: number;
  readonly subject: string;
  readonly subjectRfc4514: string;
  readonly issuer: string;
  readonly issuerRfc4514: string;
  /** Colon-separated lowercase hex, as openssl prints it. */
  readonly serial: string;
  readonly serialHex: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly key: KeyFacts;
  readonly signatureAlgorithm: string;
  readonly sans: SanFacts;
  readonly keyUsage?: readonly string[];
  readonly extKeyUsage?: readonly string[];
  readonly extKeyUsageOids?: readonly string[];
  readonly basicConstraints?: { readonly ca: boolean; readonly pathLen?: number; readonly critical: boolean };
  /** Colon-separated uppercase hex (openssl style). */
  readonly subjectKeyId?: string;
  readonly authorityKeyId?: string;
  readonly sha256Fingerprint: string;
  readonly selfSigned: boolean;
  readonly role: CertRole;
}

export interface CsrFacts {
  readonly subject: string;
  readonly subjectRfc4514: string;
  readonly key: KeyFacts;
  readonly signatureAlgorithm: string;
  readonly sans: SanFacts;
  readonly requestsCa: boolean;
  readonly extensionOids: readonly string[];
  /** SKI the key would get (RFC 5280 §4.2.1.2 method 1). */
  readonly subjectKeyId: string;
}

/** openssl's display names for KeyUsage bits. */
const KU_TEXT: Readonly<Record<string, string>> = {
  digitalSignature: "Digital Signature", contentCommitment: "Non Repudiation", keyEncipherment: "Key Encipherment",
  dataEncipherment: "Data Encipherment", keyAgreement: "Key Agreement", keyCertSign: "Certificate Sign", cRLSign: "CRL Sign",
  encipherOnly: "Encipher Only", decipherOnly: "Decipher Only",
};

export function describeKey(a: KeyAlgorithm): KeyFacts {
  if (a.kind === "rsa") return { type: "RSA", bits: a.bits, description: formatKeyAlgorithm(a) };
  if (a.kind === "ecdsa") return { type: "ECDSA", bits: Number(a.curve.slice(2)), curve: a.curve, description: formatKeyAlgorithm(a) };
  return { type: "Ed25519", bits: 256, description: "Ed25519" };
}

export function describeSans(s: SubjectAltNames): SanFacts {
  const text = [...s.dns.map((d) => `DNS:${d}`), ...s.ip.map((i) => `IP Address:${i}`), ...s.email.map((e) => `email:${e}`),
    ...s.uri.map((u) => `URI:${u}`)].join(", ");
  return { dns: [...s.dns], ip: [...s.ip], email: [...s.email], uri: [...s.uri], text };
}

const colonHex = (b: Uint8Array): string => toHex(b, ":").toUpperCase();

export function describeCertificate(c: Certificate): CertificateFacts {
  const bcExt = c.extensions.find((e) => e.oid === "2.5.29.19");
  return {
    version: c.version,
    subject: formatDn(c.subject),
    subjectRfc4514: formatDn(c.subject, "rfc4514"),
    issuer: formatDn(c.issuer),
    issuerRfc4514: formatDn(c.issuer, "rfc4514"),
    serial: toHex(serialBytes(c), ":"),
    serialHex: c.serialHex,
    notBefore: c.notBefore.toISOString(),
    notAfter: c.notAfter.toISOString(),
    key: describeKey(c.keyAlgorithm),
    signatureAlgorithm: c.signatureAlgorithm,
    sans: describeSans(c.sans),
    keyUsage: c.keyUsage?.map((k) => KU_TEXT[k] ?? k),
    extKeyUsage: c.extKeyUsage?.map(ekuName),
    extKeyUsageOids: c.extKeyUsage ? [...c.extKeyUsage] : undefined,
    basicConstraints: c.basicConstraints
      ? { ca: c.basicConstraints.ca, pathLen: c.basicConstraints.pathLen, critical: bcExt?.critical === true }
      : undefined,
    subjectKeyId: c.subjectKeyId ? colonHex(c.subjectKeyId) : undefined,
    authorityKeyId: c.authorityKeyId ? colonHex(c.authorityKeyId) : undefined,
    sha256Fingerprint: colonHex(Buffer.from(c.fingerprintSha256, "hex")),
    selfSigned: Buffer.compare(Buffer.from(c.subjectDer), Buffer.from(c.issuerDer)) === 0,
    role: inferRole(c),
  };
}

export function describeCsr(csr: Csr): CsrFacts {
  return {
    subject: formatDn(csr.subject),
    subjectRfc4514: formatDn(csr.subject, "rfc4514"),
    key: describeKey(csr.keyAlgorithm),
    signatureAlgorithm: csr.signatureAlgorithm,
    sans: describeSans(csr.sans),
    requestsCa: csr.requestsCa,
    extensionOids: csr.extensions.map((e) => e.oid),
    subjectKeyId: colonHex(keyIdentifier(csr.spki)),
  };
}
