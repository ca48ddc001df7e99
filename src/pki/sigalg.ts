// Signature algorithms: which AlgorithmIdentifier and digest a key signs with, and verification.
import { verify } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { children, encodeOid, expect, NULL_DER, readOid, seq, TAG } from "./der.ts";
import type { Tlv } from "./der.ts";
import { PkiError } from "./errors.ts";
import { OID, SIGNATURE_ALGORITHMS } from "./oids.ts";
import type { KeyAlgorithm } from "./types.ts";

export interface SignatureScheme {
  readonly oid: string;
  /** Encoded AlgorithmIdentifier. RSA carries NULL parameters (RFC 4055 §5); ECDSA/Ed25519 none (RFC 5758 §3.2, RFC 8410 §3). */
  readonly algorithmIdentifier: Uint8Array;
  readonly digest: string | null;
}

const ECDSA_BY_CURVE = { "P-256": OID.ecdsaWithSHA256, "P-384": OID.ecdsaWithSHA384, "P-521": OID.ecdsaWithSHA512 } as const;
const schemes = new Map<string, SignatureScheme>();

/** sha256WithRSAEncryption / ecdsa-with-SHA256/384/512 by curve (Go's defaults) / Ed25519. */
export function signatureSchemeFor(alg: KeyAlgorithm): SignatureScheme {
  const key = alg.kind === "ecdsa" ? alg.curve : alg.kind;
  const hit = schemes.get(key);
  if (hit) return hit;
  const oid = alg.kind === "rsa" ? OID.sha256WithRSA : alg.kind === "ecdsa" ? ECDSA_BY_CURVE[alg.curve] : OID.ed25519;
  const algorithmIdentifier = alg.kind === "rsa" ? seq(encodeOid(oid), NULL_DER) : seq(encodeOid(oid));
  const s: SignatureScheme = Object.freeze({ oid, algorithmIdentifier, digest: SIGNATURE_ALGORITHMS[oid]!.digest });
  schemes.set(key, s);
  return s;
}

/** Reads an AlgorithmIdentifier of a signature; parameters must be absent or NULL. */
export function readSignatureAlgorithm(t: Tlv | undefined): string {
  const parts = children(expect(t, TAG.SEQUENCE, "signatureAlgorithm"));
  const oid = readOid(expect(parts[0], TAG.OID, "algorithm"));
  if (parts.length > 2 || (parts[1] && parts[1].tag !== TAG.NULL)) {
    throw new PkiError("unsupported-algorithm", `unsupported signature algorithm parameters for ${oid}`);
  }
  return oid;
}

export function signatureAlgorithmName(oid: string): string {
  return SIGNATURE_ALGORITHMS[oid]?.name ?? oid;
}

/** True when `signature` over `data` verifies under `key` with the algorithm `oid`; false on mismatch
 *  (including a key of the wrong type); unsupported algorithms are false too. */
export function verifySignature(oid: string, data: Uint8Array, signature: Uint8Array, key: KeyObject): boolean {
  const alg = SIGNATURE_ALGORITHMS[oid];
  if (!alg) return false;
  const type = key.asymmetricKeyType;
  const family = oid === OID.ed25519 ? "ed25519" : alg.name.startsWith("ecdsa") ? "ec" : "rsa";
  if (type !== family) return false;
  try {
    return verify(alg.digest, data, key, signature);
  } catch {
    return false;
  }
}
