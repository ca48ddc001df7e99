// Issue 2, read as a new user would: the keys openssl writes load, kpki's CSRs pass `openssl req
// -verify` with every subject and SAN kind, a kubeadm-made /etc/kubernetes/pki lints clean, `verify
// --host` matches IPs and wildcards as Go does, and `certs renew` speaks kubeadm and refuses a CA
// whose key is not its certificate's.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeKpki, runKpki } from "../src/cli/testing.ts";
import { matchesHost, parseCertificatePem } from "../src/pki/index.ts";

let dir = "";
const sh = (cmd: string, args: string[], cwd = dir): string => execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
const openssl = (...args: string[]): string => sh("openssl", args);

before(() => {
  dir = mkdtempSync(join(tmpdir(), "kpki-audit-"));
});

// [file, openssl command that writes it, what inspect must say]
const KEYS: [string, string[], RegExp][] = [
  ["genrsa.pem", ["genrsa", "-out", "genrsa.pem", "2048"], /Type: private key \(PRIVATE KEY\)\n {2}Algorithm: RSA 2048/],
  ["genrsa-pkcs1.pem", ["genrsa", "-traditional", "-out", "genrsa-pkcs1.pem", "2048"], /private key \(RSA PRIVATE KEY\)\n {2}Algorithm: RSA 2048/],
  ["ecparam.pem", ["ecparam", "-genkey", "-name", "prime256v1", "-out", "ecparam.pem"], /private key \(EC PRIVATE KEY\)\n {2}Algorithm: ECDSA P-256/],
  ["ecparam-521.pem", ["ecparam", "-genkey", "-name", "secp521r1", "-noout", "-out", "ecparam-521.pem"], /Algorithm: ECDSA P-521/],
  ["genpkey-384.pem", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", "genpkey-384.pem"], /Algorithm: ECDSA P-384/],
  ["ed25519.pem", ["genpkey", "-algorithm", "ed25519", "-out", "ed25519.pem"], /Algorithm: Ed25519/],
  ["enc.pem", ["pkcs8", "-topk8", "-in", "ecparam.pem", "-passout", "pass:s3cret", "-out", "enc.pem"], /encrypted private key \(PKCS#8\)\n {2}Encryption: PBES2 \(PBKDF2 hmacWithSHA256, \d+ iterations; aes-256-cbc\)\n(?! {2}Algorithm)/],
  ["legacy-enc.pem", ["rsa", "-in", "genrsa-pkcs1.pem", "-traditional", "-aes128", "-passout", "pass:s3cret", "-out", "legacy-enc.pem"], /legacy PEM encryption\)\n {2}Encryption: AES-128-CBC/],
  ["rsa-pub.pem", ["rsa", "-in", "genrsa.pem", "-RSAPublicKey_out", "-out", "rsa-pub.pem"], /public key \(PKCS#1\)\n {2}Algorithm: RSA 2048/],
  ["spki.pem", ["pkey", "-in", "ed25519.pem", "-pubout", "-out", "spki.pem"], /public key \(SPKI\)\n {2}Algorithm: Ed25519/],
];

test("every key openssl genrsa / genpkey / ecparam -genkey / pkcs8 -topk8 writes loads in kpki inspect", async () => {
  for (const [file, args, want] of KEYS) {
    openssl(...args);
    const r = await runKpki(["inspect", file], { cwd: dir });
    assert.equal(r.status, 0, `${file}: ${r.stderr}`);
    assert.match(r.stdout, want, file);
  }
});

test("encrypted keys: --passin reads the algorithm (pass:, env:, file:); a wrong passphrase is one line", async () => {
  writeFileSync(join(dir, "pw.txt"), "s3cret\n");
  for (const passin of ["pass:s3cret", "file:pw.txt"]) {
    const r = await runKpki(["inspect", "--passin", passin, "enc.pem", "legacy-enc.pem", "-o", "json"], { cwd: dir });
    assert.equal(r.status, 0, r.stderr);
    const [a, b] = JSON.parse(r.stdout) as { facts: { algorithm: string } }[];
    assert.deepEqual([a?.facts.algorithm, b?.facts.algorithm], ["ECDSA P-256", "RSA 2048"]);
  }
  const bad = await runKpki(["inspect", "--passin", "pass:nope", "enc.pem"], { cwd: dir });
  assert.equal(bad.status, 1);
  assert.equal(bad.stderr, "kpki: enc.pem: cannot load ENCRYPTED PRIVATE KEY: wrong passphrase or corrupt key\n");
  assert.equal((await runKpki(["inspect", "--passin", "s3cret", "enc.pem"], { cwd: dir })).status, 2);
});

test("kpki CSRs pass `openssl req -verify` for every key type, with several O, OU, C, ST, L and DNS/IP/email/URI SANs", async () => {
  const names = [{ C: "KR", ST: "Seoul", L: "Gangnam", O: "dev-team", OU: "platform" }, { O: "second-team" }];
  const hosts = ["minjun.example.com", "10.0.0.7", "2001:db8::7", "minjun@example.com", "spiffe://cluster.local/ns/default/sa/minjun"];
  for (const key of [{ algo: "rsa", size: 2048 }, { algo: "ecdsa", size: 256 }, { algo: "ecdsa", size: 384 }, { algo: "ecdsa", size: 521 }, { algo: "ed25519" }]) {
    const name = `csr-${key.algo}${key.size ?? ""}`;
    writeFileSync(join(dir, `${name}.json`), JSON.stringify({ CN: "minjun", hosts, key, names }));
    const r = await pipeKpki(["cfssl", "genkey", `${name}.json`], ["cfssljson", "-bare", name], dir);
    assert.equal(r.status, 0, r.stderr);
    const v = spawnSync("openssl", ["req", "-in", `${name}.csr`, "-noout", "-verify", "-subject", "-nameopt", "RFC2253"], { cwd: dir, encoding: "utf8" });
    assert.equal(v.status, 0, v.stderr);
    assert.match(v.stderr, /verify OK/, name);
    assert.equal(v.stdout, "subject=CN=minjun,OU=platform,O=second-team,O=dev-team,L=Gangnam,ST=Seoul,C=KR\n", name);
    const text = openssl("req", "-in", `${name}.csr`, "-noout", "-text");
    assert.match(text, /DNS:minjun\.example\.com, IP Address:10\.0\.0\.7, IP Address:2001:DB8:0:0:0:0:0:7, email:minjun@example\.com, URI:spiffe:\/\/cluster\.local\/ns\/default\/sa\/minjun/, name);
    assert.equal(openssl("pkey", "-in", `${name}-key.pem`, "-pubout"), openssl("req", "-in", `${name}.csr`, "-noout", "-pubkey"), name);
  }
});

// A /etc/kubernetes/pki as kubeadm writes it: RSA-2048 everywhere; CAs self-signed with KU
// digitalSignature+keyEncipherment+keyCertSign, SAN DNS = CN and no AKI (Go omits it on self-signed);
// leaves with KU digitalSignature+keyEncipherment, kubeadm's CN/O/EKU/SANs, AKI; sa.key/sa.pub.
function kubeadmPki(root: string, caSerial?: string): void {
  mkdirSync(join(root, "etcd"), { recursive: true });
  const run = (...args: string[]): string => sh("openssl", args, root);
  for (const k of ["ca", "front-proxy-ca", "etcd/ca", "leaf", "sa"]) run("genrsa", "-traditional", "-out", `${k}.key`, "2048");
  const ca = (file: string, cn: string): void => {
    run("req", "-x509", "-new", "-key", `${file}.key`, "-subj", `/CN=${cn}`, "-days", "3650", "-out", `${file}.crt`, ...(caSerial ? ["-set_serial", caSerial] : []),
      "-addext", "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign", "-addext", "basicConstraints=critical,CA:TRUE",
      "-addext", "subjectKeyIdentifier=hash", "-addext", "authorityKeyIdentifier=none", "-addext", `subjectAltName=DNS:${cn}`);
  };
  ca("ca", "kubernetes");
  ca("front-proxy-ca", "front-proxy-ca");
  ca("etcd/ca", "etcd-ca");
  run("req", "-new", "-key", "leaf.key", "-subj", "/CN=leaf", "-out", "leaf.csr");
  const leaf = (file: string, issuer: string, subj: string, eku: string, san?: string): void => {
    writeFileSync(join(root, "ext.cnf"), `keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=${eku}\nbasicConstraints=critical,CA:FALSE\nauthorityKeyIdentifier=keyid\n${san ? `subjectAltName=${san}\n` : ""}`);
    run("x509", "-req", "-in", "leaf.csr", "-subj", subj, "-CA", `${issuer}.crt`, "-CAkey", `${issuer}.key`, "-set_serial", `0x${Math.floor(Math.random() * 2 ** 48).toString(16)}01`, "-days", "365", "-extfile", "ext.cnf", "-out", `${file}.crt`);
    cpSync(join(root, "leaf.key"), join(root, `${file}.key`));
  };
  leaf("apiserver", "ca", "/CN=kube-apiserver", "serverAuth", "DNS:cp-1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:10.96.0.1,IP:192.168.1.10");
  leaf("apiserver-kubelet-client", "ca", "/O=kubeadm:cluster-admins/CN=kube-apiserver-kubelet-client", "clientAuth");
  leaf("front-proxy-client", "front-proxy-ca", "/CN=front-proxy-client", "clientAuth");
  leaf("apiserver-etcd-client", "etcd/ca", "/CN=kube-apiserver-etcd-client", "clientAuth");
  for (const f of ["etcd/server", "etcd/peer"]) leaf(f, "etcd/ca", "/CN=cp-1", "serverAuth,clientAuth", "DNS:cp-1,DNS:localhost,IP:192.168.1.10,IP:127.0.0.1,IP:0:0:0:0:0:0:0:1");
  leaf("etcd/healthcheck-client", "etcd/ca", "/CN=kube-etcd-healthcheck-client", "clientAuth");
  writeFileSync(join(root, "sa.pub"), run("rsa", "-in", "sa.key", "-pubout"));
  for (const f of ["leaf.key", "leaf.csr", "ext.cnf"]) execFileSync("rm", [join(root, f)]);
}

test("kpki lint on a kubeadm-made /etc/kubernetes/pki (RSA-2048, keyEncipherment CAs): no false errors", async () => {
  const pki = join(dir, "kubeadm", "pki");
  kubeadmPki(pki);
  assert.match(openssl("verify", "-CAfile", join(pki, "etcd/ca.crt"), join(pki, "etcd/peer.crt")), /OK/);
  const r = await runKpki(["lint", pki]);
  assert.equal(r.status, 0, r.stdout);
  assert.match(r.stdout, /^10 certificates, 0 errors\n$/m);
  assert.ok(!/^(error|warning)/m.test(r.stdout), r.stdout);
  const exp = await runKpki(["certs", "check-expiration", "--dir", join(dir, "kubeadm")]);
  assert.equal(exp.status, 0, exp.stderr);
  assert.match(exp.stdout, /^apiserver-etcd-client\s+.*364d\s+etcd-ca\s+no$/m);
});

test("kpki lint on a kubeadm CA from before 2019 (client-go certutil: serial 0): a warning on the root, still an error on a leaf", async () => {
  openssl("req", "-x509", "-new", "-key", join(dir, "genrsa.pem"), "-subj", "/CN=kubernetes", "-days", "3650", "-set_serial", "0", "-out", join(dir, "old-ca.crt"),
    "-addext", "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "subjectKeyIdentifier=hash");
  const r = await runKpki(["lint", "old-ca.crt"], { cwd: dir });
  assert.equal(r.status, 0, r.stdout);
  assert.match(r.stdout, /^warning +old-ca\.crt: w_root_serial_zero: /m);
  assert.doesNotMatch(r.stdout, /e_serial_not_positive/);
  // A leaf with serial 0, signed by that CA: no allowance.
  writeFileSync(join(dir, "leaf0.cnf"), "basicConstraints=critical,CA:FALSE\nextendedKeyUsage=clientAuth\nauthorityKeyIdentifier=keyid\nsubjectKeyIdentifier=hash\n");
  openssl("req", "-new", "-key", join(dir, "ecparam.pem"), "-subj", "/CN=leaf0", "-out", join(dir, "leaf0.csr"));
  openssl("x509", "-req", "-in", join(dir, "leaf0.csr"), "-CA", join(dir, "old-ca.crt"), "-CAkey", join(dir, "genrsa.pem"), "-set_serial", "0", "-days", "30",
    "-extfile", join(dir, "leaf0.cnf"), "-out", join(dir, "leaf0.crt"));
  const leaf = await runKpki(["lint", "leaf0.crt"], { cwd: dir });
  assert.equal(leaf.status, 1, leaf.stdout);
  assert.match(leaf.stdout, /^error +leaf0\.crt: e_serial_not_positive: /m);
});

test("certs renew on kubeadm's layout: kubeadm's messages; a CA key that is not the CA's refuses and writes nothing", async () => {
  const root = join(dir, "kubeadm");
  let r = await runKpki(["certs", "renew", "apiserver", "--dir", root]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, "certificate for serving the Kubernetes API renewed\n");
  assert.match(openssl("verify", "-CAfile", join(root, "pki/ca.crt"), join(root, "pki/apiserver.crt")), /OK/);
  const before = readFileSync(join(root, "pki/apiserver.crt"), "utf8");
  cpSync(join(root, "pki/front-proxy-ca.key"), join(root, "pki/ca.key"));
  r = await runKpki(["certs", "renew", "all", "--dir", root]);
  assert.equal(r.status, 1);
  assert.equal(r.stderr, `kpki: certs renew: ${root}/pki/ca.key does not match ${root}/pki/ca.crt; nothing renewed\n`);
  assert.equal(readFileSync(join(root, "pki/apiserver.crt"), "utf8"), before);
  r = await runKpki(["certs", "renew", "apiserver", "--dir", root, "--validity", "forever"]);
  assert.equal(r.stderr, 'kpki: certs renew: --validity: cannot parse "forever" as a duration (e.g. "8760h")\n');
});

test("certs renew refuses a CA certificate that cannot sign (CA:FALSE, or no keyCertSign) and writes nothing", async () => {
  const root = join(dir, "kubeadm-nonca");
  const pki = join(root, "pki");
  kubeadmPki(pki);
  const before = readFileSync(join(pki, "apiserver.crt"), "utf8");
  const noCertSign = (): void => void openssl("req", "-x509", "-new", "-key", join(pki, "ca.key"), "-subj", "/CN=kubernetes", "-days", "3650", "-out", join(pki, "ca.crt"),
    "-addext", "keyUsage=critical,digitalSignature", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "subjectKeyIdentifier=hash");
  const leafAsCa = (): void => ["crt", "key"].forEach((x) => cpSync(join(pki, `apiserver-kubelet-client.${x}`), join(pki, `ca.${x}`)));
  const cases: [string, () => void, RegExp][] = [
    ["CA without keyCertSign", noCertSign, /pki\/ca\.crt: CA certificate without keyUsage keyCertSign; it cannot sign certificates\n$/],
    ["a leaf as ca.crt", leafAsCa, /pki\/ca\.crt: not a CA certificate \(no basicConstraints CA:TRUE\); it cannot sign certificates\n$/],
  ];
  for (const [name, breakCa, want] of cases) {
    breakCa();
    const r = await runKpki(["certs", "renew", "apiserver", "--dir", root]);
    assert.equal(r.status, 1, `${name}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /^kpki: [^\n]+\n$/, name);
    assert.match(r.stderr, want, name);
    assert.equal(readFileSync(join(pki, "apiserver.crt"), "utf8"), before, name);
  }
});

test("verify --host: IPv4, IPv6 (any spelling), wildcard one label deep, as Go's VerifyHostname", async () => {
  writeFileSync(join(dir, "vca.json"), JSON.stringify({ CN: "verify-ca", key: { algo: "ecdsa", size: 256 } }));
  writeFileSync(join(dir, "vweb.json"), JSON.stringify({ CN: "web", hosts: ["*.apps.example.com", "example.com", "10.0.0.5", "2001:db8::1"], key: { algo: "ecdsa", size: 256 } }));
  assert.equal((await pipeKpki(["cfssl", "gencert", "-initca", "vca.json"], ["cfssljson", "-bare", "vca"], dir)).status, 0);
  assert.equal((await pipeKpki(["cfssl", "gencert", "-ca", "vca.pem", "-ca-key", "vca-key.pem", "vweb.json"], ["cfssljson", "-bare", "vweb"], dir)).status, 0);
  // Through the CLI: one of each kind; the full table in-process through the same pki/ function.
  const cases: [string, number][] = [["a.apps.example.com", 0], ["2001:DB8:0:0:0:0:0:1", 0], ["10.0.0.6", 1], ["b.a.apps.example.com", 1],
    ["10.0.0.5", 0], ["010.0.0.5", 1], ["*.apps.example.com", 1]];
  for (const [host, want] of cases) {
    const r = await runKpki(["verify", "--ca", "vca.pem", "--purpose", "server", "--host", host, "vweb.pem"], { cwd: dir });
    assert.equal(r.status, want, `${host}: ${r.stdout}${r.stderr}`);
    if (want === 1) assert.match(r.stdout + r.stderr, new RegExp(`not ${host.replace(/[.[\]*]/g, "\\$&")}`));
  }
  const web = parseCertificatePem(readFileSync(join(dir, "vweb.pem"), "utf8"));
  const table: [string, boolean][] = [
    ["a.apps.example.com", true], ["A.Apps.Example.COM", true], ["example.com", true], ["10.0.0.5", true], ["2001:db8::1", true],
    ["[2001:db8::1]", true], ["apps.example.com", false], ["b.a.apps.example.com", false], ["10.0.0.6", false], ["2001:db8::2", false], ["www.example.com", false],
    // Go ≥ 1.17 net.ParseIP: no leading zeros, so "010.0.0.5" is a DNS name; RFC 6125 §6.4.3: no wildcard in the name asked for.
    ["010.0.0.5", false], ["10.0.0.005", false], ["*.apps.example.com", false], ["*.example.com", false],
  ];
  for (const [host, want] of table) assert.equal(matchesHost(web, host), want, host);
  const asClient = await runKpki(["verify", "--ca", "vca.pem", "--purpose", "client", "vweb.pem"], { cwd: dir });
  assert.equal(asClient.status, 0, "cfssl's default profile has client auth");
});
