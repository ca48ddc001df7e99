// Keys: generation, algorithm names, PEM in/out (PKCS#1, SEC1, PKCS#8, encrypted PKCS#8, SPKI) and a
// fast public-key import from SPKI DER. node:crypto KeyObjects are the currency.
import { createECDH, createPrivateKey, createPublicKey, generateKeyPair as genAsync, generateKeyPairSync, KeyObject as NodeKeyObject, webcrypto } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { decodePem, encodePem, equalBytes, toBase64 } from "../base/index.ts";
import { children, encodeBitString, encodeOid, encodeSmallInt, expect, octets, parseDer, readBitString, readIntegerBytes, readOid, seq, tlv, TAG } from "./der.ts";
import { PkiError } from "./errors.ts";
import { CURVE_OIDS, OID } from "./oids.ts";
import type { KeyAlgorithm, KeyPair } from "./types.ts";

const NODE_CURVES: Readonly<Record<string, "P-256" | "P-384" | "P-521">> = {
  prime256v1: "P-256",
  "P-256": "P-256",
  secp384r1: "P-384",
  "P-384": "P-384",
  secp521r1: "P-521",
  "P-521": "P-521",
};

/** The KeyAlgorithm of a node KeyObject (private or public). */
export function keyAlgorithmOf(k: KeyObject): KeyAlgorithm {
  const d = k.asymmetricKeyDetails ?? {};
  switch (k.asymmetricKeyType) {
    case "rsa":
      return Object.freeze({ kind: "rsa", bits: d.modulusLength ?? 0 });
    case "ec": {
      const curve = NODE_CURVES[d.namedCurve ?? ""];
      if (!curve) throw new PkiError("unsupported-algorithm", `unsupported EC curve "${d.namedCurve ?? "?"}"`);
      return Object.freeze({ kind: "ecdsa", curve });
    }
    case "ed25519":
      return Object.freeze({ kind: "ed25519" });
    default:
      throw new PkiError("unsupported-algorithm", `unsupported key type "${k.asymmetricKeyType ?? "?"}"`);
  }
}

function genArgs(alg: KeyAlgorithm): ["rsa", { modulusLength: number; publicExponent: number }] | ["ec", { namedCurve: string }] | ["ed25519", object] {
  if (alg.kind === "rsa") {
    if (![2048, 3072, 4096].includes(alg.bits)) throw new PkiError("unsupported-algorithm", `unsupported RSA size ${alg.bits} (use 2048, 3072 or 4096)`);
    return ["rsa", { modulusLength: alg.bits, publicExponent: 65537 }];
  }
  if (alg.kind === "ecdsa") return ["ec", { namedCurve: alg.curve }];
  return ["ed25519", {}];
}

function pair(privateKey: KeyObject, publicKey?: KeyObject): KeyPair {
  return Object.freeze({ algorithm: keyAlgorithmOf(privateKey), privateKey, publicKey: publicKey ?? createPublicKey(privateKey) });
}

export function generateKeyPair(alg: KeyAlgorithm): KeyPair {
  const [type, opts] = genArgs(alg);
  const k = generateKeyPairSync(type as "ec", opts as { namedCurve: string });
  return pair(k.privateKey, k.publicKey);
}

/** DER encodings of a key pair made by generateKeyPairDer, so writing it never pays OpenSSL 3's
 *  encoders (≈ 100 µs each for SPKI and PKCS#8 on this machine, against ≈ 17 µs for the key itself). */
const encodings = new WeakMap<KeyPair, { readonly spki: Uint8Array; readonly pkcs8: Uint8Array }>();

const ECDH_CURVES = { "P-256": "prime256v1", "P-384": "secp384r1", "P-521": "secp521r1" } as const;
const ecdh = new Map<string, ReturnType<typeof createECDH>>();

/** A fresh key pair whose SPKI and PKCS#8 DER are known without exporting. EC keys come from
 *  ECDH.generateKeys (the same EC_KEY_generate_key as generateKeyPairSync, a fifth of the cost once the
 *  exports are counted) with the DER assembled here, byte for byte what OpenSSL 3 writes (RFC 5915
 *  ECPrivateKey inside RFC 5208 PKCS#8, parameters in the AlgorithmIdentifier only). The KeyObjects
 *  are imported on first use: a leaf key written to disk never needs them. Other algorithms are
 *  generated with encoding options. */
