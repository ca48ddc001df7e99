// PKCS#10 certification requests (RFC 2986): create, parse, verify (proof of possession).
import { sign } from "node:crypto";
import { decodePem, encodePem } from "../base/index.ts";
import {
  children, ctx, encodeBitString, encodeOid, encodeSmallInt, expect, parseDer, readBitString, readOid, readSmallInt, seq, set,
  tlv, TAG,
} from "./der.ts";
import { PkiError } from "./errors.ts";
import { decodeBasicConstraints, decodeExtension, decodeSans, encodeBasicConstraints, encodeExtension, encodeSans } from "./extensions.ts";
import { importPublicKey, importPublicKeyAsync, spkiKeyInput, spkiOf } from "./keys.ts";
import type { PublicKeyInput } from "./keys.ts";
import { decodeDn, emptySans, encodeDn, sanCount } from "./names.ts";
import { OID, SIGNATURE_ALGORITHMS } from "./oids.ts";
import type { KeyObject } from "node:crypto";
import { readSignatureAlgorithm, signatureAlgorithmName, signatureSchemeFor, verifySignature } from "./sigalg.ts";
import type { Csr, DistinguishedName, Extension, KeyPair, SubjectAltNames } from "./types.ts";

export function createCsr(opts: { subject: DistinguishedName; sans?: SubjectAltNames; key: KeyPair; ca?: boolean }): Csr {
  const exts: Uint8Array[] = [];
  if (opts.sans && sanCount(opts.sans) > 0) exts.push(encodeExtension(OID.subjectAltName, false, encodeSans(opts.sans)));
  if (opts.ca) exts.push(encodeExtension(OID.basicConstraints, true, encodeBasicConstraints({ ca: true })));
  const attrs = exts.length > 0 ? [seq(encodeOid(OID.extensionRequest), set(seq(...exts)))] : [];
  const info = seq(encodeSmallInt(0), encodeDn(opts.subject), spkiOf(opts.key.publicKey), tlv(ctx(0, true), ...attrs));
  const scheme = signatureSchemeFor(opts.key.algorithm);
  const signature = sign(scheme.digest, info, opts.key.privateKey);
  return parseCsrDer(seq(info, scheme.algorithmIdentifier, encodeBitString(signature)));
}

/** Signature check data, kept beside the Csr value so verifyCsrSignature needs no re-parse. */
const signed = new WeakMap<Csr, { info: Uint8Array; signature: Uint8Array; oid: string; input: PublicKeyInput }>();

export function parseCsrDer(der: Uint8Array): Csr {
  try {
    return decodeCsr(der);
  } catch (err) {
    if (err instanceof PkiError && err.code !== "bad-csr") throw new PkiError("bad-csr", `cannot parse CSR: ${err.message}`);
    throw err;
  }
}

function decodeCsr(der: Uint8Array): Csr {
  const [infoT, algT, sigT, extra] = children(expect(parseDer(der), TAG.SEQUENCE, "CertificationRequest"));
  if (extra) throw new PkiError("bad-csr", "cannot parse CSR: extra fields");
  const [verT, subjT, spkiT, attrsT, extra2] = children(expect(infoT, TAG.SEQUENCE, "CertificationRequestInfo"));
  if (readSmallInt(expect(verT, TAG.INTEGER, "version")) !== 0) throw new PkiError("bad-csr", "cannot parse CSR: version must be 0 (v1)");
  if (extra2) throw new PkiError("bad-csr", "cannot parse CSR: extra fields in CertificationRequestInfo");
  const subject = decodeDn(subjT!);
  const spki = expect(spkiT, TAG.SEQUENCE, "subjectPKInfo").raw;
  const extensions: Extension[] = [];
  // Some encoders omit the [0] attributes entirely; RFC 2986 requires it, Go and openssl tolerate it.
  for (const attr of attrsT ? children(expect(attrsT, ctx(0, true), "attributes")) : []) {
    const [type, values] = children(expect(attr, TAG.SEQUENCE, "Attribute"));
    if (readOid(expect(type, TAG.OID, "attribute type")) !== OID.extensionRequest) continue; // challengePassword etc.
    for (const exts of children(expect(values, TAG.SET, "attribute values"))) {
      for (const e of children(expect(exts, TAG.SEQUENCE, "Extensions"))) extensions.push(decodeExtension(e));
    }
  }
  const sanExt = extensions.find((e) => e.oid === OID.subjectAltName);
  const bcExt = extensions.find((e) => e.oid === OID.basicConstraints);
  const oid = readSignatureAlgorithm(algT);
  const signature = readBitString(expect(sigT, TAG.BIT_STRING, "signature")).bytes;
  const { input, algorithm } = spkiKeyInput(spki);
  let publicKey: KeyObject | undefined;
  const csr: Csr = Object.freeze({
    der,
    subject,
    sans: sanExt ? decodeSans(sanExt.value) : emptySans(),
    // Lazy: importing costs more than verifying (perf-anchors §1), and a worker pool verifies elsewhere.
    get publicKey() {
      return (publicKey ??= importPublicKey(input));
    },
    spki,
    keyAlgorithm: Object.freeze(algorithm),
    signatureAlgorithm: signatureAlgorithmName(oid),
    extensions: Object.freeze(extensions),
    requestsCa: bcExt ? decodeBasicConstraints(bcExt.value).ca : false,
  });
  signed.set(csr, { info: infoT!.raw, signature, oid, input });
  return csr;
}

