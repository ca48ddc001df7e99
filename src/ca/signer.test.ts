import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DAY, HOUR, MINUTE, fixedClock, seededRandom } from "../base/index.ts";
import {
  createCsr, encodeCertificatePem, encodeDn, parseCsrDer, EKU, generateKeyPair, keyIdentifier, keyPairSpki, lintCertificate, parseDn, sansFromHosts,
  verifyChain,
} from "../pki/index.ts";
import type { Certificate, KeyAlgorithm, KeyPair } from "../pki/index.ts";
import { createIntermediateCa, createRootCa } from "./authority.ts";
import { CaError } from "./errors.ts";
import { assertSigningCa, issueFromTemplate, localKeySigner } from "./issue.ts";
import type { CaFiles } from "./issue.ts";
import { createPooledSigner } from "./pool.ts";
import { bufferedRandom, createLocalSigner, validityWindow } from "./signer.ts";
import type { SigningProfile } from "./signer.ts";

const NOW = new Date("2026-06-01T12:00:00Z");
const clock = fixedClock(NOW);
const random = seededRandom(11);
const SERVER: SigningProfile = { name: "server", usages: ["digital signature", "key encipherment", "server auth"], expiryMs: 365 * DAY };
const iso = (ms: number): string => new Date(NOW.getTime() + ms).toISOString();

async function rootSigner(alg: KeyAlgorithm = { kind: "ecdsa", curve: "P-256" }, validityMs = 10 * 365 * DAY, pathLen?: number) {
  const key = generateKeyPair(alg);
  const cert = await createRootCa({ subject: parseDn("/CN=kubernetes"), key, validityMs, pathLen, clock, random });
  return { key, cert, signer: createLocalSigner({ signerName: "kubernetes.io/kube-apiserver-client", caCertificate: cert, key: localKeySigner(key), clock, random }) };
}

test("createRootCa: self-signed CA with KU, BC critical, SKI = AKI, lint-clean", async () => {
  for (const alg of [{ kind: "rsa", bits: 2048 }, { kind: "ecdsa", curve: "P-384" }, { kind: "ed25519" }] as KeyAlgorithm[]) {
    const { cert } = await rootSigner(alg, 3650 * DAY, 1);
    assert.deepEqual(cert.basicConstraints, { ca: true, pathLen: 1 });
    assert.ok(cert.extensions.find((e) => e.oid === "2.5.29.19")?.critical);
    assert.deepEqual(cert.keyUsage, ["digitalSignature", "keyCertSign", "cRLSign"]);
    assert.deepEqual(cert.subjectKeyId, keyIdentifier(cert.spki));
    assert.deepEqual(cert.authorityKeyId, cert.subjectKeyId);
    assert.equal(cert.notBefore.toISOString(), iso(-5 * MINUTE));
    assert.deepEqual(lintCertificate(cert, { at: NOW }), []);
  }
});

test("validity per PermissiveSigningPolicy (reference §5.2)", () => {
  const caEnd = new Date(NOW.getTime() + 30 * DAY);
  const cases: [string, number, [string, string] | string][] = [
    ["1y is capped at the CA", 365 * DAY, [iso(-5 * MINUTE), caEnd.toISOString()]],
    ["10d backdated at both ends", 10 * DAY, [iso(-5 * MINUTE), iso(10 * DAY - 5 * MINUTE)]],
    ["8h counts as long", 8 * HOUR, [iso(-5 * MINUTE), iso(8 * HOUR - 5 * MINUTE)]],
    ["1h not backdated at the end", HOUR, [iso(-5 * MINUTE), iso(HOUR)]],
    ["10m", 10 * MINUTE, [iso(-5 * MINUTE), iso(10 * MINUTE)]],
  ];
  for (const [name, ttl, want] of cases) {
    const w = validityWindow(NOW, caEnd, ttl);
    assert.deepEqual([w.notBefore.toISOString(), w.notAfter.toISOString()], want, name);
  }
  assert.throws(() => validityWindow(NOW, new Date(NOW.getTime() - MINUTE * 10), HOUR), /the signer has expired: NotAfter=2026-06-01 11:50:00 \+0000 UTC/);
  assert.throws(() => validityWindow(NOW, new Date(NOW.getTime() - MINUTE), HOUR), /refusing to sign a certificate that expired in the past/);
});