export function generateKeyPairDer(alg: KeyAlgorithm): KeyPair {
  if (alg.kind !== "ecdsa") {
    const [type, opts] = genArgs(alg);
    const k = generateKeyPairSync(type as "ec", { ...(opts as { namedCurve: string }), publicKeyEncoding: { type: "spki", format: "der" }, privateKeyEncoding: { type: "pkcs8", format: "der" } });
    return lazyPair(Object.freeze({ ...alg }), new Uint8Array(k.publicKey), new Uint8Array(k.privateKey));
  }
  let e = ecdh.get(alg.curve);
  if (!e) ecdh.set(alg.curve, (e = createECDH(ECDH_CURVES[alg.curve])));
  e.generateKeys();
  const point = new Uint8Array(e.getPublicKey());
  const d = new Uint8Array(COORD_LEN[alg.curve]);
  const raw = e.getPrivateKey();
  d.set(raw, d.length - raw.length); // RFC 5915: the private key is padded to the field size
  const algId = seq(encodeOid(OID.ecPublicKey), encodeOid(CURVE_OIDS[alg.curve]));
  const spki = seq(algId, encodeBitString(point));
  const ecPrivateKey = seq(encodeSmallInt(1), octets(d), tlv(0xa1, encodeBitString(point)));
  const pkcs8 = seq(encodeSmallInt(0), algId, octets(ecPrivateKey));
  d.fill(0);
  return lazyPair(Object.freeze({ kind: "ecdsa", curve: alg.curve }), spki, pkcs8);
}

