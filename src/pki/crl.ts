// Certificate revocation lists (RFC 5280 §5): a v2 CRL signed by the CA that issued the revoked
// certificates, so nginx (`ssl_crl`), openssl (`verify -crl_check`) and any other relying party can
// refuse a certificate kpki has revoked. Pure: the caller passes the entries, the times and a signing
// function (the CA's KeySigner), as issuance does.
import { encodePem, fromHex } from "../base/index.ts";
import { ctx, encodeBitString, encodeOid, encodeTime, encodeUnsigned, seq, tlv, TAG } from "./der.ts";
import { keyIdentifier } from "./certificate.ts";
import { PkiError } from "./errors.ts";
import { signatureSchemeFor } from "./sigalg.ts";
import type { Certificate } from "./types.ts";

/** RFC 5280 §5.3.1 CRLReason (value 7 is unused). */
export const CRL_REASON_CODES = Object.freeze({
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  removeFromCRL: 8,
  privilegeWithdrawn: 9,
  aACompromise: 10,
} as const);
export type CrlReason = keyof typeof CRL_REASON_CODES;

export function isCrlReason(s: string): s is CrlReason {
  return Object.hasOwn(CRL_REASON_CODES, s);
}

export interface CrlEntry {
  /** Lowercase hex, as Certificate.serialHex. */
  readonly serialHex: string;
  readonly revokedAt: Date;
  readonly reason: CrlReason;
}

export interface CrlTemplate {
  /** The CA whose certificates are listed; its subject becomes the CRL issuer (§5.1.2.3). */
  readonly issuer: Certificate;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  /** §5.2.3: a monotonically increasing number, at most 20 octets. */
  readonly crlNumber: bigint;
  readonly entries: readonly CrlEntry[];
}

const OID_AKI = "2.5.29.35";
const OID_CRL_NUMBER = "2.5.29.20";
const OID_REASON_CODE = "2.5.29.21";
const TAG_ENUMERATED = 0x0a;
const MAX_CRL_NUMBER = (1n << 159n) - 1n; // 20 octets, positive (§5.2.3)

/** Extension ::= SEQUENCE { extnID, critical DEFAULT FALSE (omitted in DER), extnValue OCTET STRING }. */
const extension = (oid: string, value: Uint8Array): Uint8Array => seq(encodeOid(oid), tlv(TAG.OCTET_STRING, value));

function integerFromHex(hex: string, what: string): Uint8Array {
  if (!/^[0-9a-f]+$/i.test(hex)) throw new PkiError("bad-der", `${what} "${hex}" is not hex`);
  return encodeUnsigned(fromHex(hex.length % 2 === 1 ? `0${hex}` : hex));
}

/** One revokedCertificates element (§5.1.2.6). The reasonCode entry extension (§5.3.1) is left out
 *  for "unspecified": "the reason code CRL entry extension SHOULD be absent instead". */
function revokedEntry(e: CrlEntry): Uint8Array {
  const serial = integerFromHex(e.serialHex, "serial");
  const time = encodeTime(e.revokedAt);
  if (e.reason === "unspecified") return seq(serial, time);
  const reason = extension(OID_REASON_CODE, tlv(TAG_ENUMERATED, Uint8Array.of(CRL_REASON_CODES[e.reason])));
  return seq(serial, time, seq(reason));
}

/** TBSCertList (§5.1.2): version v2 (needed for extensions), the CA's signature algorithm, the CA's
 *  subject DER byte for byte (so issuer matching in verifiers is exact), thisUpdate, nextUpdate (§5.1.2.5:
 *  conforming issuers MUST include it), the entries (absent when empty, §5.1.2.6), and crlExtensions:
 *  authorityKeyIdentifier (§5.2.1, MUST) and cRLNumber (§5.2.3, MUST). */
export function encodeTbsCrl(t: CrlTemplate): Uint8Array {
  if (t.crlNumber < 0n || t.crlNumber > MAX_CRL_NUMBER) throw new PkiError("bad-der", "the CRL number must be a positive integer of at most 20 octets");
  if (t.nextUpdate.getTime() <= t.thisUpdate.getTime()) throw new PkiError("bad-der", "the CRL's nextUpdate must be after its thisUpdate");
  const keyId = t.issuer.subjectKeyId ?? keyIdentifier(t.issuer.spki);
  const aki = extension(OID_AKI, seq(tlv(ctx(0, false), keyId)));
  const number = extension(OID_CRL_NUMBER, integerFromHex(t.crlNumber.toString(16), "CRL number"));
  const sorted = [...t.entries].sort((a, b) => compareSerials(a.serialHex, b.serialHex));
  const parts = [
    encodeUnsigned(Uint8Array.of(1)),
    signatureSchemeFor(t.issuer.keyAlgorithm).algorithmIdentifier,
    t.issuer.subjectDer,
    encodeTime(t.thisUpdate),
    encodeTime(t.nextUpdate),
  ];
  if (sorted.length > 0) parts.push(seq(...sorted.map(revokedEntry)));
  parts.push(tlv(ctx(0, true), seq(aki, number)));
  return seq(...parts);
}

/** Numeric order of hex serials (a deterministic CRL for the same entries). */
function compareSerials(a: string, b: string): number {
  const x = a.replace(/^0+/, "");
  const y = b.replace(/^0+/, "");
  return x.length - y.length || (x < y ? -1 : x > y ? 1 : 0);
}

/** CertificateList ::= SEQUENCE { tbsCertList, signatureAlgorithm, signatureValue } (§5.1), DER.
 *  `sign` signs with the issuer's key and the digest of signatureSchemeFor (ca/localKeySigner does). */
export async function signCrl(t: CrlTemplate, sign: (tbs: Uint8Array) => Uint8Array | Promise<Uint8Array>): Promise<Uint8Array> {
  const tbs = encodeTbsCrl(t);
  const signature = await sign(tbs);
  return seq(tbs, signatureSchemeFor(t.issuer.keyAlgorithm).algorithmIdentifier, encodeBitString(signature));
}

/** RFC 7468 §5: "X509 CRL". */
export const encodeCrlPem = (der: Uint8Array): string => encodePem("X509 CRL", der);
