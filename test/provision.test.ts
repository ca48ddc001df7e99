// kpki init end to end with the real tools: every certificate verifies with `openssl verify`
// against its CA, carries kubeadm's CN/O/EKU/SANs (read back by openssl), passes `kpki lint`;
// kubectl reads every kubeconfig; re-running keeps what is valid; --dry-run writes nothing.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runKpki } from "../src/cli/testing.ts";

const openssl = (...args: string[]): string => execFileSync("openssl", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
let dir = "";

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "kpki-init-"));
  const r = await runKpki(["init", "--dir", dir]);
  assert.equal(r.status, 0, r.stderr);
});

// [file, CA file, subject (openssl RFC 2253 order), EKU text, SANs that must be present]
const TABLE: [string, string, string, string, string[]][] = [
  ["pki/apiserver.crt", "pki/ca.crt", "CN=kube-apiserver", "TLS Web Server Authentication", ["DNS:kubernetes", "DNS:kubernetes.default", "DNS:kubernetes.default.svc", "DNS:kubernetes.default.svc.cluster.local", "DNS:localhost", "DNS:server", "IP Address:10.96.0.1", "IP Address:127.0.0.1", "IP Address:192.168.10.100"]],
  ["pki/apiserver-kubelet-client.crt", "pki/ca.crt", "CN=kube-apiserver-kubelet-client,O=system:masters", "TLS Web Client Authentication", []],
  ["pki/front-proxy-client.crt", "pki/front-proxy-ca.crt", "CN=front-proxy-client", "TLS Web Client Authentication", []],
  ["pki/etcd/server.crt", "pki/etcd/ca.crt", "CN=server", "TLS Web Server Authentication, TLS Web Client Authentication", ["DNS:localhost", "DNS:server", "IP Address:127.0.0.1", "IP Address:0:0:0:0:0:0:0:1"]],
  ["pki/etcd/peer.crt", "pki/etcd/ca.crt", "CN=server", "TLS Web Server Authentication, TLS Web Client Authentication", ["IP Address:192.168.10.100"]],
  ["pki/etcd/healthcheck-client.crt", "pki/etcd/ca.crt", "CN=kube-etcd-healthcheck-client,O=system:masters", "TLS Web Client Authentication", []],
  ["pki/apiserver-etcd-client.crt", "pki/etcd/ca.crt", "CN=kube-apiserver-etcd-client,O=system:masters", "TLS Web Client Authentication", []],
  ["pki/kubelet/node-0-client.crt", "pki/ca.crt", "CN=system:node:node-0,O=system:nodes", "TLS Web Client Authentication", []],
  ["pki/kubelet/node-1-serving.crt", "pki/ca.crt", "CN=system:node:node-1,O=system:nodes", "TLS Web Server Authentication", ["DNS:node-1", "IP Address:192.168.10.102"]],
  ["pki/kubelet/server-serving.crt", "pki/ca.crt", "CN=system:node:server,O=system:nodes", "TLS Web Server Authentication", ["DNS:server"]],
];

for (const [file, ca, subject, eku, sans] of TABLE) {
  test(`init: ${file} verifies against ${ca} and has kubeadm's identity`, () => {
    assert.match(openssl("verify", "-CAfile", join(dir, ca), join(dir, file)), /: OK\n$/);
    const text = openssl("x509", "-in", join(dir, file), "-noout", "-subject", "-nameopt", "RFC2253", "-ext", "extendedKeyUsage,subjectAltName,basicConstraints");
    assert.match(text, new RegExp(`^subject=${subject.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\n`));
    assert.ok(text.includes(eku), text);
    assert.ok(text.includes("CA:FALSE"), text);
    for (const s of sans) assert.ok(text.includes(s), `${file} lacks ${s}: ${text}`);
    if (sans.length === 0) assert.ok(!text.includes("Subject Alternative Name"), text);
  });
}

test("init: CAs are self-signed CA:TRUE roots; keys are 0600; sa.key/sa.pub pair", () => {
  for (const ca of ["pki/ca.crt", "pki/front-proxy-ca.crt", "pki/etcd/ca.crt"]) {
    assert.match(openssl("verify", "-CAfile", join(dir, ca), join(dir, ca)), /OK/);
    const ext = openssl("x509", "-in", join(dir, ca), "-noout", "-ext", "basicConstraints,keyUsage");
    assert.match(ext, /CA:TRUE/);
    assert.match(ext, /Certificate Sign/);
  }
  const keys = ["pki/ca.key", "pki/apiserver.key", "pki/etcd/peer.key", "pki/sa.key", "pki/kubelet/node-0-client.key", "admin.conf"];
  for (const k of keys) assert.equal(statSync(join(dir, k)).mode & 0o777, 0o600, k);
  const pubFromKey = openssl("pkey", "-in", join(dir, "pki/sa.key"), "-pubout");
  assert.equal(pubFromKey, readFileSync(join(dir, "pki/sa.pub"), "utf8"));
});

