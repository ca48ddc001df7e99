// RBAC decision latency with 10 000 bindings (issue 3 goal: p99 < 50 µs). The peer is a naive authorizer that
// scans every binding per decision (what the index avoids), over the same objects in the same run.
import type { Reporter } from "./run.ts";
import { RbacIndex, bootstrapPolicy, ruleAllows, subjectAppliesTo } from "../src/auth/index.ts";
import type { RequestAttributes, UserInfo } from "../src/auth/index.ts";
import type { ClusterRole, ClusterRoleBinding, RoleBinding } from "../src/api/index.ts";
import { x509Authenticator } from "../src/auth/index.ts";
import { encodeDn, generateKeyPair, keyIdentifier, makeDn, signTemplate, spkiOf } from "../src/pki/index.ts";
import type { Certificate, KeyPair } from "../src/pki/index.ts";
import { systemClock, DAY } from "../src/base/index.ts";
import { sign } from "node:crypto";

const RBAC = "rbac.authorization.k8s.io";
const NAMESPACES = 200;

function objects(): { roles: ClusterRole[]; bindings: Array<RoleBinding | ClusterRoleBinding> } {
  const p = bootstrapPolicy();
  const roles = [...p.clusterRoles];
  const bindings: Array<RoleBinding | ClusterRoleBinding> = [...p.clusterRoleBindings];
  for (let i = 0; bindings.length < 10_000; i++) {
    const subjects = [{ kind: "User", apiGroup: RBAC, name: `user${i}` }, { kind: "Group", apiGroup: RBAC, name: `team${i % 500}` }];
    if (i % 10 === 0) {
      bindings.push({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding", metadata: { name: `crb${i}` }, subjects, roleRef: { apiGroup: RBAC, kind: "ClusterRole", name: "view" } });
    } else {
      bindings.push({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", metadata: { name: `rb${i}`, namespace: `ns${i % NAMESPACES}` }, subjects, roleRef: { apiGroup: RBAC, kind: "ClusterRole", name: i % 3 === 0 ? "edit" : "view" } });
    }
  }
  return { roles, bindings };
}

/** Every binding checked on every decision. */
function naive(roles: ClusterRole[], bindings: Array<RoleBinding | ClusterRoleBinding>) {
  const byName = new Map(roles.map((r) => [r.metadata.name, r]));
  return (a: RequestAttributes): boolean => {
    for (const b of bindings) {
      const ns = b.kind === "RoleBinding" ? (b.metadata.namespace ?? "") : "";
      if (b.kind === "RoleBinding" && ns !== a.namespace) continue;
      if (!(b.subjects ?? []).some((s) => subjectAppliesTo(a.user, s, ns))) continue;
      if ((byName.get(b.roleRef.name)?.rules ?? []).some((r) => ruleAllows(a, r))) return true;
    }
    return false;
  };
}

const user = (name: string, ...groups: string[]): UserInfo => ({ name, groups: [...groups, "system:authenticated"], extra: {} });
function attrs(u: UserInfo, verb: string, resource: string, namespace: string): RequestAttributes {
  return { user: u, verb, isResourceRequest: true, path: "", apiGroup: "", apiVersion: "v1", resource, subresource: "", namespace, name: "" };
}

function percentiles(fn: (i: number) => unknown, n: number): { p50: number; p99: number } {
  for (let i = 0; i < 2000; i++) fn(i); // warm-up (JIT)
  const samples = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    fn(i);
    samples[i] = Number(process.hrtime.bigint() - t) / 1000;
  }
  samples.sort();
  return { p50: samples[Math.floor(n * 0.5)] ?? 0, p99: samples[Math.floor(n * 0.99)] ?? 0 };
}

export default async function run(r: Reporter): Promise<void> {
  const { roles, bindings } = objects();
  const idx = new RbacIndex();
  for (const o of [...roles, ...bindings]) idx.upsert(o);
  const scan = naive(roles, bindings);
  // A mix: allowed by a RoleBinding, allowed through a group's ClusterRoleBinding, and denied (worst case:
  // every candidate binding is visited and nothing allows).
  const requests = Array.from({ length: 1024 }, (_, i) => {
    const k = (i * 7919) % 9000;
    if (i % 3 === 0) return attrs(user(`user${k}`), "list", "pods", `ns${k % NAMESPACES}`);
    if (i % 3 === 1) return attrs(user(`nobody${k}`, `team${(k * 10) % 500}`), "get", "configmaps", "default");
    return attrs(user(`user${k}`, `team${k % 500}`), "delete", "nodes", "");
  });
  const n = 200_000;
  const sync = percentiles((i) => idx.decide(requests[i & 1023]!), n);
  const peer = percentiles((i) => scan(requests[i & 1023]!), 5000);
  r.row({ name: "RBAC decide() p50, 10 000 bindings", ours: sync.p50, peer: peer.p50, peerName: "scan-all", unit: "µs", lowerIsBetter: true });
  r.row({ name: "RBAC decide() p99, 10 000 bindings", ours: sync.p99, peer: peer.p99, peerName: "scan-all", unit: "µs", lowerIsBetter: true, note: "goal < 50 µs" });
  let i = 0;
  const t0 = process.hrtime.bigint();
  for (; i < n; i++) await idx.authorize(requests[i & 1023]!);
  const perOp = Number(process.hrtime.bigint() - t0) / 1000 / n;
  r.row({ name: "RBAC authorize() (async) mean, 10 000 bindings", ours: perOp, unit: "µs", lowerIsBetter: true });
  const t1 = process.hrtime.bigint();
  const fresh = new RbacIndex();
  for (const o of [...roles, ...bindings]) fresh.upsert(o);
  r.row({ name: "RbacIndex load of 10 000 bindings + bootstrap roles", ours: Number(process.hrtime.bigint() - t1) / 1e6, unit: "ms", lowerIsBetter: true });
  await benchX509(r);
  r.note(`${bindings.length} bindings (${roles.length} cluster roles), ${NAMESPACES} namespaces; 1/3 allowed by RoleBinding, 1/3 by group CRB, 1/3 denied`);
}

async function cert(cn: string, issuer: { cert: Certificate; key: KeyPair } | undefined, key: KeyPair): Promise<Certificate> {
  const subject = makeDn([{ type: "CN", value: cn }, { type: "O", value: "dev" }]);
  const spki = spkiOf(key.publicKey);
  const now = Date.now();
  return signTemplate(
    {
      serialNumber: Uint8Array.of(1), subject, issuerDer: issuer?.cert.subjectDer ?? encodeDn(subject),
      notBefore: new Date(now - DAY), notAfter: new Date(now + DAY), spki,
      ...(issuer ? { extKeyUsage: ["1.3.6.1.5.5.7.3.2"] } : { basicConstraints: { ca: true }, keyUsage: ["keyCertSign" as const] }),
      subjectKeyId: keyIdentifier(spki),
    },
    (tbs) => sign("sha256", tbs, (issuer?.key ?? key).privateKey),
    (issuer?.key ?? key).algorithm,
  );
}

/** The per-request authn step over keep-alive: the verdict cache vs verifying the chain every time. */
async function benchX509(r: Reporter): Promise<void> {
  const caKey = generateKeyPair({ kind: "ecdsa", curve: "P-256" });
  const ca = { cert: await cert("ca", undefined, caKey), key: caKey };
  const leaf = await cert("jane", ca, generateKeyPair({ kind: "ecdsa", curve: "P-256" }));
  const creds = { peerCertificates: [leaf], path: "/api/v1/namespaces/default/pods/x" };
  const measure = async (ttl: number, n: number): Promise<number> => {
    const auth = x509Authenticator({ roots: () => [ca.cert], clock: systemClock, cacheTtlMs: ttl });
    for (let i = 0; i < 200; i++) await auth.authenticate(creds);
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await auth.authenticate(creds);
    return Number(process.hrtime.bigint() - t) / 1000 / n;
  };
  r.row({ name: "x509 authenticate() per request (P-256 chain)", ours: await measure(60_000, 100_000), peer: await measure(0, 2000), peerName: "verify every time", unit: "µs", lowerIsBetter: true });
}
