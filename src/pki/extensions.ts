// X.509 v3 extensions we write and read (RFC 5280 §4.2), as a table keyed by OID.
import { fromUtf8 } from "../base/index.ts";
import {
  children, ctx, encodeBitString, encodeBoolean, encodeDer, encodeOid, encodeSmallInt, expect, latin1Node, node, octets, parseDer,
  readBitString, readBoolean, readOid, readSmallInt, seq, tlv, TAG,
} from "./der.ts";
import type { DerNode, DerPart, Tlv } from "./der.ts";
import { PkiError } from "./errors.ts";
import { formatIp, parseIp } from "./names.ts";
import { OID } from "./oids.ts";
import type { BasicConstraints, Extension, KeyUsageBit, SubjectAltNames } from "./types.ts";

/** RFC 5280 §4.2.1.3 bit order. */
export const KEY_USAGE_BITS: readonly KeyUsageBit[] = [
  "digitalSignature", "contentCommitment", "keyEncipherment", "dataEncipherment", "keyAgreement",
  "keyCertSign", "cRLSign", "encipherOnly", "decipherOnly",
];

const TRUE = encodeBoolean(true);

/** An Extension as a writer node; `value` is the extnValue contents (encoded bytes or a node). */
export function extensionNode(oid: string, critical: boolean, value: DerPart): DerNode {
  const v = node(TAG.OCTET_STRING, [value]);
  return node(TAG.SEQUENCE, critical ? [encodeOid(oid), TRUE, v] : [encodeOid(oid), v]);
}

export const encodeExtension = (oid: string, critical: boolean, value: Uint8Array): Uint8Array => encodeDer(extensionNode(oid, critical, value));

export function decodeExtension(t: Tlv): Extension {
  const parts = children(expect(t, TAG.SEQUENCE, "Extension"));
  const oid = readOid(expect(parts[0], TAG.OID, "extnID"));
  let i = 1;
  let critical = false;
  if (parts[1]?.tag === TAG.BOOLEAN) {
    critical = readBoolean(parts[1]);
    // DER: DEFAULT FALSE is never encoded (X.690 §11.5).
    if (!critical) throw new PkiError("bad-der", "malformed DER: explicit critical FALSE");
    i = 2;
  }
  const value = expect(parts[i], TAG.OCTET_STRING, "extnValue").value;
  if (parts.length !== i + 1) throw new PkiError("bad-der", "malformed DER: extra fields in Extension");
  return Object.freeze({ oid, critical, value });
}

// ---- SubjectAltName (RFC 5280 §4.2.1.6) ----
const GN = { email: ctx(1, false), dns: ctx(2, false), uri: ctx(6, false), ip: ctx(7, false) };

/** "a.b.c.d" with no leading zeros and every part ≤ 255: what formatIp writes and Go's ParseIP reads as
 *  exactly these four bytes. Anything else goes through parseIp (≈ 1 µs a SAN saved on issuance). */
function canonicalV4(s: string): Uint8Array | undefined {
  const out = new Uint8Array(4);
  let part = 0;
  let n = 0;
  let digits = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (digits === 0 || part > 3) return undefined;
      out[part++] = n;
      n = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39 && !(digits === 1 && n === 0)) {
      n = n * 10 + (c - 0x30);
      if (++digits > 3 || n > 255) return undefined;
    } else return undefined;
  }
  return part === 4 ? out : undefined;
}

/** The GeneralNames as a writer node: dNSName, iPAddress, rfc822Name, URI, in that order. */
export function sansNode(s: SubjectAltNames): DerNode {
  const names: DerPart[] = [];
  for (const d of s.dns) names.push(latin1Node(GN.dns, d));
  for (const ip of s.ip) names.push(node(GN.ip, [canonicalV4(ip) ?? parseIp(ip)]));
  for (const e of s.email) names.push(latin1Node(GN.email, e));
  for (const u of s.uri) names.push(latin1Node(GN.uri, u));
  return node(TAG.SEQUENCE, names);
}

export const encodeSans = (s: SubjectAltNames): Uint8Array => encodeDer(sansNode(s));

/** formatIp, with IPv4 written inline (Array.from(b).join(".") cost ≈ 0.5 µs a SAN when parsing a CSR). */
const ipString = (b: Uint8Array): string => (b.length === 4 ? `${b[0]}.${b[1]}.${b[2]}.${b[3]}` : formatIp(b));

