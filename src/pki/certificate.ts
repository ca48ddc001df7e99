// X.509 certificates (RFC 5280 §4.1): parse, build a TBS from a template, sign, serials, key ids.
import { createHash, hash } from "node:crypto";
import { decodePem, encodePem, toHex } from "../base/index.ts";
import type { RandomSource } from "../base/index.ts";
import {
  children, ctx, encodeDerWithRoom, encodeSmallInt, encodeTime, expect, node, nodeBytes, nodeValue, parseDer, readBitString,
  readIntegerBytes, readSmallInt, readTime, tlv, TAG,
} from "./der.ts";
import type { DerNode, DerPart, Tlv } from "./der.ts";
import { PkiError } from "./errors.ts";
import {
  decodeAki, decodeBasicConstraints, decodeEku, decodeExtension, decodeKeyUsage, decodeSans, decodeSki, encodeAki,
  encodeBasicConstraints, encodeEku, encodeExtension, encodeKeyUsage, extensionNode, sansNode,
} from "./extensions.ts";
import { importSpki, spkiAlgorithm, spkiPublicKeyBits } from "./keys.ts";
import { decodeDn, dnNode, emptySans, sanCount } from "./names.ts";
import { OID } from "./oids.ts";
import { readSignatureAlgorithm, signatureAlgorithmName, signatureSchemeFor, verifySignature } from "./sigalg.ts";
import type { Certificate, CertificateTemplate, Extension, KeyAlgorithm } from "./types.ts";

/** What verifySignedBy and serialBytes need beyond the public fields. One WeakMap entry per certificate
 *  (every entry is GC ephemeron work; two maps cost ≈ 1.5 µs an issuance more). */
interface SigData {
  readonly oid: string;
  readonly signature: Uint8Array;
  readonly serial?: Uint8Array;
}
const sigData = new WeakMap<Certificate, SigData>();
/** The lint gate's view, for the duration of the gate only (withSignature): no WeakMap entry. */
let pending: { readonly c: Certificate; readonly s: SigData } | undefined;
const sigOf = (c: Certificate): SigData | undefined => (pending !== undefined && pending.c === c ? pending.s : sigData.get(c));

export function parseCertificateDer(der: Uint8Array): Certificate {
  try {
    return decodeCertificate(der);
  } catch (err) {
    if (err instanceof PkiError && err.code !== "bad-certificate") throw new PkiError("bad-certificate", `cannot parse certificate: ${err.message}`);
    throw err;
  }
}

function decodeCertificate(der: Uint8Array): Certificate {
  const [tbsT, algT, sigT, extra] = children(expect(parseDer(der), TAG.SEQUENCE, "Certificate"));
  if (extra) throw new PkiError("bad-certificate", "cannot parse certificate: extra fields");
  const tbs = decodeTbs(expect(tbsT, TAG.SEQUENCE, "TBSCertificate"));
  // RFC 5280 §4.1.1.2: the outer and inner algorithm identifiers must match.
  if (readSignatureAlgorithm(algT) !== tbs.oid) throw new PkiError("bad-certificate", "cannot parse certificate: signature algorithm mismatch");
  const cert = assemble(tbs, der);
  sigData.set(cert, { oid: tbs.oid, signature: readBitString(expect(sigT, TAG.BIT_STRING, "signatureValue")).bytes, serial: tbs.serial });
  return cert;
}

type TbsFields = Omit<Certificate, "der" | "fingerprintSha256" | "publicKey">;
interface DecodedTbs {
  readonly fields: TbsFields;
  readonly serial: Uint8Array;
  readonly oid: string;
  readonly key: () => ReturnType<typeof importSpki>;
}

