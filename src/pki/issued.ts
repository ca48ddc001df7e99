// Issuance's side of certificates: sign a template, lint the template instead of a re-parse, and hand
// back a certificate whose decoded fields are read from its DER only when someone asks.
//
// Why: on the issuance hot path (CSR → certificate) re-parsing the TBS we just encoded cost ≈ 30 µs
// and building two frozen 20-field objects ≈ 10 µs a certificate, while the caller usually only wants
// `der` (to PEM-encode it). The pre-issuance lint gate needs the fields, but they are known: they are
// the template's, mapped exactly as the encoder writes them (templateView). The returned certificate
// is still the DER's truth: its fields come from decoding `der` on first access (and are cached).
import { createHash } from "node:crypto";
import { encodeDer, headerSize, node, TAG, writeHeader } from "./der.ts";
import { decodeCertificateUnchecked, encodeTbsParts, registerSignature, TBS_ROOM, withSignature } from "./certificate.ts";
import type { TbsParts } from "./certificate.ts";
import { keyUsageView } from "./extensions.ts";
import { spkiAlgorithm } from "./keys.ts";
import { decodeDnDer, emptySans, sanCount } from "./names.ts";
import { ATTRIBUTE_NAMES, ATTRIBUTE_OIDS } from "./oids.ts";
import { signatureSchemeFor, signatureAlgorithmName } from "./sigalg.ts";
import type { Certificate, CertificateTemplate, DistinguishedName, Extension, KeyAlgorithm } from "./types.ts";

const decoded = new WeakMap<object, Certificate>();
function full(c: object): Certificate {
  let d = decoded.get(c);
  if (!d) decoded.set(c, (d = decodeCertificateUnchecked((c as Certificate).der)));
  return d;
}

/** A certificate value over `der` whose decoded fields are decoded on first access. Only for DER this
 *  module encoded itself (a foreign certificate goes through parseCertificateDer, which checks it all up
 *  front). Own enumerable getters, so spread, deepEqual and JSON see every field; an object literal,
 *  because Object.defineProperties left the object in slow dictionary mode (measured ≈ 8 µs a certificate).
 *  Each accessor costs ≈ 0.3 µs to define, so what is the DER by construction is plain data: the byte
 *  fields are views of `der`, and version and signatureAlgorithm are what encodeTbsParts always writes. */
function lazyCertificate(der: Uint8Array, parts: TbsParts, issuerAlg: KeyAlgorithm, sig: { oid: string; signature: Uint8Array }): Certificate {
  const c: Certificate = Object.freeze({
    der,
    tbs: parts.tbs,
    version: 3,
    get serialHex() { return full(this).serialHex; },
    get subject() { return full(this).subject; },
    get issuer() { return full(this).issuer; },
    subjectDer: parts.subjectDer,
    issuerDer: parts.issuerDer,
    get notBefore() { return full(this).notBefore; },
    get notAfter() { return full(this).notAfter; },
    get publicKey() { return full(this).publicKey; },
    spki: parts.spki,
    get keyAlgorithm() { return full(this).keyAlgorithm; },
    signatureAlgorithm: signatureAlgorithmName(signatureSchemeFor(issuerAlg).oid),
    get sans() { return full(this).sans; },
    get keyUsage() { return full(this).keyUsage; },
    get extKeyUsage() { return full(this).extKeyUsage; },
    get basicConstraints() { return full(this).basicConstraints; },
    get subjectKeyId() { return full(this).subjectKeyId; },
    get authorityKeyId() { return full(this).authorityKeyId; },
    get extensions() { return full(this).extensions; },
    get fingerprintSha256() { return full(this).fingerprintSha256; },
  });
  registerSignature(c, sig);
  return c;
}

/** Certificate order of attribute names as decodeDn reports them ("2.5.4.3" reads back as "CN"). */
function canonicalDn(dn: DistinguishedName): DistinguishedName {
  if (dn.attributes.every((a) => ATTRIBUTE_OIDS[a.type] !== undefined)) return dn;
  return { attributes: dn.attributes.map((a) => ({ type: ATTRIBUTE_NAMES[a.type] ?? a.type, value: a.value })) };
}

const toSecond = (d: Date): Date => new Date(Math.floor(d.getTime() / 1000) * 1000);

/** What parsing the encoded TBS would give, built from the template: the lint gate's input. Each field
 *  follows encodeTbs: empty KU/EKU/SAN lists are not written (so undefined here), times lose their
 *  milliseconds, names read back with their short names. templateView.test.ts compares it with a parse. */