const KUBECONFIGS: [string, string, string][] = [
  ["admin.conf", "CN=kubernetes-admin,O=kubeadm:cluster-admins", "kubernetes-admin@kubernetes"],
  ["super-admin.conf", "CN=kubernetes-super-admin,O=system:masters", "kubernetes-super-admin@kubernetes"],
  ["controller-manager.conf", "CN=system:kube-controller-manager", "system:kube-controller-manager@kubernetes"],
  ["scheduler.conf", "CN=system:kube-scheduler", "system:kube-scheduler@kubernetes"],
  ["kube-proxy.conf", "CN=system:kube-proxy,O=system:node-proxier", "system:kube-proxy@kubernetes"],
  ["kubelet-node-0.conf", "CN=system:node:node-0,O=system:nodes", "system:node:node-0@kubernetes"],
  ["kubelet-server.conf", "CN=system:node:server,O=system:nodes", "system:node:server@kubernetes"],
];
for (const [file, subject, context] of KUBECONFIGS) {
  test(`init: kubectl reads ${file}; its embedded client certificate verifies (${subject})`, () => {
    const view = JSON.parse(execFileSync("kubectl", ["--kubeconfig", join(dir, file), "config", "view", "--raw", "-o", "json"], { encoding: "utf8" })) as {
      "current-context": string;
      clusters: { cluster: { server: string; "certificate-authority-data": string } }[];
      users: { user: { "client-certificate-data": string; "client-key-data": string } }[];
    };
    assert.equal(view["current-context"], context);
    assert.equal(view.clusters[0]?.cluster.server, "https://192.168.10.100:6443");
    const work = mkdtempSync(join(tmpdir(), "kpki-kc-"));
    const cert = join(work, "c.pem");
    writeFileSync(cert, Buffer.from(view.users[0]!.user["client-certificate-data"], "base64"));
    writeFileSync(join(work, "ca.pem"), Buffer.from(view.clusters[0]!.cluster["certificate-authority-data"], "base64"));
    assert.match(openssl("verify", "-CAfile", join(work, "ca.pem"), "-purpose", "sslclient", cert), /OK/);
    assert.match(openssl("x509", "-in", cert, "-noout", "-subject", "-nameopt", "RFC2253"), new RegExp(`^subject=${subject}\n`));
    rmSync(work, { recursive: true });
  });
}

test("init: kpki lint passes the whole directory", async () => {
  const r = await runKpki(["lint", dir]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /, 0 errors\n$/);
});

test("init: re-running keeps everything; a deleted leaf is re-created, nothing else", async () => {
  const before = readFileSync(join(dir, "pki/ca.crt"), "utf8");
  let r = await runKpki(["init", "--dir", dir]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /wrote 0 files; kept 22 existing items/);
  rmSync(join(dir, "pki/front-proxy-client.crt"));
  r = await runKpki(["init", "--dir", dir]);
  assert.match(r.stdout, /^reissue front-proxy-client .*certificate missing/m);
  assert.match(r.stdout, /wrote 2 files; kept 21/);
  assert.equal(readFileSync(join(dir, "pki/ca.crt"), "utf8"), before);
  assert.match(openssl("verify", "-CAfile", join(dir, "pki/front-proxy-ca.crt"), join(dir, "pki/front-proxy-client.crt")), /OK/);
});

test("init: a changed spec re-issues only the certificates it affects", async () => {
  const work = mkdtempSync(join(tmpdir(), "kpki-spec-"));
  const cfg = join(work, "cluster.yaml");
  writeFileSync(cfg, "controlPlane: [{name: cp, ips: [10.0.0.10]}]\nworkers: [{name: w1, ips: [10.0.0.11]}]\n");
  assert.equal((await runKpki(["init", "--dir", work, "--config", cfg])).status, 0);
  writeFileSync(cfg, "controlPlane: [{name: cp, ips: [10.0.0.10]}]\nworkers: [{name: w1, ips: [10.0.0.11]}]\napiServerSANs: [api.example.com]\n");
  const r = await runKpki(["init", "--dir", work, "--config", cfg]);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.stdout.split("\n").filter((l) => /^(create|reissue)/.test(l)).map((l) => l.split(/\s+/)[1]), ["apiserver"]);
  assert.match(openssl("x509", "-in", join(work, "pki/apiserver.crt"), "-noout", "-ext", "subjectAltName"), /DNS:api\.example\.com/);
  rmSync(work, { recursive: true });
});

