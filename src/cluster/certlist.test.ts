import { test } from "node:test";
import assert from "node:assert/strict";
import { clusterCertSpecs, certSpecsForFiles, defaultServerUrl, firstServiceIp } from "./index.ts";
import { DEFAULT_CLUSTER, clusterSpecFromObject } from "../config/index.ts";

const byName = (name: string) => {
  const s = clusterCertSpecs(DEFAULT_CLUSTER).find((x) => x.name === name);
  assert.ok(s, name);
  return s;
};

// kubeadm's table (reference §13): name → [file, CA, CN, O, EKUs]
const KUBEADM: [string, string | undefined, string | undefined, string, string[], string[]][] = [
  ["ca", "pki/ca", undefined, "kubernetes", [], []],
  ["apiserver", "pki/apiserver", "ca", "kube-apiserver", [], ["server auth"]],
  ["apiserver-kubelet-client", "pki/apiserver-kubelet-client", "ca", "kube-apiserver-kubelet-client", ["system:masters"], ["client auth"]],
  ["front-proxy-ca", "pki/front-proxy-ca", undefined, "front-proxy-ca", [], []],
  ["front-proxy-client", "pki/front-proxy-client", "front-proxy-ca", "front-proxy-client", [], ["client auth"]],
  ["etcd-ca", "pki/etcd/ca", undefined, "etcd-ca", [], []],
  ["etcd-server", "pki/etcd/server", "etcd-ca", "server", [], ["server auth", "client auth"]],
  ["etcd-peer", "pki/etcd/peer", "etcd-ca", "server", [], ["server auth", "client auth"]],
  ["etcd-healthcheck-client", "pki/etcd/healthcheck-client", "etcd-ca", "kube-etcd-healthcheck-client", ["system:masters"], ["client auth"]],
  ["apiserver-etcd-client", "pki/apiserver-etcd-client", "etcd-ca", "kube-apiserver-etcd-client", ["system:masters"], ["client auth"]],
  ["admin", undefined, "ca", "kubernetes-admin", ["kubeadm:cluster-admins"], ["client auth"]],
  ["super-admin", undefined, "ca", "kubernetes-super-admin", ["system:masters"], ["client auth"]],
  ["controller-manager", undefined, "ca", "system:kube-controller-manager", [], ["client auth"]],
  ["scheduler", undefined, "ca", "system:kube-scheduler", [], ["client auth"]],
  ["kube-proxy", undefined, "ca", "system:kube-proxy", ["system:node-proxier"], ["client auth"]],
  ["kubelet-node-0", "pki/kubelet/node-0-client", "ca", "system:node:node-0", ["system:nodes"], ["client auth"]],
  ["kubelet-serving-node-1", "pki/kubelet/node-1-serving", "ca", "system:node:node-1", ["system:nodes"], ["server auth"]],
];
for (const [name, files, ca, cn, o, eku] of KUBEADM) {
  test(`kubeadm table: ${name}`, () => {
    const s = byName(name);
    assert.equal(s.files, files);
    assert.equal(s.ca, ca);
    assert.equal(s.commonName, cn);
    assert.deepEqual([...s.organizations], o);
    assert.deepEqual(s.usages.filter((u) => u.endsWith(" auth")), eku);
    assert.equal(s.isCa, ca === undefined);
  });
}

test("every CA precedes the certificates it signs; names are unique", () => {
  const specs = clusterCertSpecs(DEFAULT_CLUSTER);
  const seen = new Set<string>();
  for (const s of specs) {
    assert.ok(!seen.has(s.name), s.name);
    if (s.ca) assert.ok(seen.has(s.ca), `${s.name} before ${s.ca}`);
    seen.add(s.name);
  }
  assert.equal(specs.length, 15 + 2 * 3);
});

test("apiserver SANs: kubeadm's names, first service IP, node IPs, localhost and 127.0.0.1, extra SANs", () => {
  const spec = clusterSpecFromObject({ controlPlane: [{ name: "cp", ips: ["10.0.0.5"] }], apiServerSANs: ["api.example.com", "203.0.113.7"], dnsDomain: "corp.local" }, "t");
  const s = clusterCertSpecs(spec).find((x) => x.name === "apiserver")!;
  assert.deepEqual([...s.sans.dns], ["cp", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.corp.local", "localhost", "api.example.com"]);
  assert.deepEqual([...s.sans.ip], ["10.96.0.1", "10.0.0.5", "127.0.0.1", "203.0.113.7"]);
});

test("kubelet serving SANs carry the node name and IPs; RSA adds keyEncipherment", () => {
  const s = byName("kubelet-serving-node-0");
  assert.deepEqual([...s.sans.dns], ["node-0"]);
  assert.deepEqual([...s.sans.ip], ["192.168.10.101"]);
  assert.deepEqual(s.usages, ["digital signature", "server auth"]);
  const rsa = clusterCertSpecs({ ...DEFAULT_CLUSTER, keyAlgorithm: { kind: "rsa", bits: 2048 } }).find((x) => x.name === "apiserver")!;
  assert.deepEqual(rsa.usages, ["digital signature", "key encipherment", "server auth"]);
});

test("certSpecsForFiles recovers node names from file names", () => {
  const specs = certSpecsForFiles(DEFAULT_CLUSTER, { kubelet: ["a-client.crt", "a-client.key", "b-serving.crt"], top: ["kubelet-c.conf", "admin.conf"] });
  assert.deepEqual(
    specs.filter((s) => s.name.startsWith("kubelet")).map((s) => s.name),
    ["kubelet-a", "kubelet-serving-a", "kubelet-b", "kubelet-serving-b", "kubelet-c", "kubelet-serving-c"],
  );
});

test("default server URL", () => {
  assert.equal(defaultServerUrl(["10.0.0.1"]), "https://10.0.0.1:6443");
  assert.equal(defaultServerUrl([]), "https://127.0.0.1:6443");
  assert.equal(defaultServerUrl(["fd00::1"]), "https://[fd00::1]:6443");
});

test("first service IP (kubeadm: first address of the service CIDR)", () => {
  assert.equal(firstServiceIp("10.96.0.0/12"), "10.96.0.1");
  assert.equal(firstServiceIp("10.32.0.0/24"), "10.32.0.1");
  assert.equal(firstServiceIp("192.168.0.0/16"), "192.168.0.1");
  // IPv6, host bits set, and dual-stack (the primary, first range: kubeadm's GetKubernetesServiceCIDR).
  assert.equal(firstServiceIp("fd00:10:96::/112"), "fd00:10:96::1");
  assert.equal(firstServiceIp("10.32.0.77/24"), "10.32.0.1");
  assert.equal(firstServiceIp("fd00:10:96::f:0/108"), "fd00:10:96::1");
  assert.equal(firstServiceIp("10.96.0.0/12,fd00:10:96::/112"), "10.96.0.1");
  assert.equal(firstServiceIp("fd00:10:96::/112,10.96.0.0/12"), "fd00:10:96::1");
});
