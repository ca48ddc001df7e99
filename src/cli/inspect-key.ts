// Private keys for inspect: the algorithm of every PEM form openssl writes (PKCS#8, PKCS#1, SEC1,
// legacy "Proc-Type: 4,ENCRYPTED" PEM, encrypted PKCS#8). An encrypted key shows its encryption
// scheme (readable without the passphrase) and, given a passphrase, its algorithm. Never key material.
import { derChildren, formatKeyAlgorithm, parseDer, parsePrivateKeyPem, readOid, readSmallInt } from "../pki/index.ts";
import type { DerTlv } from "../pki/index.ts";
import { encodePem, type PemBlock } from "../base/index.ts";

// RFC 8018 (PKCS#5 v2.1) §A, RFC 7914 (scrypt), NIST AES OIDs.
const PBE_NAMES: Readonly<Record<string, string>> = {
  "1.2.840.113549.1.5.13": "PBES2",
  "1.2.840.113549.1.5.12": "PBKDF2",
  "1.3.6.1.4.1.11591.4.11": "scrypt",
  "1.2.840.113549.2.7": "hmacWithSHA1",
  "1.2.840.113549.2.9": "hmacWithSHA256",
  "1.2.840.113549.2.10": "hmacWithSHA384",
  "1.2.840.113549.2.11": "hmacWithSHA512",
  "2.16.840.1.101.3.4.1.2": "aes-128-cbc",
  "2.16.840.1.101.3.4.1.22": "aes-192-cbc",
  "2.16.840.1.101.3.4.1.42": "aes-256-cbc",
  "1.2.840.113549.3.7": "des-ede3-cbc",
  "1.2.840.113549.1.12.1.3": "pbeWithSHA1And3-KeyTripleDES-CBC",
};

/** "PBES2 (PBKDF2 hmacWithSHA256, 2048 iterations; aes-256-cbc)" from EncryptedPrivateKeyInfo (RFC 5958 §3). */
export function pkcs8Encryption(der: Uint8Array): string {
  try {
    const [alg] = derChildren(parseDer(der));
    const [oid, params] = alg ? derChildren(alg) : [];
    const name = (t: DerTlv | undefined): string => (t ? (PBE_NAMES[readOid(t)] ?? readOid(t)) : "?");
    if (!oid || name(oid) !== "PBES2" || !params) return name(oid);
    const [kdf, scheme] = derChildren(params);
    const [kdfOid, kdfParams] = kdf ? derChildren(kdf) : [];
    const cipher = scheme ? name(derChildren(scheme)[0]) : "?";
    if (name(kdfOid) !== "PBKDF2" || !kdfParams) return `PBES2 (${name(kdfOid)}; ${cipher})`;
    const fields = derChildren(kdfParams); // salt, iterationCount, keyLength?, prf?
    const iterations = fields[1] ? readSmallInt(fields[1]) : 0;
    const prfSeq = fields.find((f, i) => i >= 2 && f.tag === 0x30);
    const prf = prfSeq ? name(derChildren(prfSeq)[0]) : "hmacWithSHA1"; // RFC 8018 default PRF
    return `PBES2 (PBKDF2 ${prf}, ${iterations} iterations; ${cipher})`;
  } catch {
    return "unknown";
  }
}

/** The block as PEM again, keeping its RFC 1421 headers (legacy encryption's Proc-Type, DEK-Info). */
function blockPem(b: PemBlock): string {
  const pem = encodePem(b.type, b.der);
  const h = Object.entries(b.headers).map(([k, v]) => `${k}: ${v}\n`).join("");
  return h ? pem.replace("-----\n", `-----\n${h}\n`) : pem;
}

/** Facts about one private-key PEM block; throws (pki's one-line message) when it cannot be read. */
export function describePrivateKeyBlock(b: PemBlock, passphrase: string | undefined): Record<string, string> {
  const legacy = b.headers["Proc-Type"]?.includes("ENCRYPTED") === true;
  const encrypted = legacy || b.type === "ENCRYPTED PRIVATE KEY";
  if (!encrypted) return { type: `private key (${b.type})`, algorithm: formatKeyAlgorithm(parsePrivateKeyPem(blockPem(b)).algorithm) };
  const facts: Record<string, string> = legacy
    ? { type: `encrypted private key (${b.type}, legacy PEM encryption)`, encryption: (b.headers["DEK-Info"] ?? "unknown").split(",")[0] ?? "unknown" }
    : { type: "encrypted private key (PKCS#8)", encryption: pkcs8Encryption(b.der) };
  if (passphrase !== undefined) facts["algorithm"] = formatKeyAlgorithm(parsePrivateKeyPem(blockPem(b), { passphrase }).algorithm);
  return facts;
}