function lazyPair(algorithm: KeyAlgorithm, spki: Uint8Array, pkcs8: Uint8Array): KeyPair {
  let priv: KeyObject | undefined;
  let pub: KeyObject | undefined;
  const k: KeyPair = Object.freeze({
    algorithm,
    get privateKey() {
      return (priv ??= createPrivateKey({ key: Buffer.from(pkcs8), format: "der", type: "pkcs8" }));
    },
    get publicKey() {
      return (pub ??= createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" }));
    },
  });
  encodings.set(k, { spki, pkcs8 });
  return k;
}

/** SPKI DER of a key pair's public half (no export when generateKeyPairDer made it). */
export function keyPairSpki(k: KeyPair): Uint8Array {
  return encodings.get(k)?.spki ?? spkiOf(k.publicKey);
}

/** Runs on libuv's thread pool, so RSA generation uses every core. */
export function generateKeyPairAsync(alg: KeyAlgorithm): Promise<KeyPair> {
  const [type, opts] = genArgs(alg);
  return new Promise((resolve, reject) => {
    genAsync(type as "ec", opts as { namedCurve: string }, (err, publicKey, privateKey) => {
      if (err) reject(new PkiError("bad-key", `key generation failed: ${err.message}`));
      else resolve(pair(privateKey, publicKey));
    });
  });
}

/** "rsa-2048" | "rsa" | "rsa:4096" | "ecdsa-p256" | "ecdsa" | "p-384" | "prime256v1" | "ed25519" … (cfssl/openssl spellings). */
export function parseKeyAlgorithm(text: string): KeyAlgorithm {
  const t = text.trim().toLowerCase().replace(/[\s_:-]/g, "");
  const rsa = /^rsa(\d+)?$/.exec(t);
  if (rsa) {
    const alg: KeyAlgorithm = { kind: "rsa", bits: Number(rsa[1] ?? 2048) };
    genArgs(alg); // size check
    return alg;
  }
  if (t === "ecdsa" || t === "ec") return { kind: "ecdsa", curve: "P-256" };
  const ec = /^(?:ecdsa|ec)?(?:p|prime|secp)(256|384|521)(?:v1|r1)?$/.exec(t);
  if (ec) return { kind: "ecdsa", curve: `P-${ec[1]}` as "P-256" | "P-384" | "P-521" };
  if (t === "ed25519") return { kind: "ed25519" };
  throw new PkiError(
    "unsupported-algorithm",
    `unknown key algorithm "${text}" (use rsa-2048, rsa-3072, rsa-4096, ecdsa-p256, ecdsa-p384, ecdsa-p521 or ed25519)`,
  );
}

export function formatKeyAlgorithm(a: KeyAlgorithm): string {
  return a.kind === "rsa" ? `RSA ${a.bits}` : a.kind === "ecdsa" ? `ECDSA ${a.curve}` : "Ed25519";
}

const PRIVATE_TYPES: Readonly<Record<string, "pkcs1" | "sec1" | "pkcs8">> = {
  "RSA PRIVATE KEY": "pkcs1",
  "EC PRIVATE KEY": "sec1",
  "PRIVATE KEY": "pkcs8",
  "ENCRYPTED PRIVATE KEY": "pkcs8",
};

/** The first private key in `pem` (an "EC PARAMETERS" block before it, as `openssl ecparam -genkey` writes, is skipped). */
export function parsePrivateKeyPem(pem: string, opts: { passphrase?: string } = {}): KeyPair {
  const block = decodePem(pem).find((b) => PRIVATE_TYPES[b.type] !== undefined);
  if (!block) throw new PkiError("bad-pem", "no PRIVATE KEY PEM block found");
  const encrypted = block.type === "ENCRYPTED PRIVATE KEY" || block.headers["Proc-Type"]?.includes("ENCRYPTED") === true;
  if (encrypted && opts.passphrase === undefined) throw new PkiError("bad-key", "private key is encrypted; a passphrase is required");
  try {
    // Legacy openssl encryption (Proc-Type/DEK-Info headers) only decodes from PEM text.
    const key = block.headers["DEK-Info"]
      ? createPrivateKey({ key: rebuildPem(block.type, block.headers, block.der), format: "pem", passphrase: opts.passphrase })
      : createPrivateKey({ key: Buffer.from(block.der), format: "der", type: PRIVATE_TYPES[block.type]!, passphrase: opts.passphrase });
    return pair(key);
  } catch (err) {
    if (err instanceof PkiError) throw err;
    const why = encrypted ? "wrong passphrase or corrupt key" : "corrupt key";
    throw new PkiError("bad-key", `cannot load ${block.type}: ${why}`);
  }
}

function rebuildPem(type: string, headers: Readonly<Record<string, string>>, der: Uint8Array): string {
  const h = Object.entries(headers).map(([k, v]) => `${k}: ${v}\n`).join("");
  const body = (toBase64(der).match(/.{1,64}/g) ?? []).join("\n");
  return `-----BEGIN ${type}-----\n${h}\n${body}\n-----END ${type}-----\n`;
}

export function encodePrivateKeyPem(k: KeyPair, opts: { format?: "pkcs8" | "pkcs1" | "sec1"; passphrase?: string } = {}): string {
  const format = opts.format ?? "pkcs8";
  if (opts.passphrase !== undefined) {
    if (format !== "pkcs8") throw new PkiError("bad-key", "only PKCS#8 keys can be encrypted");
    return k.privateKey.export({ format: "pem", type: "pkcs8", cipher: "aes-256-cbc", passphrase: opts.passphrase }) as string;
  }
  const known = format === "pkcs8" ? encodings.get(k) : undefined;
  if (known) return encodePem("PRIVATE KEY", known.pkcs8);
  if (format === "pkcs1" && k.algorithm.kind !== "rsa") throw new PkiError("bad-key", "PKCS#1 holds RSA keys only");
  if (format === "sec1" && k.algorithm.kind !== "ecdsa") throw new PkiError("bad-key", "SEC1 holds EC keys only");
  return k.privateKey.export({ format: "pem", type: format }) as string;
}

/** SPKI DER of a public key. */
export function spkiOf(k: KeyObject): Uint8Array {
  return new Uint8Array(k.export({ format: "der", type: "spki" }));
}

export function parsePublicKeyPem(pem: string): { publicKey: KeyObject; spki: Uint8Array; algorithm: KeyAlgorithm } {
  const block = decodePem(pem).find((b) => b.type === "PUBLIC KEY" || b.type === "RSA PUBLIC KEY");
  if (!block) throw new PkiError("bad-pem", "no PUBLIC KEY PEM block found");
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: Buffer.from(block.der), format: "der", type: block.type === "PUBLIC KEY" ? "spki" : "pkcs1" });
  } catch {
    throw new PkiError("bad-key", `cannot load ${block.type}: corrupt key`);
  }
  return { publicKey, spki: spkiOf(publicKey), algorithm: keyAlgorithmOf(publicKey) };
}