test("Signer.sign: subject and SANs from the CSR, never a CA, SKI/AKI, lint gate, chain", async () => {
  const root = await rootSigner();
  const leafKey = generateKeyPair({ kind: "ecdsa", curve: "P-256" });
  const csr = createCsr({ subject: parseDn("/CN=kube-apiserver/O=a/O=b"), sans: sansFromHosts(["kubernetes.default", "10.96.0.1"]), key: leafKey, ca: true });
  const { certificate, chain } = await root.signer.sign(csr, SERVER);
  assert.deepEqual(chain, []);
  assert.deepEqual(certificate.subject, csr.subject);
  assert.deepEqual(certificate.sans, csr.sans);
  assert.deepEqual(certificate.basicConstraints, { ca: false });
  assert.deepEqual(certificate.keyUsage, ["digitalSignature", "keyEncipherment"]);
  assert.deepEqual(certificate.extKeyUsage, [EKU.serverAuth]);
  assert.deepEqual(certificate.subjectKeyId, keyIdentifier(csr.spki));
  assert.deepEqual(certificate.authorityKeyId, root.cert.subjectKeyId);
  assert.equal(certificate.notAfter.toISOString(), iso(365 * DAY - 5 * MINUTE));
  assert.ok(verifyChain(certificate, { roots: [root.cert], purpose: "server", at: NOW, host: "10.96.0.1" }).ok);

  const over = await root.signer.sign(csr, SERVER, { subject: parseDn("/CN=renamed"), sans: sansFromHosts(["x.example"]), notAfter: new Date(iso(DAY)) });
  assert.equal(over.certificate.subject.attributes[0]?.value, "renamed");
  assert.deepEqual(over.certificate.sans.dns, ["x.example"]);
  assert.equal(over.certificate.notAfter.toISOString(), iso(DAY));

  const refusals: [string, () => Promise<unknown>, string, string][] = [
    ["server without SANs", () => root.signer.sign(createCsr({ subject: parseDn("/CN=nosan"), key: leafKey }), SERVER), "lint-failed",
      "refusing to issue nosan: e_server_auth_without_san: serverAuth certificate without DNS or IP subjectAltName"],
    ["kubelet-serving with a bad CN", () => root.signer.sign(createCsr({ subject: parseDn("/CN=worker-1/O=system:nodes"), sans: sansFromHosts(["worker-1"]), key: leafKey }),
      { ...SERVER, role: "kubelet-serving" }), "lint-failed", "refusing to issue worker-1: e_kubelet_cn"],
    ["unknown usage", () => root.signer.sign(csr, { ...SERVER, usages: ["serverauth"] }), "unknown-usage", 'unrecognized usage values: ["serverauth"]'],
    ["expired CA", () => root.signer.sign(csr, SERVER, { now: new Date(iso(11 * 365 * DAY)) }), "ca-expired", "the signer has expired: NotAfter="],
    ["zero expiry", () => root.signer.sign(csr, { ...SERVER, expiryMs: 0 }), "bad-profile", 'profile "server" has no positive expiry'],
  ];
  for (const [name, run, code, msg] of refusals) {
    await assert.rejects(run, (e: unknown) => e instanceof CaError && e.code === code && e.message.startsWith(msg), name);
  }
  // skipLint is the escape hatch
  assert.ok((await root.signer.sign(createCsr({ subject: parseDn("/CN=nosan"), key: leafKey }), SERVER, { skipLint: true })).certificate);
});

