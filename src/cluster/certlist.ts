// A cluster's certificates as a table of data, after kubeadm's certlist.go and kubeconfig phase
// (reference k8s-csr-api-and-signers.md §13). planClusterPki() walks this table; nothing here does I/O.
//
// Layout under DIR (kubeadm's /etc/kubernetes):
//   pki/{ca,apiserver,apiserver-kubelet-client,front-proxy-ca,front-proxy-client,apiserver-etcd-client}.{crt,key}
//   pki/etcd/{ca,server,peer,healthcheck-client}.{crt,key}, pki/sa.{key,pub}
//   pki/kubelet/NODE-client.{crt,key}   kubelet client identity (also embedded in kubelet-NODE.conf)
//   pki/kubelet/NODE-serving.{crt,key}  kubelet serving certificate (its :10250 endpoint)
//   admin.conf, super-admin.conf, controller-manager.conf, scheduler.conf, kube-proxy.conf, kubelet-NODE.conf
// One directory serves every control-plane node: the apiserver and etcd certificates carry the names
// and IPs of all control-plane nodes (kubeadm instead writes one set per node).
import type { CertRole, KeyAlgorithm, SubjectAltNames } from "../pki/index.ts";
import { tryParseIp } from "../pki/index.ts";
import { firstServiceIp, type ClusterSpec, type NodeSpec } from "./spec.ts";

const isIp = (s: string): boolean => tryParseIp(s) !== undefined;

export interface CertSpec {
  /** Stable name used by `certs renew NAME` and in tables (kubeadm's phase ids where they exist). */
  readonly name: string;
  readonly description: string;
  /** Name of the signing CA's CertSpec; undefined for self-signed roots. */
  readonly ca?: string;
  readonly isCa: boolean;
  readonly commonName: string;
  readonly organizations: readonly string[];
  /** certificates.k8s.io usage strings (ca/ maps them to keyUsage/extKeyUsage). */
  readonly usages: readonly string[];
  readonly sans: SubjectAltNames;
  readonly role: CertRole;
  /** Path without extension (".crt"/".key" appended), relative to DIR; undefined when only embedded. */
  readonly files?: string;
  /** Kubeconfig file (relative to DIR) that embeds this certificate and key. */
  readonly kubeconfig?: string;
}

/** Service-account signing key pair (not a certificate). */
export const SA_KEY = { name: "sa", files: "pki/sa" } as const;

function sans(dns: readonly string[], ip: readonly string[]): SubjectAltNames {
  const uniq = (xs: readonly string[]): string[] => [...new Set(xs)];
  return { dns: uniq(dns), ip: uniq(ip), email: [], uri: [] };
}
const NO_SANS = sans([], []);

/** RSA keys also get keyEncipherment (TLS 1.2 RSA key transport); ECDSA/Ed25519 keys only sign. */
function leafUsages(alg: KeyAlgorithm, ...ekus: string[]): string[] {
  return [...(alg.kind === "rsa" ? ["digital signature", "key encipherment"] : ["digital signature"]), ...ekus];
}

interface Row {
  readonly name: string;
  readonly description: string;
  readonly ca?: string;
  readonly cn: string;
  readonly o?: readonly string[];
  readonly eku?: readonly ("server auth" | "client auth")[];
  readonly sans?: SubjectAltNames;
  readonly role: CertRole;
  readonly files?: string;
  readonly kubeconfig?: string;
}

function apiServerSans(spec: ClusterSpec): SubjectAltNames {
  const cp = spec.controlPlane;
  const extra = spec.apiServerSANs;
  return sans(
    [...cp.map((n) => n.name), "kubernetes", "kubernetes.default", "kubernetes.default.svc", `kubernetes.default.svc.${spec.dnsDomain}`, "localhost", ...extra.filter((s) => !isIp(s))],
    [firstServiceIp(spec.serviceCIDR), ...cp.flatMap((n) => n.ips), "127.0.0.1", ...extra.filter(isIp)],
  );
}

function etcdSans(cp: readonly NodeSpec[]): SubjectAltNames {
  return sans([...cp.map((n) => n.name), "localhost"], [...cp.flatMap((n) => n.ips), "127.0.0.1", "::1"]);
}

function controlPlaneRows(spec: ClusterSpec): Row[] {
  const first = spec.controlPlane[0]?.name ?? "server";
  const both = ["server auth", "client auth"] as const;
  return [
    { name: "ca", description: "self-signed Kubernetes CA to provision identities for other Kubernetes components", cn: "kubernetes", role: "root-ca", files: "pki/ca", sans: sans(["kubernetes"], []) },
    { name: "apiserver", description: "certificate for serving the Kubernetes API", ca: "ca", cn: "kube-apiserver", eku: ["server auth"], sans: apiServerSans(spec), role: "server", files: "pki/apiserver" },
    { name: "apiserver-kubelet-client", description: "certificate for the API server to connect to kubelet", ca: "ca", cn: "kube-apiserver-kubelet-client", o: ["system:masters"], eku: ["client auth"], role: "client", files: "pki/apiserver-kubelet-client" },
    { name: "front-proxy-ca", description: "self-signed CA to provision identities for front proxy", cn: "front-proxy-ca", role: "root-ca", files: "pki/front-proxy-ca", sans: sans(["front-proxy-ca"], []) },
    { name: "front-proxy-client", description: "client for the front proxy", ca: "front-proxy-ca", cn: "front-proxy-client", eku: ["client auth"], role: "client", files: "pki/front-proxy-client" },
    { name: "etcd-ca", description: "self-signed CA to provision identities for etcd", cn: "etcd-ca", role: "root-ca", files: "pki/etcd/ca", sans: sans(["etcd-ca"], []) },
    { name: "etcd-server", description: "certificate for serving etcd", ca: "etcd-ca", cn: first, eku: [...both], sans: etcdSans(spec.controlPlane), role: "peer", files: "pki/etcd/server" },
    { name: "etcd-peer", description: "certificate for etcd nodes to communicate with each other", ca: "etcd-ca", cn: first, eku: [...both], sans: etcdSans(spec.controlPlane), role: "peer", files: "pki/etcd/peer" },
    { name: "etcd-healthcheck-client", description: "certificate for liveness probes to healthcheck etcd", ca: "etcd-ca", cn: "kube-etcd-healthcheck-client", o: ["system:masters"], eku: ["client auth"], role: "client", files: "pki/etcd/healthcheck-client" },
    { name: "apiserver-etcd-client", description: "certificate the apiserver uses to access etcd", ca: "etcd-ca", cn: "kube-apiserver-etcd-client", o: ["system:masters"], eku: ["client auth"], role: "client", files: "pki/apiserver-etcd-client" },
  ];
}