const CSR_TYPES = new Set(["CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"]);

/** Kubernetes' rule (certificates.k8s.io validation): the FIRST PEM block must be the request. */
export function parseCsrPem(pemOrText: string): Csr {
  const first = decodePemSafe(pemOrText)[0];
  if (!first || !CSR_TYPES.has(first.type)) throw new PkiError("bad-csr", "PEM block type must be CERTIFICATE REQUEST");
  return parseCsrDer(first.der);
}

export function decodePemSafe(text: string): ReturnType<typeof decodePem> {
  try {
    return decodePem(text);
  } catch {
    throw new PkiError("bad-pem", "PEM body is not valid base64");
  }
}

export function verifyCsrSignature(csr: Csr): boolean {
  // A Csr copied with spread loses its WeakMap entry: re-parse its DER.
  const s = signed.get(csr) ?? signed.get(parseCsrDer(csr.der))!;
  let key: KeyObject;
  try {
    key = csr.publicKey;
  } catch {
    return false; // a key that does not import (point not on the curve…) proves nothing
  }
  return verifySignature(s.oid, s.info, s.signature, key);
}

/** verifyCsrSignature with the cheaper EC key import (importPublicKeyAsync): what a Signer uses. */
export async function verifyCsrSignatureAsync(csr: Csr): Promise<boolean> {
  const s = signed.get(csr) ?? signed.get(parseCsrDer(csr.der))!;
  let key: KeyObject;
  try {
    key = await importPublicKeyAsync(s.input);
  } catch {
    return false; // a key that does not import (point not on the curve…) proves nothing
  }
  return verifySignature(s.oid, s.info, s.signature, key);
}

/** `csr` itself when it came from parseCsrDer/parseCsrPem/createCsr (frozen, so its fields match its
 *  DER); otherwise the CSR re-parsed from `csr.der`, so a hand-built object cannot pair one key's
 *  proof of possession with another key's SPKI. */
export function canonicalCsr(csr: Csr): Csr {
  return signed.has(csr) ? csr : parseCsrDer(csr.der);
}

/** Everything needed to check a CSR's proof of possession, as structured-cloneable data, so the check
 *  (key import + verify, the costly part of issuance) can run on a worker thread. */
export interface SignatureCheck {
  readonly digest: string | null;
  readonly data: Uint8Array;
  readonly signature: Uint8Array;
  readonly key: PublicKeyInput;
}

export function csrSignatureCheck(csr: Csr): SignatureCheck {
  const s = signed.get(csr) ?? signed.get(parseCsrDer(csr.der))!;
  const digest = SIGNATURE_ALGORITHMS[s.oid]?.digest;
  if (digest === undefined) throw new PkiError("unsupported-algorithm", `unsupported CSR signature algorithm ${s.oid}`);
  return { digest, data: s.info, signature: s.signature, key: s.input };
}

export const encodeCsrPem = (csr: Csr): string => encodePem("CERTIFICATE REQUEST", csr.der);
