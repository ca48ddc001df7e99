// kpki cfssl / cfssljson against Debian's cfssl 1.2 and openssl: same JSON shapes, each signs the
// other's CSRs, cfssl certinfo reads kpki certificates with the same subject and SANs, and seed
// 001's openssl key + CSR load in kpki inspect and sign with kpki cfssl sign.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeKpki, runKpki } from "../src/cli/testing.ts";

const sh = (cmd: string, args: string[], cwd: string, input?: string): string =>
  execFileSync(cmd, args, { cwd, encoding: "utf8", input, stdio: ["pipe", "pipe", "pipe"] });
let dir = "";

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "kpki-cfssl-"));
  writeFileSync(join(dir, "ca-csr.json"), JSON.stringify({ CN: "Test Root", key: { algo: "ecdsa", size: 256 }, names: [{ C: "KR", O: "Kubernetes", OU: "ops" }, { O: "second" }] }));
  writeFileSync(join(dir, "web-csr.json"), JSON.stringify({ CN: "web.example.com", hosts: ["web.example.com", "10.0.0.7"], key: { algo: "rsa", size: 2048 }, names: [{ O: "web" }] }));
  writeFileSync(join(dir, "ca-config.json"), JSON.stringify({ signing: { default: { expiry: "8760h" }, profiles: { www: { expiry: "720h", usages: ["signing", "key encipherment", "server auth"] } } } }));
  const r = await pipeKpki(["cfssl", "gencert", "-initca", "ca-csr.json"], ["cfssljson", "-bare", "ca"], dir);
  assert.equal(r.status, 0, r.stderr);
});

test("print-defaults config|csr|list: byte for byte cfssl's (list: in any order, as cfssl's Go map)", async () => {
  for (const what of ["config", "csr"]) {
    assert.equal((await runKpki(["cfssl", "print-defaults", what])).stdout, sh("cfssl", ["print-defaults", what], dir));
  }
  // cfssl ranges over a Go map for the list, so its order changes from run to run.
  const lines = (text: string): string[] => [text.split("\n")[0] ?? "", ...text.split("\n").slice(1).sort()];
  assert.deepEqual(lines((await runKpki(["cfssl", "print-defaults", "list"])).stdout), lines(sh("cfssl", ["print-defaults", "list"], dir)));
});

test("gencert -initca | cfssljson -bare: CA files, key 0600, several O kept", () => {
  assert.equal(statSync(join(dir, "ca-key.pem")).mode & 0o777, 0o600);
  assert.match(readFileSync(join(dir, "ca-key.pem"), "utf8"), /^-----BEGIN EC PRIVATE KEY-----/);
  assert.match(readFileSync(join(dir, "ca.csr"), "utf8"), /^-----BEGIN CERTIFICATE REQUEST-----/);
  const subj = sh("openssl", ["x509", "-in", "ca.pem", "-noout", "-subject", "-nameopt", "RFC2253", "-ext", "basicConstraints"], dir);
  assert.match(subj, /^subject=CN=Test Root,OU=ops,O=second,O=Kubernetes,C=KR\n/);
  assert.match(subj, /CA:TRUE/);
});

