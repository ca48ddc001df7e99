// Issuance's side of certificates: sign a template, lint the template instead of a re-parse, and hand
// back a certificate whose decoded fields are read from its DER only when someone asks.
//
// Why: on the issuance hot path (CSR → certificate) re-parsing the TBS we just encoded cost ≈ 30 µs
// and building two frozen 20-field objects ≈ 10 µs a certificate, while the caller usually only wants
// `der` (to PEM-encode it). The pre-issuance lint gate needs the fields, but they are known: they are
// the template's, mapped exactly as the encoder writes them (templateView). The returned certificate
// is still the DER's truth: its fields come from decoding `der` on first access (and are cached).
import { createHash } from "node:crypto";
import { encodeBitString, seq } from "./der.ts";
import { decodeCertificateUnchecked, encodeTbsParts, registerSignature } from "./certificate.ts";
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
 *  because Object.defineProperties left the object in slow dictionary mode (measured ≈ 8 µs a certificate). */
function lazyCertificate(der: Uint8Array, tbs: Uint8Array, sig: { oid: string; signature: Uint8Array }): Certificate {
  const c: Certificate = Object.freeze({
    der,
    tbs,
    get version() { return full(this).version; },
    get serialHex() { return full(this).serialHex; },
    get subject() { return full(this).subject; },
    get issuer() { return full(this).issuer; },
    get subjectDer() { return full(this).subjectDer; },
    get issuerDer() { return full(this).issuerDer; },
    get notBefore() { return full(this).notBefore; },
    get notAfter() { return full(this).notAfter; },
    get publicKey() { return full(this).publicKey; },
    get spki() { return full(this).spki; },
    get keyAlgorithm() { return full(this).keyAlgorithm; },
    get signatureAlgorithm() { return full(this).signatureAlgorithm; },
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
function templateView(t: CertificateTemplate, parts: ReturnType<typeof encodeTbsParts>, issuerAlg: KeyAlgorithm, unsignedDer: Uint8Array): Certificate {
  const sans = t.sans && sanCount(t.sans) > 0 ? t.sans : emptySans();
  const subject = canonicalDn(t.subject);
  const view = {
    der: unsignedDer,
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
      return createHash("sha256").update(unsignedDer).digest("hex");
    },
  };
  return view as Certificate;
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
  const parts = encodeTbsParts(t, issuerAlg);
  const algId = signatureSchemeFor(issuerAlg).algorithmIdentifier;
  if (opts.check) {
    const view = templateView(t, parts, issuerAlg, seq(parts.tbs, algId, encodeBitString(new Uint8Array(0))));
    registerSignature(view, { oid: signatureSchemeFor(issuerAlg).oid, signature: new Uint8Array(0), serial: parts.serial });
    opts.check(view);
  }
  const signature = await sign(parts.tbs);
  const der = seq(parts.tbs, algId, encodeBitString(signature));
  return lazyCertificate(der, parts.tbs, { oid: signatureSchemeFor(issuerAlg).oid, signature });
}