function decodeTbs(tbsT: Tlv): DecodedTbs {
  const f = children(tbsT);
  let i = 0;
  let version = 1;
  if (f[0]?.tag === ctx(0, true)) {
    version = readSmallInt(expect(children(f[0])[0], TAG.INTEGER, "version")) + 1;
    i = 1;
  }
  const serial = readIntegerBytes(expect(f[i], TAG.INTEGER, "serialNumber"));
  const oid = readSignatureAlgorithm(f[i + 1]);
  const issuerT = expect(f[i + 2], TAG.SEQUENCE, "issuer");
  const [nbT, naT] = children(expect(f[i + 3], TAG.SEQUENCE, "validity"));
  const subjectT = expect(f[i + 4], TAG.SEQUENCE, "subject");
  const spki = expect(f[i + 5], TAG.SEQUENCE, "subjectPublicKeyInfo").raw;
  const extT = f.slice(i + 6).find((t) => t.tag === ctx(3, true));
  const extensions = extT ? children(expect(children(extT)[0], TAG.SEQUENCE, "Extensions")).map(decodeExtension) : [];
  const ext = (o: string): Extension | undefined => extensions.find((e) => e.oid === o);
  const [san, ku, eku, bc, ski, aki] = [
    ext(OID.subjectAltName), ext(OID.keyUsage), ext(OID.extKeyUsage), ext(OID.basicConstraints), ext(OID.subjectKeyIdentifier),
    ext(OID.authorityKeyIdentifier),
  ];
  if (!nbT || !naT) throw new PkiError("bad-certificate", "cannot parse certificate: missing validity");
  const fields: TbsFields = {
    tbs: tbsT.raw,
    version,
    serialHex: serialHex(serial),
    subject: decodeDn(subjectT),
    issuer: decodeDn(issuerT),
    subjectDer: subjectT.raw,
    issuerDer: issuerT.raw,
    notBefore: readTime(nbT),
    notAfter: readTime(naT),
    spki,
    keyAlgorithm: spkiAlgorithm(spki),
    signatureAlgorithm: signatureAlgorithmName(oid),
    sans: san ? decodeSans(san.value) : emptySans(),
    keyUsage: ku ? Object.freeze(decodeKeyUsage(ku.value)) : undefined,
    extKeyUsage: eku ? Object.freeze(decodeEku(eku.value)) : undefined,
    basicConstraints: bc ? decodeBasicConstraints(bc.value) : undefined,
    subjectKeyId: ski ? decodeSki(ski.value) : undefined,
    authorityKeyId: aki ? decodeAki(aki.value) : undefined,
    extensions: Object.freeze(extensions),
  };
  return { fields, serial, oid, key: importSpkiLazy(spki) };
}

/** The key import (≈65 µs for P-256) is lazy and memoised: issuance never needs the new certificate's KeyObject. */
function importSpkiLazy(spki: Uint8Array): () => ReturnType<typeof importSpki> {
  let v: ReturnType<typeof importSpki> | undefined;
  return () => (v ??= importSpki(spki));
}

function assemble(t: DecodedTbs, der: Uint8Array): Certificate {
  const key = t.key;
  let fingerprint: string | undefined;
  const cert: Certificate = Object.freeze({
    ...t.fields,
    der,
    get fingerprintSha256() {
      return (fingerprint ??= createHash("sha256").update(der).digest("hex"));
    },
    get publicKey() {
      return key().publicKey;
    },
  });
  return cert;
}

/** The serial INTEGER's content octets, sign included (serialHex drops it; lint needs it). */
export function serialBytes(c: Certificate): Uint8Array {
  return sigOf(c)?.serial ?? sigOf(parseCertificateDer(c.der))!.serial!;
}

function serialHex(b: Uint8Array): string {
  const h = toHex(b).replace(/^0+/, "");
  return h === "" ? "0" : h;
}

/** The first CERTIFICATE block. */
export function parseCertificatePem(pem: string): Certificate {
  const block = decodePemOrThrow(pem).find((b) => b.type === "CERTIFICATE");
  if (!block) throw new PkiError("bad-pem", "no CERTIFICATE PEM block found");
  return parseCertificateDer(block.der);
}

/** Every CERTIFICATE block (bundles), in order. */
export function parseCertificatesPem(pem: string): Certificate[] {
  return decodePemOrThrow(pem)
    .filter((b) => b.type === "CERTIFICATE")
    .map((b) => parseCertificateDer(b.der));
}

function decodePemOrThrow(text: string): ReturnType<typeof decodePem> {
  try {
    return decodePem(text);
  } catch {
    throw new PkiError("bad-pem", "PEM body is not valid base64");
  }
}

