// cfssl's JSON shapes, reproduced field for field: certinfo (cfssl 1.2 certinfo.Certificate) and
// the JSON encoding Go's encoding/json produces. Pure formatting (the CSR dump is cfssl-csr-info.ts).
import type { Certificate, DistinguishedName } from "../pki/index.ts";
import { encodeCertificatePem } from "../pki/index.ts";

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

const BIGINT = "\u0000bigint:";

/** Go's encoding/json: <, >, &, U+2028 and U+2029 escaped in strings (HTML-safe; cfssl's output has
 *  "\u003c" etc.), and big.Int (a bigint here) written as a bare number of any length. */
export function goJson(v: unknown, indent?: number): string {
  const text = JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? `${BIGINT}${x.toString()}` : x), indent);
  return text
    .replace(/"\\u0000bigint:(-?\d+)"/g, "$1")
    .replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
