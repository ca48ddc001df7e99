// `cfssl certinfo -csr FILE`: cfssl prints Go's x509.CertificateRequest through encoding/json, so
// every exported field appears in struct order, with Go's encodings: []byte as base64, the
// algorithm enums as integers, big.Int as a bare number, pkix.Name and url.URL as structs.
// Pure formatting over pki's Csr plus the DER slices Go keeps (Raw, RawTBSCertificateRequest, …).
import type { Csr, DerTlv, NameAttribute } from "../pki/index.ts";
import { ATTRIBUTE_OIDS, derChildren, OID, parseDer } from "../pki/index.ts";
import { toBase64 } from "../base/index.ts";

// Go's x509.SignatureAlgorithm and x509.PublicKeyAlgorithm enum values (crypto/x509/x509.go).
const GO_SIGALG_ENUM: Readonly<Record<string, number>> = {
  sha1WithRSAEncryption: 3,
  sha256WithRSAEncryption: 4,
  sha384WithRSAEncryption: 5,
  sha512WithRSAEncryption: 6,
  "ecdsa-with-SHA1": 9,
  "ecdsa-with-SHA256": 10,
  "ecdsa-with-SHA384": 11,
  "ecdsa-with-SHA512": 12,
  ED25519: 16,
};
const GO_PUBKEY_ENUM = { rsa: 1, ecdsa: 3, ed25519: 4 } as const;

const oidInts = (oid: string): number[] => oid.split(".").map(Number);
const b64url = (s: string): bigint => BigInt(`0x${Buffer.from(s, "base64url").toString("hex") || "0"}`);

/** crypto/rsa.PublicKey {N, E}, crypto/ecdsa.PublicKey {Curve, X, Y} (the curve has no exported fields), ed25519 bytes. */
function goPublicKey(csr: Csr): unknown {
  const jwk = csr.publicKey.export({ format: "jwk" });
  if (csr.keyAlgorithm.kind === "rsa") return { N: b64url(jwk.n ?? ""), E: Number(b64url(jwk.e ?? "")) };
  if (csr.keyAlgorithm.kind === "ecdsa") return { Curve: {}, X: b64url(jwk.x ?? ""), Y: b64url(jwk.y ?? "") };
  return Buffer.from(jwk.x ?? "", "base64url").toString("base64");
}

/** pkix.Name after FillFromRDNSequence: the known attributes sorted into fields, every one in Names. */
function goName(attrs: readonly NameAttribute[]): Record<string, unknown> {
  const list = (t: string): string[] | null => {
    const v = attrs.filter((a) => a.type === t).map((a) => a.value);
    return v.length > 0 ? v : null;
  };
  const last = (t: string): string => attrs.filter((a) => a.type === t).at(-1)?.value ?? "";
  return {
    Country: list("C"),
    Organization: list("O"),
    OrganizationalUnit: list("OU"),
    Locality: list("L"),
    Province: list("ST"),
    StreetAddress: list("STREET"),
    PostalCode: list("postalCode"),
    SerialNumber: last("serialNumber"),
    CommonName: last("CN"),
    Names: attrs.map((a) => ({ Type: oidInts(ATTRIBUTE_OIDS[a.type] ?? a.type), Value: a.value })),
    ExtraNames: null,
  };
}

