import { test } from "node:test";
import assert from "node:assert/strict";
import { sign } from "node:crypto";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { seededRandom, toHex } from "../base/index.ts";
import {
  encodeCertificatePem, keyIdentifier, parseCertificateDer, parseCertificatePem, parseCertificatesPem, randomSerial,
  verifySignedBy,
} from "./certificate.ts";
import { signTemplate } from "./issued.ts";
import { encodeUnsigned } from "./der.ts";
import { PkiError } from "./errors.ts";
import { encodePrivateKeyPem, generateKeyPair, spkiOf } from "./keys.ts";
import { encodeDn, parseDn, sansFromHosts } from "./names.ts";
import { EKU } from "./oids.ts";
import { signatureSchemeFor } from "./sigalg.ts";
import type { CertificateTemplate, KeyAlgorithm, KeyPair } from "./types.ts";

const dir = mkdtempSync(join(tmpdir(), "kpki-cert-"));
function run(cmd: string, args: string[], input?: string): string {
  const r = spawnSync(cmd, args, { input, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}
const signer = (k: KeyPair) => (tbs: Uint8Array) => sign(signatureSchemeFor(k.algorithm).digest, tbs, k.privateKey);

function template(k: KeyPair, over: Partial<CertificateTemplate> = {}): CertificateTemplate {
  const subject = parseDn("/CN=test-ca/O=kpki");
  const spki = spkiOf(k.publicKey);
  return {
    serialNumber: randomSerial(seededRandom(7)),
    subject,
    issuerDer: encodeDn(subject),
    notBefore: new Date("2026-01-01T00:00:00Z"),
    notAfter: new Date("2036-01-01T00:00:00Z"),
    spki,
    keyUsage: ["digitalSignature", "keyCertSign", "cRLSign"],
    basicConstraints: { ca: true, pathLen: 0 },
    subjectKeyId: keyIdentifier(spki),
    authorityKeyId: keyIdentifier(spki),
    ...over,
  };
}

const ALGS: [KeyAlgorithm, string][] = [
  [{ kind: "rsa", bits: 2048 }, "sha256WithRSAEncryption"],
  [{ kind: "ecdsa", curve: "P-256" }, "ecdsa-with-SHA256"],
  [{ kind: "ecdsa", curve: "P-384" }, "ecdsa-with-SHA384"],
  [{ kind: "ecdsa", curve: "P-521" }, "ecdsa-with-SHA512"],
  [{ kind: "ed25519" }, "ED25519"],
];

test("signTemplate for every key type: our parse and openssl agree", async () => {
  for (const [alg, sigName] of ALGS) {
    const k = generateKeyPair(alg);
    const t = template(k, { sans: sansFromHosts(["ca.example", "10.0.0.1"]), extKeyUsage: [EKU.serverAuth, EKU.clientAuth] });
    const c = await signTemplate(t, signer(k), alg);
    assert.equal(c.signatureAlgorithm, sigName);
    assert.equal(c.version, 3);
    assert.deepEqual(c.keyAlgorithm, alg);
    assert.deepEqual(c.basicConstraints, { ca: true, pathLen: 0 });
    assert.deepEqual(c.keyUsage, ["digitalSignature", "keyCertSign", "cRLSign"]);
    assert.deepEqual(c.extKeyUsage, [EKU.serverAuth, EKU.clientAuth]);
    assert.equal(toHex(c.subjectKeyId!), toHex(keyIdentifier(t.spki)));
    assert.ok(verifySignedBy(c, c));
    const reparsed = parseCertificatePem(encodeCertificatePem(c));
    assert.equal(reparsed.fingerprintSha256, c.fingerprintSha256);
    assert.ok(verifySignedBy(reparsed, reparsed));
    const file = join(dir, "c.pem");
    writeFileSync(file, encodeCertificatePem(c));
    const text = run("openssl", ["x509", "-in", file, "-noout", "-text", "-fingerprint", "-sha256"]);
    assert.match(text, new RegExp(`Signature Algorithm: ${sigName}`, "i"));
    assert.match(text, /CA:TRUE, pathlen:0/);
    assert.match(text, /DNS:ca.example, IP Address:10.0.0.1/);
    // openssl's own SKI (RFC 5280 method 1) equals ours
    assert.match(text, new RegExp(toHex(c.subjectKeyId!, ":").toUpperCase()));
    assert.match(text, new RegExp(toHex(Buffer.from(c.fingerprintSha256, "hex"), ":").toUpperCase()));
    assert.match(run("openssl", ["verify", "-CAfile", file, file]), /OK/);
  }
});

test("validity encodes as UTCTime before 2050 and GeneralizedTime after", async () => {
  const k = generateKeyPair({ kind: "ed25519" });
  const c = await signTemplate(template(k, { notAfter: new Date("2051-06-01T12:00:00Z") }), signer(k), k.algorithm);
  assert.equal(c.notAfter.toISOString(), "2051-06-01T12:00:00.000Z");
  const file = join(dir, "long.pem");
  writeFileSync(file, encodeCertificatePem(c));
  assert.match(run("openssl", ["x509", "-in", file, "-noout", "-enddate"]), /Jun {2}1 12:00:00 2051 GMT/);
  assert.ok(Buffer.from(c.tbs).includes(Buffer.from("20510601120000Z")));
  assert.ok(Buffer.from(c.tbs).includes(Buffer.from("260101000000Z")));
});

test("randomSerial: 128 random bits, encoded as a positive DER-minimal INTEGER of at most 17 octets", () => {
  const rnd = seededRandom(1);
  const zeros = { bytes: (n: number) => new Uint8Array(n) };
  const ff = { bytes: (n: number) => new Uint8Array(n).fill(0xff) };
  const seen = new Set<string>();
  for (const src of [rnd, rnd, rnd, zeros, ff]) {
    const s = randomSerial(src);
    const der = encodeUnsigned(s);
    const content = der.subarray(2);
    assert.ok(content.length >= 1 && content.length <= 17);
    assert.ok(content[0]! < 0x80, "positive");
    assert.ok(content.some((b) => b !== 0), "non-zero");
    assert.ok(content.length === 1 || content[0] !== 0 || content[1]! >= 0x80, "minimal");
    seen.add(toHex(s));
  }
  assert.equal(toHex(randomSerial(ff)), "ff".repeat(16));
  assert.equal(seen.size, 5);
});

test("parses certificates made by openssl and cfssl", () => {
  const key = generateKeyPair({ kind: "ecdsa", curve: "P-256" });
  const keyFile = join(dir, "k.pem");
  writeFileSync(keyFile, encodePrivateKeyPem(key));
  const pem = run("openssl", ["req", "-x509", "-new", "-key", keyFile, "-subj", "/CN=ossl/O=a/O=b", "-days", "30", "-addext",
    "subjectAltName=DNS:x.example,IP:::1", "-addext", "extendedKeyUsage=serverAuth"]);
  const c = parseCertificatePem(pem);
  assert.deepEqual(c.subject, parseDn("/CN=ossl/O=a/O=b"));
  assert.deepEqual(c.sans.ip, ["::1"]);
  assert.deepEqual(c.extKeyUsage, [EKU.serverAuth]);
  assert.equal(c.basicConstraints?.ca, true);
  assert.ok(verifySignedBy(c, c));
  assert.equal(c.serialHex, run("openssl", ["x509", "-noout", "-serial"], pem).trim().replace("serial=", "").toLowerCase().replace(/^0+/, ""));

  const cf = JSON.parse(run("cfssl", ["gencert", "-initca", "-"], JSON.stringify({ CN: "cfssl-ca", key: { algo: "rsa", size: 2048 }, names: [{ O: "cf" }] }))) as { cert: string };
  const ca = parseCertificatePem(cf.cert);
  assert.equal(ca.basicConstraints?.ca, true);
  assert.deepEqual(ca.keyAlgorithm, { kind: "rsa", bits: 2048 });
  assert.ok(verifySignedBy(ca, ca));
  assert.equal(parseCertificatesPem(pem + cf.cert).length, 2);
});

test("malformed certificates fail with bad-certificate", () => {
  assert.throws(() => parseCertificateDer(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01)), (e: unknown) => e instanceof PkiError && e.code === "bad-certificate");
  assert.throws(() => parseCertificatePem("nope"), (e: unknown) => e instanceof PkiError && e.code === "bad-pem");
});
