// X.509 certificates (RFC 5280 §4.1): parse, build a TBS from a template, sign, serials, key ids.
import { createHash, hash } from "node:crypto";
import { decodePem, encodePem, toHex } from "../base/index.ts";
import type { RandomSource } from "../base/index.ts";
import {
  children, ctx, encodeSmallInt, encodeTime, encodeUnsigned, expect, parseDer, readBitString,
  readIntegerBytes, readSmallInt, readTime, seq, tlv, TAG,
} from "./der.ts";
import type { Tlv } from "./der.ts";
import { PkiError } from "./errors.ts";
import {
  decodeAki, decodeBasicConstraints, decodeEku, decodeExtension, decodeKeyUsage, decodeSans, decodeSki, encodeAki,
  encodeBasicConstraints, encodeEku, encodeExtension, encodeKeyUsage, encodeSans, encodeSki,
} from "./extensions.ts";
import { importSpki, spkiAlgorithm } from "./keys.ts";
import { decodeDn, emptySans, encodeDn, sanCount } from "./names.ts";
import { OID } from "./oids.ts";
import { readSignatureAlgorithm, signatureAlgorithmName, signatureSchemeFor, verifySignature } from "./sigalg.ts";
import type { Certificate, CertificateTemplate, Extension, KeyAlgorithm } from "./types.ts";

const sigData = new WeakMap<Certificate, { oid: string; signature: Uint8Array }>();

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
  sigData.set(cert, { oid: tbs.oid, signature: readBitString(expect(sigT, TAG.BIT_STRING, "signatureValue")).bytes });
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

const serials = new WeakMap<Certificate, Uint8Array>();

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
  serials.set(cert, t.serial);
  return cert;
}

/** The serial INTEGER's content octets, sign included (serialHex drops it; lint needs it). */
export function serialBytes(c: Certificate): Uint8Array {
  return serials.get(c) ?? serials.get(parseCertificateDer(c.der))!;
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
  const [, bits] = children(expect(parseDer(spki), TAG.SEQUENCE, "SubjectPublicKeyInfo"));
  const key = readBitString(expect(bits, TAG.BIT_STRING, "subjectPublicKey")).bytes;
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
}

// Per-profile and per-CA extension values repeat from one issuance to the next: encode each once.
const extCache = new Map<string, Extension>();
const akiCache = new WeakMap<Uint8Array, Extension>();
function cachedExt(key: string, make: () => Extension): Extension {
  let e = extCache.get(key);
  if (!e) {
    e = make();
    if (extCache.size < 256) extCache.set(key, e);
  }
  return e;
}
const ext = (oid: string, critical: boolean, value: Uint8Array): Extension => Object.freeze({ oid, critical, value });

/** The TBSCertificate of `t` (RFC 5280 §4.1), with the pieces issuance reuses. */
export function encodeTbsParts(t: CertificateTemplate, issuerAlg: KeyAlgorithm): TbsParts {
  const exts: Extension[] = [];
  // Order as Go writes them: KU, EKU, BC, SKI, AKI, SAN.
  const ku = t.keyUsage;
  if (ku && ku.length > 0) exts.push(cachedExt(`ku:${ku.join(",")}`, () => ext(OID.keyUsage, true, encodeKeyUsage(ku))));
  const eku = t.extKeyUsage;
  if (eku && eku.length > 0) exts.push(cachedExt(`eku:${eku.join(",")}`, () => ext(OID.extKeyUsage, false, encodeEku(eku))));
  const bc = t.basicConstraints;
  if (bc) exts.push(cachedExt(`bc:${bc.ca}:${bc.pathLen ?? ""}`, () => ext(OID.basicConstraints, true, encodeBasicConstraints(bc))));
  if (t.subjectKeyId) exts.push(ext(OID.subjectKeyIdentifier, false, encodeSki(t.subjectKeyId)));
  const aki = t.authorityKeyId;
  if (aki) {
    let e = akiCache.get(aki);
    if (!e) akiCache.set(aki, (e = ext(OID.authorityKeyIdentifier, false, encodeAki(aki))));
    exts.push(e);
  }
  const subjectDer = encodeDn(t.subject);
  if (t.sans && sanCount(t.sans) > 0) {
    // RFC 5280 §4.2.1.6: critical when the subject is empty.
    exts.push(ext(OID.subjectAltName, t.subject.attributes.length === 0, encodeSans(t.sans)));
  }
  const serialInt = encodeUnsigned(t.serialNumber);
  const tbs = seq(
    V3,
    serialInt,
    signatureSchemeFor(issuerAlg).algorithmIdentifier,
    t.issuerDer,
    seq(encodeTime(t.notBefore), encodeTime(t.notAfter)),
    subjectDer,
    t.spki,
    ...(exts.length > 0 ? [tlv(ctx(3, true), seq(...exts.map((e) => encodeExtension(e.oid, e.critical, e.value))))] : []),
  );
  return { tbs, subjectDer, extensions: exts, serial: serialInt.subarray(2) };
}
const V3 = tlv(ctx(0, true), encodeSmallInt(2));

export function encodeTbs(t: CertificateTemplate, issuerAlg: KeyAlgorithm): Uint8Array {
  return encodeTbsParts(t, issuerAlg).tbs;
}

/** Decodes DER this module encoded (issued.ts's lazy certificates), without the error wrapping. */
export const decodeCertificateUnchecked = (der: Uint8Array): Certificate => decodeCertificate(der);

/** Records what verifySignedBy and serialBytes need for a certificate value built elsewhere in pki/. */
export function registerSignature(c: Certificate, s: { oid: string; signature: Uint8Array; serial?: Uint8Array }): void {
  sigData.set(c, { oid: s.oid, signature: s.signature });
  if (s.serial) serials.set(c, s.serial);
}

/** True when `issuer`'s key verifies `cert`'s signature (names are not compared). */
export function verifySignedBy(cert: Certificate, issuer: Certificate): boolean {
  const s = sigData.get(cert) ?? sigData.get(parseCertificateDer(cert.der))!;
  return verifySignature(s.oid, cert.tbs, s.signature, issuer.publicKey);
}