export function encodePublicKeyPem(k: KeyObject | KeyPair): string {
  if ("privateKey" in k) return encodePem("PUBLIC KEY", keyPairSpki(k));
  return encodePem("PUBLIC KEY", spkiOf(k));
}

export function publicKeyMatches(a: KeyObject, b: KeyObject): boolean {
  const pa = a.type === "private" ? createPublicKey(a) : a;
  const pb = b.type === "private" ? createPublicKey(b) : b;
  return equalBytes(spkiOf(pa), spkiOf(pb));
}

const CURVE_BY_OID: Readonly<Record<string, "P-256" | "P-384" | "P-521">> = Object.fromEntries(
  Object.entries(CURVE_OIDS).map(([c, o]) => [o, c as "P-256"]),
);
const COORD_LEN = { "P-256": 32, "P-384": 48, "P-521": 66 } as const;

/** What createPublicKey needs for a SPKI, as plain structured-cloneable data (it can cross to a worker thread). */
export interface PublicKeyInput {
  readonly type: "pkcs1" | "spki";
  readonly key: Uint8Array;
  /** EC keys: the curve and the uncompressed point, for the cheaper raw import (importPublicKeyAsync). */
  readonly ec?: { readonly curve: "P-256" | "P-384" | "P-521"; readonly point: Uint8Array };
}

/** Decodes SPKI DER strictly into the cheapest import form. OpenSSL 3's SPKI decoder costs ≈110 µs a
 *  key; an RSA key imported as PKCS#1 skips it (import + verify ≈ 80 µs against ≈ 400 µs). EC keys stay
 *  SPKI: a JWK import is faster but leaves a legacy key that every verify then converts, which costs
 *  the saving back (measured on Node 20 / OpenSSL 3.0). */
export function spkiKeyInput(spki: Uint8Array): { input: PublicKeyInput; algorithm: KeyAlgorithm } {
  const known = knownSpki(spki);
  let key: Uint8Array;
  let algorithm: KeyAlgorithm;
  if (known) {
    key = spki.subarray(known.prefix.length);
    algorithm = known.algorithm;
  } else {
    const [algId, bits] = children(expect(parseDer(spki), TAG.SEQUENCE, "SubjectPublicKeyInfo"));
    readOid(expect(children(expect(algId, TAG.SEQUENCE, "AlgorithmIdentifier"))[0], TAG.OID, "algorithm"));
    key = readBitString(expect(bits, TAG.BIT_STRING, "subjectPublicKey")).bytes;
    algorithm = spkiAlgorithm(spki);
  }
  if (algorithm.kind === "rsa") return { input: { type: "pkcs1", key }, algorithm };
  if (algorithm.kind === "ecdsa" && key.length !== 1 + 2 * COORD_LEN[algorithm.curve] && key.length !== 1 + COORD_LEN[algorithm.curve]) {
    throw new PkiError("bad-key", "EC public key has the wrong length for its curve");
  }
  if (algorithm.kind === "ed25519" && key.length !== 32) throw new PkiError("bad-key", "Ed25519 public key must be 32 bytes");
  if (algorithm.kind === "ecdsa" && key[0] === 4) return { input: { type: "spki", key: spki, ec: { curve: algorithm.curve, point: key } }, algorithm };
  return { input: { type: "spki", key: spki }, algorithm };
}

export function importPublicKey(input: PublicKeyInput): KeyObject {
  try {
    return createPublicKey({ key: Buffer.from(input.key.buffer, input.key.byteOffset, input.key.byteLength), format: "der", type: input.type });
  } catch {
    throw new PkiError("bad-key", "cannot import public key: invalid key");
  }
}

/** importPublicKey, cheaper for EC keys: WebCrypto's raw import (EC_POINT_oct2point, which checks the
 *  point is on the curve; P-256/384/521 have cofactor 1, so that is the whole public-key check) skips
 *  OpenSSL 3's SPKI decoder: ≈ 65 µs against ≈ 120 µs for a P-256 key here, and the verify after it
 *  costs the same. The raw import runs synchronously inside importKey; only its result is a promise. */
export async function importPublicKeyAsync(input: PublicKeyInput): Promise<KeyObject> {
  if (!input.ec) return importPublicKey(input);
  try {
    const k = await webcrypto.subtle.importKey("raw", input.ec.point, { name: "ECDSA", namedCurve: input.ec.curve }, true, ["verify"]);
    return NodeKeyObject.from(k);
  } catch {
    throw new PkiError("bad-key", "cannot import public key: invalid key");
  }
}