test("forged CSR and mismatched CA key are refused", async () => {
  const root = await rootSigner();
  const csr = createCsr({ subject: parseDn("/CN=a"), key: generateKeyPair({ kind: "ed25519" }) });
  const bytes = Uint8Array.from(csr.der);
  bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 1;
  const client = { ...SERVER, usages: ["client auth"] };
  await assert.rejects(() => root.signer.sign(parseCsrDer(bytes), client), (e: unknown) => e instanceof CaError && e.code === "bad-csr");
  // A hand-built Csr pairing this CSR's proof with another key is judged by its DER, so the other key never gets certified.
  const other = createCsr({ subject: parseDn("/CN=a"), key: generateKeyPair({ kind: "ed25519" }) });
  const frankenstein = { ...csr, spki: other.spki };
  const { certificate } = await root.signer.sign(frankenstein, client);
  assert.deepEqual(certificate.spki, csr.spki);
  assert.throws(
    () => createLocalSigner({ signerName: "x", caCertificate: root.cert, key: localKeySigner(generateKeyPair({ kind: "ecdsa", curve: "P-256" })), clock, random }),
    (e: unknown) => e instanceof CaError && e.code === "key-mismatch",
  );
});

test("intermediate CA: chain up to but not including the root, pathLen, openssl verify", async () => {
  const root = await rootSigner({ kind: "rsa", bits: 2048 }, 10 * 365 * DAY, 1);
  const interKey = generateKeyPair({ kind: "ecdsa", curve: "P-256" });
  const inter = await createIntermediateCa({ parent: root.signer, subject: parseDn("/CN=kubelet-ca"), key: interKey, validityMs: 20 * 365 * DAY, pathLen: 0 });
  assert.equal(inter.notAfter.getTime(), root.cert.notAfter.getTime(), "capped at the parent");
  assert.deepEqual(inter.basicConstraints, { ca: true, pathLen: 0 });
  assert.deepEqual(lintCertificate(inter, { issuer: root.cert, at: NOW }), []);
  const signer = createLocalSigner({ signerName: "kubernetes.io/kubelet-serving", caCertificate: inter, key: localKeySigner(interKey), chain: root.signer.chain, clock, random });
  const kubeletKey = generateKeyPair({ kind: "ecdsa", curve: "P-256" });
  const { certificate, chain } = await signer.sign(
    createCsr({ subject: parseDn("/CN=system:node:w1/O=system:nodes"), sans: sansFromHosts(["w1", "192.168.1.5"]), key: kubeletKey }),
    { name: "kubelet-serving", usages: ["digital signature", "server auth"], expiryMs: 30 * DAY, role: "kubelet-serving" },
  );
  assert.deepEqual(chain.map((c) => c.fingerprintSha256), [inter.fingerprintSha256]);
  assert.ok(verifyChain(certificate, { roots: [root.cert], intermediates: [...chain], purpose: "server", at: NOW, host: "w1" }).ok);
  // pathLen 0 on the intermediate: it must not issue another CA
  await assert.rejects(
    () => createIntermediateCa({ parent: signer, subject: parseDn("/CN=too-deep"), key: generateKeyPair({ kind: "ed25519" }), validityMs: DAY }),
    (e: unknown) => e instanceof CaError && e.code === "lint-failed" && e.message.includes("e_issuer_path_len_exceeded"),
  );
  const dir = mkdtempSync(join(tmpdir(), "kpki-ca-"));
  const f = (n: string, c: Certificate): string => (writeFileSync(join(dir, n), encodeCertificatePem(c)), join(dir, n));
  const r = spawnSync("openssl", ["verify", "-attime", String(NOW.getTime() / 1000), "-purpose", "sslserver", "-CAfile", f("root.pem", root.cert),
    "-untrusted", f("inter.pem", inter), f("leaf.pem", certificate)], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr + r.stdout);
});

test("bufferedRandom hands out the source's bytes in order", () => {
  const a = seededRandom(9);
  const b = bufferedRandom(seededRandom(9), 10);
  const want = a.bytes(30);
  const got = [...b.bytes(4), ...b.bytes(4), ...b.bytes(4)];
  assert.deepEqual(got.slice(0, 8), [...want.slice(0, 8)]);
  assert.deepEqual(got.slice(8), [...want.slice(10, 14)]); // a refill starts a new 10-byte chunk
  assert.equal(b.bytes(50).length, 50);
});