export const encodeCertificatePem = (c: Certificate): string => encodePem("CERTIFICATE", c.der);

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING contents. */
export function keyIdentifier(spki: Uint8Array): Uint8Array {
  const key = spkiPublicKeyBits(spki);
  // One-shot crypto.hash (Node ≥ 20.12): no Hash object per call, once or twice per issuance.
  return new Uint8Array(hash("sha1", key, "buffer"));
}

/** RFC 5280 §4.1.2.2 (positive, ≤ 20 octets) and CA/B BR §7.1 (≥ 64 bits of CSPRNG output): 128 random
 *  bits as an unsigned magnitude, like Kubernetes' [0, 2^128). encodeTbs writes it DER-minimal and
 *  positive (a 00 pad when the top bit is set: at most 17 octets). Zero is replaced by 1. */
export function randomSerial(random: RandomSource): Uint8Array {
  const b = random.bytes(16);
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  const v = b.slice(i);
  if (v.length === 1 && v[0] === 0) v[0] = 1;
  return v;
}

export interface TbsParts {
  readonly tbs: Uint8Array;
  readonly subjectDer: Uint8Array;
  /** The extensions as written, in order (what a parse of `tbs` would list). */
  readonly extensions: readonly Extension[];
  /** The serial INTEGER's content octets (sign octet included), as serialBytes reports them. */
  readonly serial: Uint8Array;
  /** The issuer Name and the SPKI as written: views of `tbs`. */
  readonly issuerDer: Uint8Array;
  readonly spki: Uint8Array;
  /** The buffer `tbs` was written into: TBS_ROOM bytes before it and the requested room after it. */
  readonly room: Uint8Array;
}
/** Bytes kept free in front of the TBS: the largest DER header (tag + 5 length octets). */
export const TBS_ROOM = 6;

// Per-profile and per-CA extensions repeat from one issuance to the next: encode each once, as the
// Extension value and as its whole Extension TLV (written into the TBS as is).
interface CachedExt {
  readonly ext: Extension;
  readonly der: Uint8Array;
}
const extCache = new Map<string, CachedExt>();
const akiCache = new WeakMap<Uint8Array, CachedExt>();
const ext = (oid: string, critical: boolean, value: Uint8Array): Extension => Object.freeze({ oid, critical, value });
const cached = (oid: string, critical: boolean, value: Uint8Array): CachedExt =>
  Object.freeze({ ext: ext(oid, critical, value), der: encodeExtension(oid, critical, value) });
function cachedExt(key: string, make: () => CachedExt): CachedExt {
  let e = extCache.get(key);
  if (!e) {
    e = make();
    if (extCache.size < 256) extCache.set(key, e);
  }
  return e;
}

const ZERO = Uint8Array.of(0);
/** encodeUnsigned as a writer node: leading zeros stripped, a 00 pad when the top bit is set. */
function unsignedNode(b: Uint8Array): DerNode {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  const v = b.subarray(i);
  return node(TAG.INTEGER, v.length > 0 && v[0]! >= 0x80 ? [ZERO, v] : [v.length ? v : ZERO]);
}

/** The TBSCertificate of `t` (RFC 5280 §4.1), with the pieces issuance reuses. Written in one pass
 *  (der.ts encodeDer); subjectDer, the serial and the SKI/SAN extension values are views of the TBS. */
