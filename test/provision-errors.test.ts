// Bad input: each case gets one line `kpki: …` naming the file and what is wrong, a non-zero exit,
// no stack trace and nothing written.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeKpki, runKpki } from "../src/cli/testing.ts";

let dir = "";
before(async () => {
  dir = mkdtempSync(join(tmpdir(), "kpki-bad-"));
  writeFileSync(join(dir, "ca-csr.json"), '{"CN":"root","key":{"algo":"ecdsa","size":256}}');
  writeFileSync(join(dir, "other-csr.json"), '{"CN":"other","key":{"algo":"ecdsa","size":256}}');
  writeFileSync(join(dir, "leaf-csr.json"), '{"CN":"leaf","hosts":["leaf.local"],"key":{"algo":"ecdsa","size":256}}');
  assert.equal((await pipeKpki(["cfssl", "gencert", "-initca", "ca-csr.json"], ["cfssljson", "-bare", "ca"], dir)).status, 0);
  assert.equal((await pipeKpki(["cfssl", "gencert", "-initca", "other-csr.json"], ["cfssljson", "-bare", "other"], dir)).status, 0);
  assert.equal((await pipeKpki(["cfssl", "genkey", "leaf-csr.json"], ["cfssljson", "-bare", "leaf"], dir)).status, 0);
  const pem = readFileSync(join(dir, "ca.pem"), "utf8");
  writeFileSync(join(dir, "truncated.pem"), pem.slice(0, pem.length / 2));
  writeFileSync(join(dir, "garbage.pem"), "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n");
  // Flip one byte inside the CSR's signature: still DER, but proof of possession fails.
  const csr = readFileSync(join(dir, "leaf.csr"), "utf8");
  const der = Buffer.from(csr.replace(/-----[^-]+-----|\s/g, ""), "base64");
  der[der.length - 5] = (der[der.length - 5] ?? 0) ^ 0xff;
  writeFileSync(join(dir, "badsig.csr"), `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString("base64").match(/.{1,64}/g)?.join("\n")}\n-----END CERTIFICATE REQUEST-----\n`);
  writeFileSync(join(dir, "bad-usage.json"), '{"signing":{"default":{"usages":["server auth","teleport"],"expiry":"8760h"}}}');
  writeFileSync(join(dir, "bad-expiry.json"), '{"signing":{"default":{"usages":["server auth"],"expiry":"one year"}}}');
  writeFileSync(join(dir, "ok-config.json"), '{"signing":{"profiles":{"www":{"usages":["server auth"],"expiry":"1h"}}}}');
  writeFileSync(join(dir, "bad-algo.json"), '{"CN":"x","key":{"algo":"dsa","size":1024}}');
  writeFileSync(join(dir, "bad-cluster.yaml"), "keyAlgorithm: rsa-512\n");
  writeFileSync(join(dir, "bad-ca-expiry.json"), '{"CN":"x","ca":{"expiry":"soon"}}');
  writeFileSync(join(dir, "truncated.der"), Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ""), "base64").subarray(0, 100));
  assert.equal((await pipeKpki(["cfssl", "gencert", "-ca", "ca.pem", "-ca-key", "ca-key.pem", "leaf-csr.json"], ["cfssljson", "-bare", "leafcert"], dir)).status, 0);
});

