import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodePem } from "../base/index.ts";
import { createCsr, encodeCsrPem, parseCsrDer, parseCsrPem, verifyCsrSignature } from "./csr.ts";
import { PkiError } from "./errors.ts";
import { encodePrivateKeyPem, formatKeyAlgorithm, generateKeyPair } from "./keys.ts";
import { parseDn, sansFromHosts } from "./names.ts";
import type { KeyAlgorithm } from "./types.ts";

function run(cmd: string, args: string[], input?: string, withStderr = cmd === "openssl"): string {
  const r = spawnSync(cmd, args, { input, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: ${r.stderr}`);
  return withStderr ? r.stdout + r.stderr : r.stdout;
}

const ALGS: KeyAlgorithm[] = [{ kind: "rsa", bits: 2048 }, { kind: "ecdsa", curve: "P-256" }, { kind: "ecdsa", curve: "P-384" }, { kind: "ecdsa", curve: "P-521" }, { kind: "ed25519" }];
const SANS = sansFromHosts(["node-1.example.com", "*.apps.example.com", "10.0.0.1", "fd00::10", "ops@example.com", "spiffe://k8s/ns/default"]);

test("createCsr for every key type: parse back, verify, openssl req -verify accepts", () => {
  for (const alg of ALGS) {
    const key = generateKeyPair(alg);
    const csr = createCsr({ subject: parseDn("/CN=system:node:node-1/O=system:nodes"), sans: SANS, key });
    const back = parseCsrPem(encodeCsrPem(csr));
    assert.deepEqual(back.subject, csr.subject);
    assert.deepEqual(back.sans, SANS);
    assert.deepEqual(back.keyAlgorithm, alg);
    assert.equal(back.requestsCa, false);
    assert.ok(verifyCsrSignature(back), formatKeyAlgorithm(alg));
    const out = run("openssl", ["req", "-noout", "-verify", "-text"], encodeCsrPem(csr));
    assert.match(out, /verify OK/);
    assert.match(out, /DNS:node-1.example.com, DNS:\*.apps.example.com, IP Address:10.0.0.1, IP Address:FD00:0:0:0:0:0:0:10, email:ops@example.com, URI:spiffe:\/\/k8s\/ns\/default/);
  }
});

test("a CSR asking for CA:TRUE is detected", () => {
  const csr = createCsr({ subject: parseDn("/CN=sneaky"), key: generateKeyPair({ kind: "ed25519" }), ca: true });
  assert.equal(parseCsrDer(csr.der).requestsCa, true);
  assert.match(run("openssl", ["req", "-noout", "-text"], encodeCsrPem(csr)), /CA:TRUE/);
});

test("tampered CSR fails proof of possession", () => {
  const key = generateKeyPair({ kind: "ecdsa", curve: "P-256" });
  const csr = createCsr({ subject: parseDn("/CN=a"), key });
  // Swap in another key's SPKI: parses, but the signature no longer verifies.
  const other = createCsr({ subject: parseDn("/CN=a"), key: generateKeyPair({ kind: "ecdsa", curve: "P-256" }) });
  const hex = Buffer.from(csr.der).toString("hex").replace(Buffer.from(csr.spki).toString("hex"), Buffer.from(other.spki).toString("hex"));
  const forged = parseCsrDer(new Uint8Array(Buffer.from(hex, "hex")));
  assert.equal(verifyCsrSignature(forged), false);
  assert.equal(verifyCsrSignature(csr), true);
});

test("parseCsrPem: first block must be CERTIFICATE REQUEST", () => {
  const csr = createCsr({ subject: parseDn("/CN=a"), key: generateKeyPair({ kind: "ed25519" }) });
  const keyPem = encodePrivateKeyPem(generateKeyPair({ kind: "ed25519" }));
  const cases: [string, string | undefined][] = [
    [encodeCsrPem(csr), undefined],
    [encodePem("NEW CERTIFICATE REQUEST", csr.der), undefined],
    [`garbage before\n${encodeCsrPem(csr)}`, undefined],
    [keyPem + encodeCsrPem(csr), "PEM block type must be CERTIFICATE REQUEST"],
    ["not pem at all", "PEM block type must be CERTIFICATE REQUEST"],
    [encodePem("CERTIFICATE REQUEST", Uint8Array.of(0x30, 0x00)), "cannot parse CSR"],
  ];
  for (const [text, err] of cases) {
    if (err === undefined) assert.equal(parseCsrPem(text).subject.attributes[0]?.value, "a");
    else assert.throws(() => parseCsrPem(text), (e: unknown) => e instanceof PkiError && e.code === "bad-csr" && e.message.includes(err));
  }
});

test("parses CSRs made by openssl and cfssl", () => {
  const key = generateKeyPair({ kind: "rsa", bits: 2048 });
  const keyFile = join(mkdtempSync(join(tmpdir(), "kpki-csr-")), "k.pem");
  writeFileSync(keyFile, encodePrivateKeyPem(key));
  const ossl = run("openssl", ["req", "-new", "-key", keyFile, "-subj", "/CN=system:node:w1/O=system:nodes", "-addext",
    "subjectAltName=DNS:w1,IP:192.168.0.7", "-addext", "basicConstraints=critical,CA:TRUE"]);
  const a = parseCsrPem(ossl);
  assert.ok(verifyCsrSignature(a));
  assert.deepEqual(a.sans, { dns: ["w1"], ip: ["192.168.0.7"], email: [], uri: [] });
  assert.equal(a.requestsCa, true);
  assert.equal(a.signatureAlgorithm, "sha256WithRSAEncryption");

  const cf = JSON.parse(run("cfssl", ["genkey", "-"], JSON.stringify({ CN: "cf", hosts: ["cf.example.com", "10.1.1.1"], key: { algo: "ecdsa", size: 256 },
    names: [{ C: "US", O: "system:nodes" }] }))) as { csr: string };
  const b = parseCsrPem(cf.csr);
  assert.ok(verifyCsrSignature(b));
  assert.equal(b.signatureAlgorithm, "ecdsa-with-SHA256");
  assert.deepEqual(b.subject, parseDn("/C=US/O=system:nodes/CN=cf"));
  assert.deepEqual(b.sans.ip, ["10.1.1.1"]);
});
