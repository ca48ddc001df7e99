// OID tables (data, not branching code — DESIGN.md rule 9). Names follow RFC 5280 / Go crypto/x509.

/** X.520 attribute types by short name (RFC 4514 §3 names plus the ones openssl prints). */
export const ATTRIBUTE_OIDS: Readonly<Record<string, string>> = {
  CN: "2.5.4.3",
  SN: "2.5.4.4",
  serialNumber: "2.5.4.5",
  C: "2.5.4.6",
  L: "2.5.4.7",
  ST: "2.5.4.8",
  STREET: "2.5.4.9",
  O: "2.5.4.10",
  OU: "2.5.4.11",
  title: "2.5.4.12",
  postalCode: "2.5.4.17",
  GN: "2.5.4.42",
  emailAddress: "1.2.840.113549.1.9.1",
  DC: "0.9.2342.19200300.100.1.25",
  UID: "0.9.2342.19200300.100.1.1",
};
export const ATTRIBUTE_NAMES: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(ATTRIBUTE_OIDS).map(([k, v]) => [v, k]),
);
/** Spellings accepted on input besides the short names above (case-insensitive lookup). */
export const ATTRIBUTE_ALIASES: Readonly<Record<string, string>> = {
  commonname: "CN",
  organizationname: "O",
  organizationalunitname: "OU",
  countryname: "C",
  localityname: "L",
  stateorprovincename: "ST",
  s: "ST",
  streetaddress: "STREET",
  email: "emailAddress",
  e: "emailAddress",
  serialnumber: "serialNumber",
  postalcode: "postalCode",
  surname: "SN",
  givenname: "GN",
};

export const OID = {
  rsaEncryption: "1.2.840.113549.1.1.1",
  ecPublicKey: "1.2.840.10045.2.1",
  ed25519: "1.3.101.112",
  sha1WithRSA: "1.2.840.113549.1.1.5",
  sha256WithRSA: "1.2.840.113549.1.1.11",
  sha384WithRSA: "1.2.840.113549.1.1.12",
  sha512WithRSA: "1.2.840.113549.1.1.13",
  ecdsaWithSHA1: "1.2.840.10045.4.1",
  ecdsaWithSHA256: "1.2.840.10045.4.3.2",
  ecdsaWithSHA384: "1.2.840.10045.4.3.3",
  ecdsaWithSHA512: "1.2.840.10045.4.3.4",
  p256: "1.2.840.10045.3.1.7",
  p384: "1.3.132.0.34",
  p521: "1.3.132.0.35",
  extensionRequest: "1.2.840.113549.1.9.14",
  subjectKeyIdentifier: "2.5.29.14",
  keyUsage: "2.5.29.15",
  subjectAltName: "2.5.29.17",
  basicConstraints: "2.5.29.19",
  extKeyUsage: "2.5.29.37",
  authorityKeyIdentifier: "2.5.29.35",
} as const;

/** Signature algorithm OID → node:crypto digest (null = the key decides, Ed25519) and display name. */
export const SIGNATURE_ALGORITHMS: Readonly<Record<string, { readonly digest: string | null; readonly name: string }>> = {
  [OID.sha1WithRSA]: { digest: "sha1", name: "sha1WithRSAEncryption" },
  [OID.sha256WithRSA]: { digest: "sha256", name: "sha256WithRSAEncryption" },
  [OID.sha384WithRSA]: { digest: "sha384", name: "sha384WithRSAEncryption" },
  [OID.sha512WithRSA]: { digest: "sha512", name: "sha512WithRSAEncryption" },
  [OID.ecdsaWithSHA1]: { digest: "sha1", name: "ecdsa-with-SHA1" },
  [OID.ecdsaWithSHA256]: { digest: "sha256", name: "ecdsa-with-SHA256" },
  [OID.ecdsaWithSHA384]: { digest: "sha384", name: "ecdsa-with-SHA384" },
  [OID.ecdsaWithSHA512]: { digest: "sha512", name: "ecdsa-with-SHA512" },
  [OID.ed25519]: { digest: null, name: "ED25519" },
};

export const CURVE_OIDS = { "P-256": OID.p256, "P-384": OID.p384, "P-521": OID.p521 } as const;

/** Extended key usages (RFC 5280 §4.2.1.12 and the ones Go/Kubernetes know). */
export const EKU = {
  any: "2.5.29.37.0",
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
  codeSigning: "1.3.6.1.5.5.7.3.3",
  emailProtection: "1.3.6.1.5.5.7.3.4",
  ipsecEndSystem: "1.3.6.1.5.5.7.3.5",
  ipsecTunnel: "1.3.6.1.5.5.7.3.6",
  ipsecUser: "1.3.6.1.5.5.7.3.7",
  timeStamping: "1.3.6.1.5.5.7.3.8",
  ocspSigning: "1.3.6.1.5.5.7.3.9",
  microsoftSgc: "1.3.6.1.4.1.311.10.3.3",
  netscapeSgc: "2.16.840.1.113730.4.1",
} as const;

/** openssl's display names for EKUs (what `openssl x509 -text` prints). */
const EKU_DISPLAY: Readonly<Record<string, string>> = {
  [EKU.any]: "Any Extended Key Usage",
  [EKU.serverAuth]: "TLS Web Server Authentication",
  [EKU.clientAuth]: "TLS Web Client Authentication",
  [EKU.codeSigning]: "Code Signing",
  [EKU.emailProtection]: "E-mail Protection",
  [EKU.ipsecEndSystem]: "IPSec End System",
  [EKU.ipsecTunnel]: "IPSec Tunnel",
  [EKU.ipsecUser]: "IPSec User",
  [EKU.timeStamping]: "Time Stamping",
  [EKU.ocspSigning]: "OCSP Signing",
  [EKU.microsoftSgc]: "Microsoft Server Gated Crypto",
  [EKU.netscapeSgc]: "Netscape Server Gated Crypto",
};

/** Human name of an EKU OID (openssl's wording), or the OID itself when unknown. */
export function ekuName(oid: string): string {
  return EKU_DISPLAY[oid] ?? oid;
}