const CASES: [string, string[], RegExp][] = [
  ["truncated PEM", ["inspect", "truncated.pem"], /^kpki: truncated\.pem: .*(truncated|malformed)/],
  ["malformed certificate", ["inspect", "garbage.pem"], /^kpki: garbage\.pem: /],
  ["key not matching the CA cert", ["cfssl", "sign", "-ca", "ca.pem", "-ca-key", "other-key.pem", "leaf.csr"], /^kpki: other-key\.pem: private key does not match the certificate in ca\.pem/],
  ["bad CSR signature", ["cfssl", "sign", "-ca", "ca.pem", "-ca-key", "ca-key.pem", "badsig.csr"], /^kpki: badsig\.csr: .*signature/],
  ["unknown usage", ["cfssl", "sign", "-ca", "ca.pem", "-ca-key", "ca-key.pem", "-config", "bad-usage.json", "leaf.csr"], /^kpki: bad-usage\.json: signing\.default\.usages: unknown usage "teleport"/],
  ["unparseable expiry", ["cfssl", "sign", "-ca", "ca.pem", "-ca-key", "ca-key.pem", "-config", "bad-expiry.json", "leaf.csr"], /^kpki: bad-expiry\.json: signing\.default\.expiry: cannot parse "one year"/],
  ["unknown profile", ["cfssl", "sign", "-ca", "ca.pem", "-ca-key", "ca-key.pem", "-config", "ok-config.json", "-profile", "nope", "leaf.csr"], /^kpki: ok-config\.json: unknown profile "nope" \(have: www\)/],
  ["unknown algorithm", ["cfssl", "genkey", "bad-algo.json"], /^kpki: bad-algo\.json: key\.algo: unknown algorithm "dsa"/],
  ["missing file", ["cfssl", "sign", "-ca", "missing.pem", "-ca-key", "ca-key.pem", "leaf.csr"], /^kpki: cannot read missing\.pem: no such file or directory/],
  ["missing inspect file", ["inspect", "nope.crt"], /^kpki: cannot read nope\.crt: no such file or directory/],
  ["bad cluster spec", ["init", "--dir", "out", "--config", "bad-cluster.yaml"], /^kpki: bad-cluster\.yaml: keyAlgorithm: unknown "rsa-512"/],
  ["a leaf certificate as the signing CA", ["cfssl", "sign", "-ca", "leafcert.pem", "-ca-key", "leafcert-key.pem", "leaf.csr"], /^kpki: leafcert\.pem: not a CA certificate \(no basicConstraints CA:TRUE\)/],
  ["truncated DER", ["inspect", "truncated.der"], /^kpki: truncated\.der: neither PEM nor a DER certificate or CSR \(.*truncated/],
  ["lint of a truncated PEM", ["lint", "truncated.pem"], /^kpki: truncated\.pem: .*(truncated|malformed)/],
  ["verify against a truncated CA file", ["verify", "--ca", "truncated.pem", "--purpose", "server", "leafcert.pem"], /^kpki: truncated\.pem: /],
  ["cfssljson fed something else", ["cfssljson", "-bare", "out", "-f", "garbage.pem"], /^kpki: garbage\.pem: cannot parse the cfssl JSON input/],
  ["-initca with an unparseable ca.expiry", ["cfssl", "gencert", "-initca", "bad-ca-expiry.json"], /^kpki: bad-ca-expiry\.json: CA\.expiry: cannot parse "soon"/],
  ["-initca with a malformed -ca-key", ["cfssl", "gencert", "-initca", "-ca-key", "garbage.pem", "leaf-csr.json"], /^kpki: garbage\.pem: /],
  ["kubeconfig user with an http server", ["kubeconfig", "user", "--dir", ".", "--name", "x", "--server", "http://x"], /^kpki: kubeconfig user: --server must be an https:\/\/ URL/],
  ["kubeconfig user with an unparseable validity", ["kubeconfig", "user", "--dir", ".", "--name", "x", "--validity", "forever"], /^kpki: kubeconfig user: --validity: cannot parse "forever"/],
  ["kubeconfig user without an init'd dir", ["kubeconfig", "user", "--dir", "nowhere", "--name", "x"], /^kpki: cannot read nowhere\/pki\/ca\.crt: no such file or directory/],
  ["unknown command", ["frobnicate"], /^kpki: unknown command "frobnicate" \(see kpki --help\)/],
  ["unknown flag", ["init", "--dri", "x"], /^kpki: init: Unknown option '--dri'/],
];

for (const [name, args, re] of CASES) {
  test(`bad input: ${name}`, async () => {
    const before = readdirSync(dir).sort();
    const r = await runKpki(args, { cwd: dir });
    assert.notEqual(r.status, 0);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.ok(!/\n\s+at /.test(r.stderr), "no stack trace");
    assert.deepEqual(readdirSync(dir).sort(), before, "nothing written");
  });
}

test("usage errors exit 2, other failures 1; KPKI_DEBUG adds the stack", async () => {
  assert.equal((await runKpki(["frobnicate"], { cwd: dir })).status, 2);
  assert.equal((await runKpki(["inspect", "nope.crt"], { cwd: dir })).status, 1);
  process.env["KPKI_DEBUG"] = "1";
  try {
    const r = await runKpki(["inspect", "nope.crt"], { cwd: dir });
    assert.match(r.stderr, /\n\s+at /);
  } finally {
    delete process.env["KPKI_DEBUG"];
  }
});

test("help: kpki --help lists the commands; each command has --help", async () => {
  const top = await runKpki(["--help"]);
  assert.equal(top.status, 0);
  for (const c of ["init", "certs", "inspect", "lint", "verify", "kubeconfig", "cfssl", "cfssljson"]) {
    assert.match(top.stdout, new RegExp(`^  ${c} `, "m"));
    const h = await runKpki([c, "--help"]);
    assert.equal(h.status, 0, c);
    assert.match(h.stdout, new RegExp(`Usage:\\n  kpki ${c}`), c);
  }
});
