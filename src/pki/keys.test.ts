import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  encodePrivateKeyPem, encodePublicKeyPem, formatKeyAlgorithm, generateKeyPair, generateKeyPairAsync, importSpki, parseKeyAlgorithm,
  parsePrivateKeyPem, parsePublicKeyPem, publicKeyMatches, spkiAlgorithm, spkiKeyInput, spkiOf,
} from "./keys.ts";
import { createHash } from "node:crypto";
import { keyIdentifier } from "./certificate.ts";
import { children as derChildren, parseDer, readBitString } from "./der.ts";
import { PkiError } from "./errors.ts";
import type { KeyAlgorithm } from "./types.ts";

const dir = mkdtempSync(join(tmpdir(), "kpki-keys-"));
function openssl(args: string[], input?: string): string {
  const r = spawnSync("openssl", args, { input, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`openssl ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

const ALGS: KeyAlgorithm[] = [
  { kind: "rsa", bits: 2048 },
  { kind: "ecdsa", curve: "P-256" },
  { kind: "ecdsa", curve: "P-384" },
  { kind: "ecdsa", curve: "P-521" },
  { kind: "ed25519" },
];

test("parseKeyAlgorithm / formatKeyAlgorithm", () => {
  const cases: [string, string][] = [
    ["rsa", "RSA 2048"], ["rsa-2048", "RSA 2048"], ["RSA:4096", "RSA 4096"], ["rsa3072", "RSA 3072"], ["ecdsa", "ECDSA P-256"],
    ["ec", "ECDSA P-256"], ["ecdsa-p256", "ECDSA P-256"], ["p-384", "ECDSA P-384"], ["prime256v1", "ECDSA P-256"],
    ["secp521r1", "ECDSA P-521"], ["ECDSA P-384", "ECDSA P-384"], ["ed25519", "Ed25519"],
  ];
  for (const [text, want] of cases) assert.equal(formatKeyAlgorithm(parseKeyAlgorithm(text)), want, text);
  for (const bad of ["rsa-1024", "dsa", "p-224", ""]) assert.throws(() => parseKeyAlgorithm(bad), PkiError, bad);
});

test("generate, PEM round trip in every format, fast SPKI import agrees with node", async () => {
  for (const alg of ALGS) {
    const k = alg.kind === "rsa" ? await generateKeyPairAsync(alg) : generateKeyPair(alg);
    assert.deepEqual(k.algorithm, alg);
    const formats: ("pkcs8" | "pkcs1" | "sec1")[] = ["pkcs8", ...(alg.kind === "rsa" ? (["pkcs1"] as const) : alg.kind === "ecdsa" ? (["sec1"] as const) : [])];
    for (const format of formats) {
      const back = parsePrivateKeyPem(encodePrivateKeyPem(k, { format }));
      assert.ok(publicKeyMatches(back.publicKey, k.publicKey), `${formatKeyAlgorithm(alg)} ${format}`);
    }
    const enc = encodePrivateKeyPem(k, { passphrase: "s3cret" });
    assert.match(enc, /ENCRYPTED PRIVATE KEY/);
    assert.ok(publicKeyMatches(parsePrivateKeyPem(enc, { passphrase: "s3cret" }).publicKey, k.publicKey));
    assert.throws(() => parsePrivateKeyPem(enc), /passphrase is required/);
    assert.throws(() => parsePrivateKeyPem(enc, { passphrase: "wrong" }), /wrong passphrase/);
    const pub = parsePublicKeyPem(encodePublicKeyPem(k));
    assert.deepEqual(pub.algorithm, alg);
    const imported = importSpki(spkiOf(k.publicKey));
    assert.deepEqual(imported.algorithm, alg);
    assert.deepEqual(spkiAlgorithm(spkiOf(k.publicKey)), alg);
    assert.ok(publicKeyMatches(imported.publicKey, k.publicKey));
    // openssl reads what we write
    writeFileSync(join(dir, "k.pem"), encodePrivateKeyPem(k));
    openssl(["pkey", "-in", join(dir, "k.pem"), "-noout"]);
  }
});

test("loads every key openssl genrsa / genpkey / ecparam -genkey writes", () => {
  const cases: [string, string[], string, string?][] = [
    ["genrsa (PKCS#8 in OpenSSL 3)", ["genrsa", "2048"], "RSA 2048"],
    ["genrsa -traditional (PKCS#1)", ["genrsa", "-traditional", "2048"], "RSA 2048"],
    ["genrsa -aes256 (encrypted PKCS#8)", ["genrsa", "-aes256", "-passout", "pass:pw", "2048"], "RSA 2048", "pw"],
    ["genrsa -traditional -aes256 (legacy DEK-Info)", ["genrsa", "-traditional", "-aes256", "-passout", "pass:pw", "2048"], "RSA 2048", "pw"],
    ["genpkey RSA 3072", ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072"], "RSA 3072"],
    ["genpkey EC P-256", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"], "ECDSA P-256"],
    ["genpkey EC P-384 encrypted", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-aes-128-cbc", "-pass", "pass:pw"], "ECDSA P-384", "pw"],
    ["genpkey Ed25519", ["genpkey", "-algorithm", "ED25519"], "Ed25519"],
    ["ecparam -genkey (EC PARAMETERS block first, SEC1)", ["ecparam", "-name", "prime256v1", "-genkey"], "ECDSA P-256"],
    ["ecparam -genkey secp521r1", ["ecparam", "-name", "secp521r1", "-genkey"], "ECDSA P-521"],
  ];
  for (const [name, args, want, pass] of cases) {
    const pem = openssl(args);
    const k = parsePrivateKeyPem(pem, pass ? { passphrase: pass } : {});
    assert.equal(formatKeyAlgorithm(k.algorithm), want, name);
    // the SPKI openssl derives equals ours
    const spkiPem = openssl(["pkey", "-pubout", ...(pass ? ["-passin", `pass:${pass}`] : [])], pem);
    assert.ok(publicKeyMatches(parsePublicKeyPem(spkiPem).publicKey, k.publicKey), name);
  }
});

test("bad key input fails with PkiError", () => {
  assert.throws(() => parsePrivateKeyPem("nothing here"), (e: unknown) => e instanceof PkiError && e.code === "bad-pem");
  const garbage = "-----BEGIN PRIVATE KEY-----\nMIIBAAAA\n-----END PRIVATE KEY-----\n";
  assert.throws(() => parsePrivateKeyPem(garbage), (e: unknown) => e instanceof PkiError && e.code === "bad-key");
  const k = generateKeyPair({ kind: "ed25519" });
  assert.throws(() => encodePrivateKeyPem(k, { format: "pkcs1" }), /RSA keys only/);
});

// spkiAlgorithm/spkiKeyInput/keyIdentifier skip the parse for the usual EC/Ed25519 SPKIs (a fixed
// prefix and length): the answers must be the parse's, and anything else must still be parsed strictly.
test("the fixed-prefix SPKI shortcut answers as the strict parse does", () => {
  for (const alg of [{ kind: "ecdsa", curve: "P-256" }, { kind: "ecdsa", curve: "P-384" }, { kind: "ecdsa", curve: "P-521" }, { kind: "ed25519" }] as const) {
    const spki = spkiOf(generateKeyPair(alg).publicKey);
    const [, bits] = derChildren(parseDer(spki));
    const keyBits = readBitString(bits!).bytes;
    assert.deepEqual(spkiAlgorithm(spki), alg);
    assert.deepEqual(spkiKeyInput(spki).input.key, spki);
    assert.deepEqual(spkiKeyInput(spki).input.ec?.point, alg.kind === "ecdsa" ? keyBits : undefined);
    assert.deepEqual(keyIdentifier(spki), new Uint8Array(createHash("sha1").update(keyBits).digest()));
    // Same prefix, one byte short or long: not the fixed shape, so the strict parse decides (and refuses).
    for (const bad of [spki.subarray(0, -1), Uint8Array.from([...spki, 0])]) {
      assert.throws(() => spkiAlgorithm(bad), (e: unknown) => e instanceof PkiError && e.code === "bad-der");
      assert.throws(() => spkiKeyInput(bad), (e: unknown) => e instanceof PkiError && e.code === "bad-der");
    }
  }
});