function kubeconfigRows(): Row[] {
  const kc = (name: string, cn: string, o: string[], description: string): Row => ({ name, description, ca: "ca", cn, o, eku: ["client auth"], role: "client", kubeconfig: `${name}.conf` });
  return [
    kc("admin", "kubernetes-admin", ["kubeadm:cluster-admins"], "the admin's kubeconfig (group bound to cluster-admin)"),
    kc("super-admin", "kubernetes-super-admin", ["system:masters"], "break-glass kubeconfig (system:masters bypasses RBAC)"),
    kc("controller-manager", "system:kube-controller-manager", [], "kube-controller-manager's kubeconfig"),
    kc("scheduler", "system:kube-scheduler", [], "kube-scheduler's kubeconfig"),
    kc("kube-proxy", "system:kube-proxy", ["system:node-proxier"], "kube-proxy's kubeconfig"),
  ];
}

function nodeRows(node: NodeSpec): Row[] {
  const id = `system:node:${node.name}`;
  return [
    { name: `kubelet-${node.name}`, description: `kubelet client identity of ${node.name}`, ca: "ca", cn: id, o: ["system:nodes"], eku: ["client auth"], role: "kubelet-client", files: `pki/kubelet/${node.name}-client`, kubeconfig: `kubelet-${node.name}.conf` },
    { name: `kubelet-serving-${node.name}`, description: `kubelet serving certificate of ${node.name}`, ca: "ca", cn: id, o: ["system:nodes"], eku: ["server auth"], sans: sans([node.name], node.ips), role: "kubelet-serving", files: `pki/kubelet/${node.name}-serving` },
  ];
}

/** `kpki init` asks for the same spec's table twice (loadExisting, planClusterPki): 2,000 rows for
 *  1,000 nodes cost ≈ 50 ms each time. A frozen spec (config/ deep-freezes what it parses) cannot
 *  change, so its table is kept per spec object; an unfrozen one is rebuilt on every call. */
const tables = new WeakMap<ClusterSpec, readonly CertSpec[]>();

/** Every certificate of the cluster, CAs before the certificates they sign. */
export function clusterCertSpecs(spec: ClusterSpec): CertSpec[] {
  let table = tables.get(spec);
  if (!table) {
    const rows = [...controlPlaneRows(spec), ...kubeconfigRows(), ...[...spec.controlPlane, ...spec.workers].flatMap(nodeRows)];
    table = rows.map((r) => Object.freeze(toSpec(r, spec.keyAlgorithm)));
    if (Object.isFrozen(spec)) tables.set(spec, table);
  }
  return [...table];
}

/** The table for an existing DIR whose spec is unknown (check-expiration, renew): node names are
 *  recovered from pki/kubelet/NAME-{client,serving}.crt and kubelet-NAME.conf; SANs are not needed
 *  there (renewal copies them from the certificate being renewed). */
export function certSpecsForFiles(spec: ClusterSpec, files: { kubelet: readonly string[]; top: readonly string[] }): CertSpec[] {
  const names = new Set<string>();
  for (const f of files.kubelet) {
    const m = /^(.+)-(client|serving)\.crt$/.exec(f);
    if (m?.[1]) names.add(m[1]);
  }
  for (const f of files.top) {
    const m = /^kubelet-(.+)\.conf$/.exec(f);
    if (m?.[1]) names.add(m[1]);
  }
  const nodes = [...names].sort().map((name) => ({ name, ips: [] }));
  const rows = [...controlPlaneRows(spec), ...kubeconfigRows(), ...nodes.flatMap(nodeRows)];
  return rows.map((r) => toSpec(r, spec.keyAlgorithm));
}

function toSpec(r: Row, alg: KeyAlgorithm): CertSpec {
  return {
    name: r.name,
    description: r.description,
    ...(r.ca ? { ca: r.ca } : {}),
    isCa: r.ca === undefined,
    commonName: r.cn,
    organizations: r.o ?? [],
    usages: r.ca === undefined ? ["digital signature", "key encipherment", "cert sign"] : leafUsages(alg, ...(r.eku ?? [])),
    sans: r.sans ?? NO_SANS,
    role: r.role,
    ...(r.files ? { files: r.files } : {}),
    ...(r.kubeconfig ? { kubeconfig: r.kubeconfig } : {}),
  };
}