function templateView(t: CertificateTemplate, parts: TbsParts, issuerAlg: KeyAlgorithm): Certificate {
  const sans = t.sans && sanCount(t.sans) > 0 ? t.sans : emptySans();
  const subject = canonicalDn(t.subject);
  // The lint rules never read `der`: build the unsigned certificate (a copy of the TBS) only if asked.
  let unsigned: Uint8Array | undefined;
  const unsignedDer = (): Uint8Array => (unsigned ??= certificateDer(parts.tbs, issuerAlg, EMPTY));
  const view = {
    get der() {
      return unsignedDer();
    },
    tbs: parts.tbs,
    version: 3,
    get serialHex() {
      return full(this).serialHex;
    },
    subject,
    get issuer() {
      return decodeDnDer(t.issuerDer);
    },
    subjectDer: parts.subjectDer,
    issuerDer: t.issuerDer,
    notBefore: toSecond(t.notBefore),
    notAfter: toSecond(t.notAfter),
    get publicKey() {
      return full(this).publicKey;
    },
    spki: t.spki,
    keyAlgorithm: spkiAlgorithm(t.spki),
    signatureAlgorithm: signatureAlgorithmName(signatureSchemeFor(issuerAlg).oid),
    sans,
    keyUsage: t.keyUsage && t.keyUsage.length > 0 ? keyUsageView(t.keyUsage) : undefined,
    extKeyUsage: t.extKeyUsage && t.extKeyUsage.length > 0 ? t.extKeyUsage : undefined,
    basicConstraints: t.basicConstraints
      ? t.basicConstraints.pathLen === undefined ? { ca: t.basicConstraints.ca } : { ca: t.basicConstraints.ca, pathLen: t.basicConstraints.pathLen }
      : undefined,
    subjectKeyId: t.subjectKeyId,
    authorityKeyId: t.authorityKeyId,
    extensions: parts.extensions as readonly Extension[],
    get fingerprintSha256() {
      return createHash("sha256").update(unsignedDer()).digest("hex");
    },
  };
  return view as Certificate;
}

const EMPTY = new Uint8Array(0);
const ZERO = Uint8Array.of(0);

/** Certificate ::= SEQUENCE { tbs, signatureAlgorithm, BIT STRING signature } (RFC 5280 §4.1), one allocation. */
const certificateDer = (tbs: Uint8Array, issuerAlg: KeyAlgorithm, signature: Uint8Array): Uint8Array =>
  encodeDer(node(TAG.SEQUENCE, [tbs, signatureSchemeFor(issuerAlg).algorithmIdentifier, node(TAG.BIT_STRING, [ZERO, signature])]));

const EC_SIG_MAX = { "P-256": 72, "P-384": 104, "P-521": 139 } as const;
/** Room behind the TBS for signatureAlgorithm + the signature BIT STRING, at the largest signature size. */
function roomAfterTbs(alg: KeyAlgorithm): number {
  const sig = alg.kind === "ecdsa" ? EC_SIG_MAX[alg.curve] : alg.kind === "rsa" ? Math.ceil(alg.bits / 8) : 64;
  return signatureSchemeFor(alg).algorithmIdentifier.length + headerSize(sig + 1) + 1 + sig;
}

/** certificateDer written around the TBS in the buffer it was encoded into (encodeTbsParts left room on
 *  both sides): no second buffer and no copy of the TBS, ≈ 1.5 µs and one ArrayBuffer a certificate.
 *  The same bytes as certificateDer; a signature longer than the room falls back to it. */
function finishInPlace(parts: TbsParts, issuerAlg: KeyAlgorithm, signature: Uint8Array): Uint8Array {
  const { tbs, room } = parts;
  const algId = signatureSchemeFor(issuerAlg).algorithmIdentifier;
  const bits = 1 + signature.length;
  const total = tbs.length + algId.length + headerSize(bits) + bits;
  const start = TBS_ROOM - headerSize(total);
  if (start < 0 || TBS_ROOM + total > room.length) return certificateDer(tbs, issuerAlg, signature);
  writeHeader(room, start, TAG.SEQUENCE, total);
  let pos = TBS_ROOM + tbs.length;
  room.set(algId, pos);
  pos = writeHeader(room, pos + algId.length, TAG.BIT_STRING, bits);
  room[pos] = 0;
  room.set(signature, pos + 1);
  return room.subarray(start, TBS_ROOM + total);
}

/** Builds the TBS, lets `opts.check` inspect the certificate as it will read (the CA's pre-issuance lint
 *  gate throws there, so nothing that fails lint is ever signed), has `sign` sign the TBS (the CA's
 *  KeySigner) and returns the certificate, its fields decoded from its DER on first use. */
export async function signTemplate(
  t: CertificateTemplate,
  sign: (tbs: Uint8Array) => Uint8Array | Promise<Uint8Array>,
  issuerAlg: KeyAlgorithm,
  opts: { check?: (unsigned: Certificate) => void } = {},
): Promise<Certificate> {
  const parts = encodeTbsParts(t, issuerAlg, roomAfterTbs(issuerAlg));
  if (opts.check) {
    const view = templateView(t, parts, issuerAlg);
    const check = opts.check;
    withSignature(view, { oid: signatureSchemeFor(issuerAlg).oid, signature: EMPTY, serial: parts.serial }, () => check(view));
  }
  const signature = await sign(parts.tbs);
  const der = finishInPlace(parts, issuerAlg, signature);
  // In place, parts' views are views of `der`; after the fallback copy they hold the same bytes.
  return lazyCertificate(der, parts, issuerAlg, { oid: signatureSchemeFor(issuerAlg).oid, signature });
}