// net/url escaping (url.go shouldEscape): which bytes a path or fragment keeps unescaped.
function goEscape(s: string, mode: "path" | "fragment"): string {
  const keep = mode === "path" ? /[A-Za-z0-9\-_.~$&+,/:;=@]/ : /[A-Za-z0-9\-_.~$&+,/:;=@?!()*]/;
  return [...Buffer.from(s, "utf8")].map((b) => (keep.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, "0")}`)).join("");
}
const unescape = (s: string): string => Buffer.from(s.replace(/%([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), "latin1").toString("utf8");

/** url.URL as Go's url.Parse fills it for a URI SAN (RFC 3986 generic syntax). */
export function goUrl(raw: string): Record<string, unknown> {
  const hash = raw.indexOf("#");
  const rawFrag = hash >= 0 ? raw.slice(hash + 1) : "";
  let rest = hash >= 0 ? raw.slice(0, hash) : raw;
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:/.exec(rest)?.[0].slice(0, -1) ?? "";
  rest = rest.slice(scheme.length + (scheme ? 1 : 0));
  let rawQuery = "";
  let forceQuery = false;
  if (rest.endsWith("?") && rest.split("?").length === 2) [rest, forceQuery] = [rest.slice(0, -1), true];
  else if (rest.includes("?")) [rest, rawQuery] = [rest.slice(0, rest.indexOf("?")), rest.slice(rest.indexOf("?") + 1)];
  let opaque = "";
  let user: object | null = null;
  let host = "";
  if (scheme && !rest.startsWith("/")) [opaque, rest] = [rest, ""];
  else if (rest.startsWith("//") && !rest.startsWith("///")) {
    const slash = rest.indexOf("/", 2);
    const authority = slash < 0 ? rest.slice(2) : rest.slice(2, slash);
    rest = slash < 0 ? "" : rest.slice(slash);
    const at = authority.lastIndexOf("@");
    if (at >= 0) user = {}; // url.Userinfo has no exported fields
    host = at >= 0 ? authority.slice(at + 1) : authority;
  }
  const path = unescape(rest);
  const fragment = unescape(rawFrag);
  return {
    Scheme: scheme.toLowerCase(),
    Opaque: opaque,
    User: user,
    Host: host,
    Path: path,
    RawPath: goEscape(path, "path") === rest ? "" : rest,
    OmitHost: false,
    ForceQuery: forceQuery,
    RawQuery: rawQuery,
    Fragment: fragment,
    RawFragment: goEscape(fragment, "fragment") === rawFrag ? "" : rawFrag,
  };
}

/** x509.CertificateRequest as encoding/json writes it (Go 1.19, cfssl 1.2's build). */
export function cfsslCsrInfo(csr: Csr): Record<string, unknown> {
  // pki parsed this DER already: CertificationRequest = SEQUENCE { tbs { version, subject, … }, sigAlg, signature }.
  const [tbs, , sig] = derChildren(parseDer(csr.der)) as [DerTlv, DerTlv, DerTlv];
  const [version, subject] = derChildren(tbs) as [DerTlv, DerTlv];
  const exts = csr.extensions;
  // parseRawAttributes keeps the extensionRequest attribute as pkix.AttributeTypeAndValueSET; an
  // extension's BOOLEAN "critical" is not a type asn1 decodes into interface{}, so its Value is null.
  const attributes = exts.length === 0 ? null : [{ Type: oidInts(OID.extensionRequest), Value: [exts.map((e) => ({ Type: oidInts(e.oid), Value: e.critical ? null : toBase64(e.value) }))] }];
  const orNull = <T>(v: readonly T[]): readonly T[] | null => (v.length > 0 ? v : null);
  return {
    Raw: toBase64(csr.der),
    RawTBSCertificateRequest: toBase64(tbs.raw),
    RawSubjectPublicKeyInfo: toBase64(csr.spki),
    RawSubject: toBase64(subject.raw),
    Version: version.value[0] ?? 0,
    Signature: toBase64(sig.value.subarray(1)), // the BIT STRING without its unused-bits octet
    SignatureAlgorithm: GO_SIGALG_ENUM[csr.signatureAlgorithm] ?? 0,
    PublicKeyAlgorithm: GO_PUBKEY_ENUM[csr.keyAlgorithm.kind],
    PublicKey: goPublicKey(csr),
    Subject: goName(csr.subject.attributes),
    Attributes: attributes,
    Extensions: exts.length === 0 ? null : exts.map((e) => ({ Id: oidInts(e.oid), Critical: e.critical, Value: toBase64(e.value) })),
    ExtraExtensions: null,
    DNSNames: orNull(csr.sans.dns),
    EmailAddresses: orNull(csr.sans.email),
    IPAddresses: orNull(csr.sans.ip),
    URIs: csr.sans.uri.length > 0 ? csr.sans.uri.map(goUrl) : null,
  };
}