test("gencert with -ca/-config/-profile (seed 004 style, = and space flag forms); openssl verifies", async () => {
  const r = await pipeKpki(["cfssl", "gencert", "-ca=ca.pem", "-ca-key", "ca-key.pem", "-config=ca-config.json", "-profile=www", "web-csr.json"], ["cfssljson", "-bare", "web"], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.match(sh("openssl", ["verify", "-CAfile", "ca.pem", "-purpose", "sslserver", "web.pem"], dir), /OK/);
  const ext = sh("openssl", ["x509", "-in", "web.pem", "-noout", "-ext", "subjectAltName,extendedKeyUsage,keyUsage"], dir);
  assert.match(ext, /DNS:web\.example\.com, IP Address:10\.0\.0\.7/);
  assert.match(ext, /TLS Web Server Authentication/);
  assert.ok(!ext.includes("Client Authentication"), ext);
  assert.match(ext, /Digital Signature, Key Encipherment/);
  assert.match(readFileSync(join(dir, "web-key.pem"), "utf8"), /^-----BEGIN RSA PRIVATE KEY-----/);
  const days = sh("openssl", ["x509", "-in", "web.pem", "-noout", "-enddate"], dir);
  assert.ok(new Date(days.replace("notAfter=", "")).getTime() - Date.now() < 31 * 86400_000, days);
});

test("cfssl certinfo reads a kpki certificate exactly as kpki cfssl certinfo prints it", async () => {
  const theirs = JSON.parse(sh("cfssl", ["certinfo", "-cert", "web.pem"], dir)) as Record<string, unknown>;
  const ours = JSON.parse((await runKpki(["cfssl", "certinfo", "-cert", "web.pem"], { cwd: dir })).stdout) as Record<string, unknown>;
  assert.deepEqual(ours, theirs);
  assert.deepEqual(theirs["sans"], ["web.example.com", "10.0.0.7"]);
  assert.equal((theirs["subject"] as Record<string, unknown>)["common_name"], "web.example.com");
  const caTheirs = JSON.parse(sh("cfssl", ["certinfo", "-cert", "ca.pem"], dir)) as Record<string, unknown>;
  const caOurs = JSON.parse((await runKpki(["cfssl", "certinfo", "-cert", "ca.pem"], { cwd: dir })).stdout) as Record<string, unknown>;
  assert.deepEqual(caOurs["subject"], caTheirs["subject"]);
  assert.equal(caOurs["subject_key_id"], caTheirs["subject_key_id"]);
});

test("cfssl signs a kpki CSR (genkey); kpki signs a cfssl CSR; both verify with openssl", async () => {
  writeFileSync(join(dir, "node-csr.json"), JSON.stringify({ CN: "system:node:node-0", hosts: ["node-0", "192.168.10.101"], key: { algo: "ecdsa", size: 256 }, names: [{ O: "system:nodes" }] }));
  const g = await pipeKpki(["cfssl", "genkey", "node-csr.json"], ["cfssljson", "-bare", "kpki-node"], dir);
  assert.equal(g.status, 0, g.stderr);
  sh("sh", ["-c", "cfssl sign -ca ca.pem -ca-key ca-key.pem kpki-node.csr 2>/dev/null | cfssljson -bare by-cfssl"], dir);
  assert.match(sh("openssl", ["verify", "-CAfile", "ca.pem", "by-cfssl.pem"], dir), /OK/);
  assert.match(sh("openssl", ["x509", "-in", "by-cfssl.pem", "-noout", "-ext", "subjectAltName"], dir), /DNS:node-0, IP Address:192\.168\.10\.101/);

  sh("sh", ["-c", "cfssl genkey node-csr.json 2>/dev/null | cfssljson -bare cfssl-node"], dir);
  const s = await pipeKpki(["cfssl", "sign", "-ca", "ca.pem", "-ca-key", "ca-key.pem", "-hostname=node-0,10.9.9.9", "cfssl-node.csr"], ["cfssljson", "-bare", "by-kpki"], dir);
  assert.equal(s.status, 0, s.stderr);
  assert.match(sh("openssl", ["verify", "-CAfile", "ca.pem", "by-kpki.pem"], dir), /OK/);
  const info = JSON.parse(sh("cfssl", ["certinfo", "-cert", "by-kpki.pem"], dir)) as { subject: { common_name: string; organization: string }; sans: string[] };
  assert.equal(info.subject.common_name, "system:node:node-0");
  assert.equal(info.subject.organization, "system:nodes");
  assert.deepEqual(info.sans, ["node-0", "10.9.9.9"]);
});

test("seed 001: openssl genrsa key and req -subj CSR load in kpki inspect, sign with kpki cfssl sign", async () => {
  sh("openssl", ["genrsa", "-out", "minjun.key", "2048"], dir);
  sh("openssl", ["req", "-new", "-key", "minjun.key", "-out", "minjun.csr", "-subj", "/CN=minjun/O=dev-team"], dir);
  let r = await runKpki(["inspect", "minjun.key", "minjun.csr", "-o", "json"], { cwd: dir });
  assert.equal(r.status, 0, r.stderr);
  const [key, csr] = JSON.parse(r.stdout) as { kind: string; facts: Record<string, unknown> }[];
  assert.equal(key?.kind, "private-key");
  assert.match(String(key?.facts["algorithm"]), /RSA 2048/);
  assert.equal(csr?.kind, "csr");
  assert.equal(csr?.facts["signatureValid"], true);
  assert.match(JSON.stringify(csr?.facts), /minjun/);
  writeFileSync(join(dir, "client-config.json"), JSON.stringify({ signing: { profiles: { client: { expiry: "24h", usages: ["digital signature", "key encipherment", "client auth"] } } } }));
  r = await pipeKpki(["cfssl", "sign", "-ca", "ca.pem", "-ca-key", "ca-key.pem", "-config", "client-config.json", "-profile", "client", "minjun.csr"], ["cfssljson", "-bare", "minjun"], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.match(sh("openssl", ["verify", "-CAfile", "ca.pem", "-purpose", "sslclient", "minjun.pem"], dir), /OK/);
  assert.match(sh("openssl", ["x509", "-in", "minjun.pem", "-noout", "-subject", "-nameopt", "RFC2253"], dir), /^subject=O=dev-team,CN=minjun|^subject=CN=minjun,O=dev-team/);
  r = await runKpki(["inspect", "minjun.pem"], { cwd: dir });
  assert.match(r.stdout, /^ {2}Subject:\s+CN = minjun, O = dev-team$/m);
});

test("cfssljson reads -f FILE and the API envelope; certinfo -csr", async () => {
  const json = (await runKpki(["cfssl", "genkey", "node-csr.json"], { cwd: dir })).stdout;
  writeFileSync(join(dir, "wrapped.json"), JSON.stringify({ success: true, result: JSON.parse(json) }));
  const r = await runKpki(["cfssljson", "-f", "wrapped.json", "wrapped"], { cwd: dir });
  assert.equal(r.status, 0, r.stderr);
  const info = JSON.parse((await runKpki(["cfssl", "certinfo", "-csr", "wrapped.csr"], { cwd: dir })).stdout) as { Subject: { CommonName: string }; DNSNames: string[] };
  assert.equal(info.Subject.CommonName, "system:node:node-0");
  assert.deepEqual(info.DNSNames, ["node-0"]);
});

test("certinfo -csr: byte for byte cfssl's dump of Go's x509.CertificateRequest (RSA, ECDSA, Ed25519; URIs, emails, critical extensions)", async () => {
  sh("openssl", ["req", "-new", "-newkey", "ed25519", "-nodes", "-keyout", "ed.key", "-subj", "/CN=ed", "-out", "ed.csr"], dir);
  sh("openssl", [
    "req", "-new", "-key", "minjun.key", "-out", "full.csr", "-subj", "/C=KR/ST=Seoul/L=Gangnam/O=a/O=b/OU=u/CN=minjun/emailAddress=m@x.io/street=Main St/postalCode=123/serialNumber=42",
    "-addext", "subjectAltName=DNS:x.io,email:m@x.io,URI:spiffe://td/ns/a,URI:https://u:p@h.io:8443/p/a%20th?q=1,URI:urn:x:y,URI:http://h/a!b?,IP:10.1.2.3",
    "-addext", "basicConstraints=critical,CA:TRUE,pathlen:2", "-addext", "keyUsage=digitalSignature",
  ], dir);
  writeFileSync(join(dir, "uri-csr.json"), JSON.stringify({ CN: "frag", hosts: ["http://h/p#fr%20ag", "::1", "a@b.io"], key: { algo: "ecdsa", size: 384 } }));
  assert.equal((await pipeKpki(["cfssl", "genkey", "uri-csr.json"], ["cfssljson", "-bare", "uri"], dir)).status, 0);
  for (const f of ["ca.csr", "web.csr", "cfssl-node.csr", "minjun.csr", "ed.csr", "full.csr", "uri.csr"]) {
    const r = await runKpki(["cfssl", "certinfo", "-csr", f], { cwd: dir });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, sh("cfssl", ["certinfo", "-csr", f], dir), f);
  }
});

test("gencert -initca: hosts and ca.pathlen as cfssl writes them (IP SANs kept, DNS dropped; keys matched case-insensitively)", async () => {
  const req = { cn: "Hosted Root", hosts: ["ca.example.com", "10.1.1.1"], key: { algo: "ecdsa", size: 256 }, ca: { expiry: "87600h", pathlen: 1 } };
  writeFileSync(join(dir, "hosted-csr.json"), JSON.stringify(req));
  const r = await pipeKpki(["cfssl", "gencert", "-initca", "hosted-csr.json"], ["cfssljson", "-bare", "hosted"], dir);
  assert.equal(r.status, 0, r.stderr);
  sh("sh", ["-c", "cfssl gencert -initca hosted-csr.json 2>/dev/null | cfssljson -bare hosted-by-cfssl"], dir);
  const ext = (f: string): string => sh("openssl", ["x509", "-in", f, "-noout", "-subject", "-ext", "subjectAltName,basicConstraints,keyUsage"], dir);
  assert.equal(ext("hosted.pem"), ext("hosted-by-cfssl.pem"));
  for (const want of [/CA:TRUE, pathlen:1/, /Certificate Sign, CRL Sign\n/, /Alternative Name: \n {4}IP Address:10\.1\.1\.1\n/]) assert.match(ext("hosted.pem"), want);
  const days = (f: string): number => new Date(sh("openssl", ["x509", "-in", f, "-noout", "-enddate"], dir).replace("notAfter=", "").trim()).getTime();
  assert.ok(Math.abs(days("hosted.pem") - days("hosted-by-cfssl.pem")) < 86400_000);
  // The CSR keeps every host, as cfssl's does.
  assert.match(sh("openssl", ["req", "-in", "hosted.csr", "-noout", "-text"], dir), /DNS:ca\.example\.com, IP Address:10\.1\.1\.1/);
  // -initca -ca-key KEY: the new CA uses that key (cfssl initca.NewFromPEM).
  const k = await pipeKpki(["cfssl", "gencert", "-initca", "-ca-key", "hosted-key.pem", "hosted-csr.json"], ["cfssljson", "-bare", "rekeyed"], dir);
  assert.equal(k.status, 0, k.stderr);
  assert.equal(sh("openssl", ["x509", "-in", "rekeyed.pem", "-noout", "-pubkey"], dir), sh("openssl", ["x509", "-in", "hosted.pem", "-noout", "-pubkey"], dir));
});
