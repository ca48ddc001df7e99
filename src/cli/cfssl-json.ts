// cfssl's JSON shapes, reproduced field for field: certinfo (cfssl 1.2 certinfo.Certificate) and
// the CSR dump of `certinfo -csr`. Pure formatting.
import type { Certificate, Csr, DistinguishedName } from "../pki/index.ts";
import { encodeCertificatePem } from "../pki/index.ts";
import { toBase64 } from "../base/index.ts";

// Go's x509.SignatureAlgorithm.String() for the names pki/ gives (openssl's spelling).
const GO_SIGALG: Record<string, string> = {
  sha1WithRSAEncryption: "SHA1WithRSA",
  sha256WithRSAEncryption: "SHA256WithRSA",
  sha384WithRSAEncryption: "SHA384WithRSA",
  sha512WithRSAEncryption: "SHA512WithRSA",
  "ecdsa-with-SHA1": "ECDSAWithSHA1",
  "ecdsa-with-SHA256": "ECDSAWithSHA256",
  "ecdsa-with-SHA384": "ECDSAWithSHA384",
  "ecdsa-with-SHA512": "ECDSAWithSHA512",
  ED25519: "Ed25519",
};

/** cfssl prints key ids as "%X" per byte joined by ":" — no zero padding ("6:E0"), kept as is. */
function keyId(b: Uint8Array | undefined): string {
  return b ? [...b].map((x) => x.toString(16).toUpperCase()).join(":") : "";
}

const goTime = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, "Z");

/** certinfo.Name: each field joined with "," when repeated, empty ones omitted, then all values in order. */
export function cfsslName(dn: DistinguishedName): Record<string, unknown> {
  const join = (t: string): string | undefined => {
    const v = dn.attributes.filter((a) => a.type === t).map((a) => a.value);
    return v.length > 0 ? v.join(",") : undefined;
  };
  const fields: [string, string][] = [
    ["common_name", "CN"],
    ["serial_number", "serialNumber"],
    ["country", "C"],
    ["organization", "O"],
    ["organizational_unit", "OU"],
    ["locality", "L"],
    ["province", "ST"],
    ["street_address", "STREET"],
    ["postal_code", "postalCode"],
  ];
  const out: Record<string, unknown> = {};
  for (const [k, t] of fields) {
    const v = join(t);
    if (v !== undefined) out[k] = v;
  }
  out["names"] = dn.attributes.map((a) => a.value);
  return out;
}

export function cfsslCertInfo(c: Certificate): Record<string, unknown> {
  const sans = [...c.sans.dns, ...c.sans.ip];
  return {
    subject: cfsslName(c.subject),
    issuer: cfsslName(c.issuer),
    serial_number: BigInt(`0x${c.serialHex}`).toString(10),
    ...(sans.length > 0 ? { sans } : {}),
    not_before: goTime(c.notBefore),
    not_after: goTime(c.notAfter),
    sigalg: GO_SIGALG[c.signatureAlgorithm] ?? c.signatureAlgorithm,
    authority_key_id: keyId(c.authorityKeyId),
    subject_key_id: keyId(c.subjectKeyId),
    pem: encodeCertificatePem(c),
  };
}

/** `cfssl certinfo -csr` prints Go's x509.CertificateRequest; we print its portable fields. */
export function cfsslCsrInfo(csr: Csr): Record<string, unknown> {
  const attr = (t: string): string[] | null => {
    const v = csr.subject.attributes.filter((a) => a.type === t).map((a) => a.value);
    return v.length > 0 ? v : null;
  };
  return {
    Raw: toBase64(csr.der),
    RawSubjectPublicKeyInfo: toBase64(csr.spki),
    Version: 0,
    SignatureAlgorithm: GO_SIGALG[csr.signatureAlgorithm] ?? csr.signatureAlgorithm,
    PublicKeyAlgorithm: csr.keyAlgorithm.kind === "rsa" ? "RSA" : csr.keyAlgorithm.kind === "ecdsa" ? "ECDSA" : "Ed25519",
    Subject: {
      Country: attr("C"),
      Organization: attr("O"),
      OrganizationalUnit: attr("OU"),
      Locality: attr("L"),
      Province: attr("ST"),
      CommonName: csr.subject.attributes.find((a) => a.type === "CN")?.value ?? "",
      Names: csr.subject.attributes.map((a) => ({ Type: a.type, Value: a.value })),
    },
    DNSNames: csr.sans.dns.length ? csr.sans.dns : null,
    EmailAddresses: csr.sans.email.length ? csr.sans.email : null,
    IPAddresses: csr.sans.ip.length ? csr.sans.ip : null,
    URIs: csr.sans.uri.length ? csr.sans.uri : null,
  };
}

/** Go's encoding/json escapes <, > and & in strings (HTML-safe); cfssl's output has "\u003c" etc. */
export function goJson(v: unknown, indent?: number): string {
  return JSON.stringify(v, null, indent).replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
}