/** Decodes SPKI DER strictly and imports it (see spkiKeyInput for the fast paths). */
export function importSpki(spki: Uint8Array): { publicKey: KeyObject; algorithm: KeyAlgorithm } {
  const { input, algorithm } = spkiKeyInput(spki);
  return { publicKey: importPublicKey(input), algorithm };
}

// The DER of the usual EC and Ed25519 SPKIs up to the key bytes (RFC 5480 §2, RFC 8410 §4). A SPKI
// that starts with one of these and has exactly its length is valid DER naming that algorithm whatever
// the key bytes (the BIT STRING has no unused bits), so the strict parse would give the same answer:
// skipping it saves ≈ 1 µs a call, and issuance asks three times (CSR parse, SKI, lint view).
const KNOWN_SPKI: readonly { readonly prefix: Uint8Array; readonly length: number; readonly algorithm: KeyAlgorithm }[] = [
  ["3059301306072a8648ce3d020106082a8648ce3d030107034200", 91, { kind: "ecdsa", curve: "P-256" }],
  ["3076301006072a8648ce3d020106052b81040022036200", 120, { kind: "ecdsa", curve: "P-384" }],
  ["30819b301006072a8648ce3d020106052b8104002303818600", 158, { kind: "ecdsa", curve: "P-521" }],
  ["302a300506032b6570032100", 44, { kind: "ed25519" }],
].map(([hex, length, algorithm]) => Object.freeze({ prefix: new Uint8Array(Buffer.from(hex as string, "hex")), length: length as number, algorithm: Object.freeze(algorithm as KeyAlgorithm) }));

function knownSpki(spki: Uint8Array): (typeof KNOWN_SPKI)[number] | undefined {
  for (const k of KNOWN_SPKI) {
    if (spki.length !== k.length) continue;
    const p = k.prefix;
    let i = 0;
    while (i < p.length && spki[i] === p[i]) i++;
    if (i === p.length) return k;
  }
  return undefined;
}

/** The subjectPublicKey BIT STRING contents of SPKI DER (the key bytes an SKI hashes). */
export function spkiPublicKeyBits(spki: Uint8Array): Uint8Array {
  const known = knownSpki(spki);
  if (known) return spki.subarray(known.prefix.length);
  const [, bits] = children(expect(parseDer(spki), TAG.SEQUENCE, "SubjectPublicKeyInfo"));
  return readBitString(expect(bits, TAG.BIT_STRING, "subjectPublicKey")).bytes;
}

/** The KeyAlgorithm named by SPKI DER, without importing the key (RSA size from the modulus). */
export function spkiAlgorithm(spki: Uint8Array): KeyAlgorithm {
  const known = knownSpki(spki);
  if (known) return known.algorithm;
  const [algId, bits] = children(expect(parseDer(spki), TAG.SEQUENCE, "SubjectPublicKeyInfo"));
  const alg = children(expect(algId, TAG.SEQUENCE, "AlgorithmIdentifier"));
  const oid = readOid(expect(alg[0], TAG.OID, "algorithm"));
  if (oid === OID.ed25519) return Object.freeze({ kind: "ed25519" });
  if (oid === OID.ecPublicKey) {
    const curve = CURVE_BY_OID[readOid(expect(alg[1], TAG.OID, "namedCurve"))];
    if (!curve) throw new PkiError("unsupported-algorithm", "unsupported EC curve");
    return Object.freeze({ kind: "ecdsa", curve });
  }
  if (oid === OID.rsaEncryption) {
    const rsaKey = parseDer(readBitString(expect(bits, TAG.BIT_STRING, "subjectPublicKey")).bytes);
    const n = readIntegerBytes(expect(children(expect(rsaKey, TAG.SEQUENCE, "RSAPublicKey"))[0], TAG.INTEGER, "modulus"));
    let i = 0;
    while (i < n.length - 1 && n[i] === 0) i++;
    return Object.freeze({ kind: "rsa", bits: (n.length - i - 1) * 8 + (32 - Math.clz32(n[i]!)) });
  }
  throw new PkiError("unsupported-algorithm", `unsupported public key algorithm ${oid}`);
}