test("a signer refuses a certificate that is not a CA and a key that is not the certificate's, naming the files", async () => {
  const root = await rootSigner();
  const leafKey = generateKeyPair({ kind: "ecdsa", curve: "P-256" });
  const { certificate: leaf } = await root.signer.sign(createCsr({ subject: parseDn("/CN=web"), sans: sansFromHosts(["web"]), key: leafKey }), SERVER);
  const noCertSignKey = generateKeyPair({ kind: "ecdsa", curve: "P-256" });
  const spki = keyPairSpki(noCertSignKey);
  const noCertSign = await issueFromTemplate({
    serialNumber: Uint8Array.of(7), subject: parseDn("/CN=no-cert-sign"), issuerDer: encodeDn(parseDn("/CN=no-cert-sign")), notBefore: NOW,
    notAfter: new Date(NOW.getTime() + DAY), spki, keyUsage: ["digitalSignature"], basicConstraints: { ca: true }, subjectKeyId: keyIdentifier(spki),
  }, { key: localKeySigner(noCertSignKey), at: NOW, skipLint: true });
  const files = { cert: "pki/ca.crt", key: "pki/ca.key" };
  const cases: [string, Certificate, KeyPair, CaFiles | undefined, string, string][] = [
    ["leaf as CA", leaf, leafKey, files, "not-a-ca", "pki/ca.crt: not a CA certificate (no basicConstraints CA:TRUE); it cannot sign certificates"],
    ["CA without keyCertSign", noCertSign, noCertSignKey, files, "not-a-ca", "pki/ca.crt: CA certificate without keyUsage keyCertSign; it cannot sign certificates"],
    ["another key", root.cert, leafKey, files, "key-mismatch", "pki/ca.key does not match pki/ca.crt"],
    ["leaf as CA, no file names", leaf, leafKey, undefined, "not-a-ca", 'CA certificate "CN = web": not a CA certificate (no basicConstraints CA:TRUE); it cannot sign certificates'],
    ["another key, no file names", root.cert, leafKey, undefined, "key-mismatch", 'CA key does not match the certificate "CN = kubernetes"'],
  ];
  for (const [name, cert, key, f, code, message] of cases) {
    const want = (e: unknown): boolean => e instanceof CaError && e.code === code && e.message === message;
    assert.throws(() => createLocalSigner({ signerName: "x", caCertificate: cert, key: localKeySigner(key), clock, random, ...(f ? { files: f } : {}) }), want, name);
    assert.throws(() => assertSigningCa(localKeySigner(key), cert, f), want, name);
    // The pooled signer makes the same check and does not leave its worker threads running.
    assert.throws(() => createPooledSigner({ signerName: "x", caCertificate: cert, caKey: key, clock, random, threads: 1, ...(f ? { files: f } : {}) }), want, name);
  }
  assert.doesNotThrow(() => assertSigningCa(localKeySigner(root.key), root.cert, files));
});

test("pre-issuance lint never issues serial 0, not even for a self-signed CA (kpki lint only warns on old ones)", async () => {
  const key = generateKeyPair({ kind: "ecdsa", curve: "P-256" });
  const spki = keyPairSpki(key);
  const subject = parseDn("/CN=kubernetes");
  await assert.rejects(
    () => issueFromTemplate({
      serialNumber: Uint8Array.of(0), subject, issuerDer: encodeDn(subject), notBefore: NOW, notAfter: new Date(NOW.getTime() + DAY), spki,
      keyUsage: ["keyCertSign"], basicConstraints: { ca: true }, subjectKeyId: keyIdentifier(spki), authorityKeyId: keyIdentifier(spki),
    }, { key: localKeySigner(key), role: "root-ca", at: NOW }),
    (e: unknown) => e instanceof CaError && e.code === "lint-failed" && e.message === "refusing to issue kubernetes: e_serial_not_positive: serial number must be positive",
  );
});