export function decodeSans(value: Uint8Array): SubjectAltNames {
  const s = { dns: [] as string[], ip: [] as string[], email: [] as string[], uri: [] as string[] };
  for (const gn of children(expect(parseDer(value), TAG.SEQUENCE, "GeneralNames"))) {
    if (gn.tag === GN.dns) s.dns.push(fromUtf8(gn.value));
    else if (gn.tag === GN.email) s.email.push(fromUtf8(gn.value));
    else if (gn.tag === GN.uri) s.uri.push(fromUtf8(gn.value));
    else if (gn.tag === GN.ip) {
      if (gn.value.length !== 4 && gn.value.length !== 16) throw new PkiError("bad-der", "malformed DER: IP SAN length");
      s.ip.push(ipString(gn.value));
    } // otherName, directoryName, registeredID: not used by Kubernetes; kept only in `extensions`.
  }
  // Already canonical (formatIp above): freeze without re-normalising.
  return Object.freeze({ dns: Object.freeze(s.dns), ip: Object.freeze(s.ip), email: Object.freeze(s.email), uri: Object.freeze(s.uri) });
}

// ---- KeyUsage (§4.2.1.3): a named BIT STRING, DER drops trailing zero bits ----
export function encodeKeyUsage(bits: readonly KeyUsageBit[]): Uint8Array {
  let n = 0;
  for (const b of bits) n |= 1 << KEY_USAGE_BITS.indexOf(b);
  let highest = -1;
  for (let i = 0; i < 9; i++) if (n & (1 << i)) highest = i;
  if (highest < 0) return encodeBitString(new Uint8Array(0));
  const len = highest < 8 ? 1 : 2;
  const bytes = new Uint8Array(len);
  for (let i = 0; i <= highest; i++) if (n & (1 << i)) bytes[i >> 3]! |= 0x80 >> (i & 7);
  return encodeBitString(bytes, len * 8 - 1 - highest);
}

/** The bits as decodeKeyUsage would read them back (RFC order, each once). */
export const keyUsageView = (bits: readonly KeyUsageBit[]): KeyUsageBit[] => KEY_USAGE_BITS.filter((b) => bits.includes(b));

export function decodeKeyUsage(value: Uint8Array): KeyUsageBit[] {
  const { bytes } = readBitString(expect(parseDer(value), TAG.BIT_STRING, "KeyUsage"));
  return KEY_USAGE_BITS.filter((_, i) => ((bytes[i >> 3] ?? 0) & (0x80 >> (i & 7))) !== 0);
}

// ---- ExtKeyUsage (§4.2.1.12) ----
export const encodeEku = (oids: readonly string[]): Uint8Array => seq(...oids.map(encodeOid));
export const decodeEku = (value: Uint8Array): string[] =>
  children(expect(parseDer(value), TAG.SEQUENCE, "ExtKeyUsage")).map((t) => readOid(expect(t, TAG.OID, "KeyPurposeId")));

// ---- BasicConstraints (§4.2.1.9) ----
/** Writes what the template says (cA FALSE is the DEFAULT, so omitted); a pathLen on a non-CA is written
 *  too so lint can refuse it rather than the encoder silently fixing it. */
export function encodeBasicConstraints(bc: BasicConstraints): Uint8Array {
  return seq(...(bc.ca ? [encodeBoolean(true)] : []), ...(bc.pathLen === undefined ? [] : [encodeSmallInt(bc.pathLen)]));
}

export function decodeBasicConstraints(value: Uint8Array): BasicConstraints {
  const parts = children(expect(parseDer(value), TAG.SEQUENCE, "BasicConstraints"));
  let i = 0;
  let ca = false;
  if (parts[0]?.tag === TAG.BOOLEAN) {
    ca = readBoolean(parts[0]);
    i = 1;
  }
  const p = parts[i];
  if (p) return Object.freeze({ ca, pathLen: readSmallInt(expect(p, TAG.INTEGER, "pathLenConstraint")) });
  return Object.freeze({ ca });
}

// ---- Key identifiers (§4.2.1.1, §4.2.1.2) ----
export const encodeSki = (id: Uint8Array): Uint8Array => octets(id);
export const decodeSki = (value: Uint8Array): Uint8Array => expect(parseDer(value), TAG.OCTET_STRING, "SubjectKeyIdentifier").value;
export const encodeAki = (id: Uint8Array): Uint8Array => seq(tlv(ctx(0, false), id));

export function decodeAki(value: Uint8Array): Uint8Array | undefined {
  return children(expect(parseDer(value), TAG.SEQUENCE, "AuthorityKeyIdentifier")).find((t) => t.tag === ctx(0, false))?.value;
}

export const EXT = OID;