test("init --dry-run prints the plan and writes nothing", async () => {
  const work = join(mkdtempSync(join(tmpdir(), "kpki-dry-")), "out");
  const r = await runKpki(["init", "--dir", work, "--dry-run", "--server", "https://10.1.2.3:6443"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^dry run: nothing written/);
  assert.match(r.stdout, /^create {2}apiserver /m);
  assert.equal(existsSync(work), false);
});

test("certs check-expiration: kubeadm's two tables, text and JSON", async () => {
  const r = await runKpki(["certs", "check-expiration", "--dir", dir]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^CERTIFICATE\s+EXPIRES\s+RESIDUAL TIME\s+CERTIFICATE AUTHORITY\s+EXTERNALLY MANAGED\n/);
  assert.match(r.stdout, /^admin\.conf\s+\w{3} \d\d, \d{4} \d\d:\d\d UTC\s+36[45]d\s+ca\s+no$/m);
  assert.match(r.stdout, /^etcd-peer\s+.*etcd-ca\s+no$/m);
  assert.match(r.stdout, /^CERTIFICATE AUTHORITY\s+EXPIRES\s+RESIDUAL TIME\s+EXTERNALLY MANAGED\n(.*\n){0,2}front-proxy-ca\s+.*\s+9y\s+no$/m);
  const j = JSON.parse((await runKpki(["certs", "check-expiration", "--dir", dir, "-o", "json"])).stdout) as { certificates: { name: string }[]; certificateAuthorities: { name: string }[] };
  assert.deepEqual(j.certificateAuthorities.map((c) => c.name), ["ca", "etcd-ca", "front-proxy-ca"]);
  assert.ok(j.certificates.some((c) => c.name === "kubelet-serving-node-0"));
});

test("certs renew: same CA, subject and SANs; kubeconfigs updated in place", async () => {
  const serial = (f: string): string => openssl("x509", "-in", join(dir, f), "-noout", "-serial", "-ext", "subjectAltName").replace(/^serial=\w+\n/, "");
  const sansBefore = serial("pki/apiserver.crt");
  const oldSerial = openssl("x509", "-in", join(dir, "pki/apiserver.crt"), "-noout", "-serial");
  const oldAdmin = readFileSync(join(dir, "admin.conf"), "utf8");
  let r = await runKpki(["certs", "renew", "apiserver", "--dir", dir]);
  assert.equal(r.status, 0, r.stderr);
  assert.notEqual(openssl("x509", "-in", join(dir, "pki/apiserver.crt"), "-noout", "-serial"), oldSerial);
  assert.equal(serial("pki/apiserver.crt"), sansBefore);
  assert.match(openssl("verify", "-CAfile", join(dir, "pki/ca.crt"), join(dir, "pki/apiserver.crt")), /OK/);
  r = await runKpki(["certs", "renew", "admin.conf", "--dir", dir]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /embedded in the kubeconfig file admin\.conf renewed/);
  const admin = readFileSync(join(dir, "admin.conf"), "utf8");
  assert.notEqual(admin, oldAdmin);
  execFileSync("kubectl", ["--kubeconfig", join(dir, "admin.conf"), "config", "view", "--raw"]);
  r = await runKpki(["certs", "renew", "all", "--dir", dir]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim().split("\n").length, 18);
  assert.equal((await runKpki(["lint", dir])).status, 0);
  r = await runKpki(["certs", "renew", "nope", "--dir", dir]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^kpki: certs renew: unknown certificate "nope"/);
});

test("kubeconfig user: minjun in dev-team, signed by the cluster CA, readable by kubectl", async () => {
  const out = join(mkdtempSync(join(tmpdir(), "kpki-user-")), "minjun.conf");
  const r = await runKpki(["kubeconfig", "user", "--dir", dir, "--name", "minjun", "--group", "dev-team", "--validity", "24h", "-o", out]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(statSync(out).mode & 0o777, 0o600);
  const view = JSON.parse(execFileSync("kubectl", ["--kubeconfig", out, "config", "view", "--raw", "-o", "json"], { encoding: "utf8" })) as { users: { name: string; user: Record<string, string> }[] };
  assert.equal(view.users[0]?.name, "minjun");
  const cert = join(out, "..", "minjun.pem");
  writeFileSync(cert, Buffer.from(view.users[0]!.user["client-certificate-data"]!, "base64"));
  assert.match(openssl("verify", "-CAfile", join(dir, "pki/ca.crt"), "-purpose", "sslclient", cert), /OK/);
  assert.match(openssl("x509", "-in", cert, "-noout", "-subject", "-nameopt", "RFC2253"), /^subject=CN=minjun,O=dev-team\n/);
  rmSync(cert);
});

test("inspect and verify on init's output", async () => {
  let r = await runKpki(["inspect", join(dir, "pki/apiserver.crt"), "-o", "json"]);
  assert.equal(r.status, 0, r.stderr);
  const facts = (JSON.parse(r.stdout) as { facts: { subject: string } }).facts;
  assert.match(facts.subject, /kube-apiserver/);
  r = await runKpki(["inspect", join(dir, "admin.conf")]);
  assert.match(r.stdout, /admin\.conf user "kubernetes-admin" client-certificate-data: certificate/);
  const bundleFile = join(mkdtempSync(join(tmpdir(), "kpki-bundle-")), "bundle.pem");
  writeFileSync(bundleFile, readFileSync(join(dir, "pki/apiserver.crt"), "utf8") + readFileSync(join(dir, "pki/ca.crt"), "utf8"));
  r = await runKpki(["inspect", bundleFile, "-o", "json"]);
  const bundle = JSON.parse(r.stdout) as { file: string; kind: string }[];
  assert.deepEqual(bundle.map((b) => [b.file.replace(/^.*\//, ""), b.kind]), [["bundle.pem #1", "certificate"], ["bundle.pem #2", "certificate"]]);
  r = await runKpki(["verify", "--ca", join(dir, "pki/ca.crt"), "--purpose", "server", "--host", "kubernetes.default.svc", join(dir, "pki/apiserver.crt")]);
  assert.equal(r.status, 0, r.stdout);
  r = await runKpki(["verify", "--ca", join(dir, "pki/ca.crt"), "--purpose", "server", "--host", "evil.example", join(dir, "pki/apiserver.crt")]);
  assert.equal(r.status, 1);
  r = await runKpki(["verify", "--ca", join(dir, "pki/etcd/ca.crt"), "--purpose", "client", join(dir, "pki/apiserver.crt")]);
  assert.equal(r.status, 1);
  r = await runKpki(["verify", "--ca", join(dir, "pki/ca.crt"), "--purpose", "client", "--at", "2099-01-01T00:00:00Z", join(dir, "pki/apiserver-kubelet-client.crt")]);
  assert.equal(r.status, 1);
  assert.ok(readdirSync(dir).length > 0);
});

test("a CA without its key: check-expiration says externally managed; init refuses in one line", async () => {
  const work = mkdtempSync(join(tmpdir(), "kpki-ext-"));
  assert.equal((await runKpki(["init", "--dir", work])).status, 0);
  rmSync(join(work, "pki/front-proxy-ca.key"));
  const r = await runKpki(["certs", "check-expiration", "--dir", work]);
  assert.match(r.stdout, /^front-proxy-ca\s+.*\s+yes$/m);
  assert.match(r.stdout, /^ca\s+.*\s+no$/m);
  const i = await runKpki(["init", "--dir", work]);
  assert.equal(i.status, 1);
  assert.equal(i.stderr, 'kpki: CA "front-proxy-ca": pki/front-proxy-ca.key is missing (an external CA is not supported by init)\n');
  rmSync(work, { recursive: true });
});

test("init: an IPv6 or dual-stack serviceCIDR puts the primary range's first address in the apiserver certificate", async () => {
  // kubeadm's GetAPIServerVirtualIP: the first address of the FIRST (primary) service subnet only.
  for (const [cidr, vip, absent] of [
    ["fd00:10:96::/112", "fd00:10:96::1", "10.96.0.1"],
    ["fd00:10:96::/112,10.96.0.0/12", "fd00:10:96::1", "10.96.0.1"],
    ["10.96.0.0/12,fd00:10:96::/112", "10.96.0.1", "fd00:10:96::1"],
  ] as const) {
    const d = mkdtempSync(join(tmpdir(), "kpki-init6-"));
    try {
      writeFileSync(join(d, "cluster.yaml"), `serviceCIDR: "${cidr}"\ncontrolPlane: [{name: cp-1, ips: ["fd00::10"]}]\n`);
      const r = await runKpki(["init", "--dir", join(d, "out"), "--config", join(d, "cluster.yaml")]);
      assert.equal(r.status, 0, r.stderr);
      const crt = join(d, "out/pki/apiserver.crt");
      // openssl checks the IP SAN itself (-verify_ip), so the address is really in the certificate.
      assert.match(openssl("verify", "-CAfile", join(d, "out/pki/ca.crt"), "-purpose", "sslserver", "-verify_ip", vip, crt), /: OK\n$/, cidr);
      assert.throws(() => openssl("verify", "-CAfile", join(d, "out/pki/ca.crt"), "-verify_ip", absent, crt), /Command failed/, `${cidr}: ${absent}`);
      assert.equal((await runKpki(["lint", join(d, "out/pki")])).status, 0);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  }
});