export function encodeTbsParts(t: CertificateTemplate, issuerAlg: KeyAlgorithm, after = 0): TbsParts {
  const exts: Extension[] = [];
  const extNodes: DerPart[] = [];
  const add = (c: CachedExt): void => {
    exts.push(c.ext);
    extNodes.push(c.der);
  };
  // Order as Go writes them: KU, EKU, BC, SKI, AKI, SAN.
  const ku = t.keyUsage;
  if (ku && ku.length > 0) add(cachedExt(`ku:${ku.join(",")}`, () => cached(OID.keyUsage, true, encodeKeyUsage(ku))));
  const eku = t.extKeyUsage;
  if (eku && eku.length > 0) add(cachedExt(`eku:${eku.join(",")}`, () => cached(OID.extKeyUsage, false, encodeEku(eku))));
  const bc = t.basicConstraints;
  if (bc) add(cachedExt(`bc:${bc.ca}:${bc.pathLen ?? ""}`, () => cached(OID.basicConstraints, true, encodeBasicConstraints(bc))));
  const skiAt = exts.length;
  const ski = t.subjectKeyId ? node(TAG.OCTET_STRING, [t.subjectKeyId]) : undefined; // encodeSki
  if (ski) extNodes.push(extensionNode(OID.subjectKeyIdentifier, false, ski));
  const aki = t.authorityKeyId;
  if (aki) {
    let e = akiCache.get(aki);
    if (!e) akiCache.set(aki, (e = cached(OID.authorityKeyIdentifier, false, encodeAki(aki))));
    add(e);
  }
  const subject = dnNode(t.subject);
  // RFC 5280 §4.2.1.6: critical when the subject is empty.
  const sanCritical = t.subject.attributes.length === 0;
  const san = t.sans && sanCount(t.sans) > 0 ? sansNode(t.sans) : undefined;
  if (san) extNodes.push(extensionNode(OID.subjectAltName, sanCritical, san));
  const serial = unsignedNode(t.serialNumber);
  const tbsNode = node(TAG.SEQUENCE, [
    V3, serial, signatureSchemeFor(issuerAlg).algorithmIdentifier, t.issuerDer,
    node(TAG.SEQUENCE, [encodeTime(t.notBefore), encodeTime(t.notAfter)]), subject, t.spki,
    ...(extNodes.length > 0 ? [node(ctx(3, true), [node(TAG.SEQUENCE, extNodes)])] : []),
  ]);
  const room = encodeDerWithRoom(tbsNode, TBS_ROOM, after);
  const tbs = nodeBytes(room, tbsNode);
  if (ski) exts.splice(skiAt, 0, ext(OID.subjectKeyIdentifier, false, nodeBytes(room, ski)));
  if (san) exts.push(ext(OID.subjectAltName, sanCritical, nodeBytes(room, san)));
  const subjectDer = nodeBytes(room, subject);
  const issuerAt = serial.at + nodeBytes(room, serial).length + signatureSchemeFor(issuerAlg).algorithmIdentifier.length;
  const spkiAt = subject.at + subjectDer.length;
  return {
    tbs, subjectDer, extensions: exts, serial: nodeValue(room, serial), room,
    issuerDer: room.subarray(issuerAt, issuerAt + t.issuerDer.length), spki: room.subarray(spkiAt, spkiAt + t.spki.length),
  };
}
const V3 = tlv(ctx(0, true), encodeSmallInt(2));

export function encodeTbs(t: CertificateTemplate, issuerAlg: KeyAlgorithm): Uint8Array {
  return encodeTbsParts(t, issuerAlg).tbs;
}

/** Decodes DER this module encoded (issued.ts's lazy certificates), without the error wrapping. */
export const decodeCertificateUnchecked = (der: Uint8Array): Certificate => decodeCertificate(der);

/** Records what verifySignedBy and serialBytes need for a certificate value built elsewhere in pki/. */
export function registerSignature(c: Certificate, s: SigData): void {
  sigData.set(c, s);
}

/** Runs `fn` with `c`'s signature data known to serialBytes/verifySignedBy, without a WeakMap entry:
 *  for a value that lives only during `fn` (the lint gate's view). Used later, such a value falls back
 *  to parsing its `der`, which gives the same answers. */
export function withSignature<T>(c: Certificate, s: SigData, fn: () => T): T {
  const prev = pending;
  pending = { c, s };
  try {
    return fn();
  } finally {
    pending = prev;
  }
}

/** True when `issuer`'s key verifies `cert`'s signature (names are not compared). */
export function verifySignedBy(cert: Certificate, issuer: Certificate): boolean {
  const s = sigOf(cert) ?? sigOf(parseCertificateDer(cert.der))!;
  return verifySignature(s.oid, cert.tbs, s.signature, issuer.publicKey);
}

