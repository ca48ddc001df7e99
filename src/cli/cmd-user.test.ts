// kpki user add / csr show against a fake API (an in-memory CSR endpoint that issues on approval):
// the request sent, the approval only when SSAR allows, the binding, the kubeconfig written 0600.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fromBase64, fromUtf8, seededRandom, systemClock, toBase64, utf8, DAY } from "../base/index.ts";
import { createLocalSigner, createRootCa, localKeySigner } from "../ca/index.ts";
import { renderKubeconfig } from "../cluster/index.ts";
import { parseKubeconfig } from "../config/index.ts";
import { encodeCertificatePem, encodePrivateKeyPem, generateKeyPair, makeDn, parseCertificatePem, parseCsrPem, parsePrivateKeyPem, publicKeyMatches } from "../pki/index.ts";
import { command as csrCommand } from "./cmd-csr.ts";
import { command as userCommand } from "./cmd-user.ts";
import type { Io } from "./io.ts";

async function fakeCluster(opts: { mayApprove: boolean; approveAfterPolls?: number }) {
  const clock = systemClock;
  const key = generateKeyPair({ kind: "ecdsa", curve: "P-256" });
  const root = await createRootCa({ subject: makeDn([{ type: "CN", value: "kubernetes" }]), key, validityMs: 10 * 365 * DAY, clock, random: seededRandom(1) });
  const signer = createLocalSigner({ signerName: "kubernetes.io/kube-apiserver-client", caCertificate: root, key: localKeySigner(key), clock, random: seededRandom(2) });
  const csrs = new Map<string, Record<string, unknown>>();
  const posted: { method: string; path: string; body: unknown }[] = [];
  const files = new Map<string, { data: string; mode?: number }>();
  const out: string[] = [];
  const err: string[] = [];
  let polls = 0;
  const adminKey = generateKeyPair({ kind: "ecdsa", curve: "P-256" });
  files.set("/k/admin.conf", { data: renderKubeconfig({ clusterName: "kubernetes", server: "https://127.0.0.1:6443", caPem: encodeCertificatePem(root), userName: "kubernetes-admin", certPem: encodeCertificatePem(root), keyPem: encodePrivateKeyPem(adminKey) }) });
  async function issue(name: string): Promise<void> {
    const o = csrs.get(name)!;
    const spec = o["spec"] as { request: string; usages: string[]; expirationSeconds: number };
    const { certificate } = await signer.sign(parseCsrPem(fromUtf8(fromBase64(spec.request))), { name: "t", usages: spec.usages, expiryMs: spec.expirationSeconds * 1000 });
    o["status"] = { ...(o["status"] as object), certificate: toBase64(utf8(encodeCertificatePem(certificate))) };
  }
  const io: Io = {
    stdout: (s) => void out.push(s),
    stderr: (s) => void err.push(s),
    env: {},
    cwd: "/k",
    readFile: async (p) => utf8(files.get(p)!.data),
    readText: async (p) => files.get(p)!.data,
    exists: async (p) => files.has(p),
    writeFileAtomic: async (p, d, o) => void files.set(p, { data: String(d), ...(o?.mode !== undefined ? { mode: o.mode } : {}) }),
    mkdirp: async () => undefined,
    listDir: async () => [],
    sleep: async () => {
      if (++polls === opts.approveAfterPolls) {
        for (const [name, o] of csrs) {
          o["status"] = { conditions: [{ type: "Approved", status: "True" }] };
          await issue(name);
        }
      }
    },
    async request(_t, method, path, body) {
      posted.push({ method, path, body });
      const json = (status: number, b: unknown) => ({ status, body: b, text: JSON.stringify(b) });
      if (path.endsWith("selfsubjectaccessreviews")) return json(201, { status: { allowed: opts.mayApprove } });
      const m = path.match(/certificatesigningrequests(?:\/([^/]+))?(\/approval)?$/);
      if (m && method === "POST") {
        const o = body as Record<string, unknown>;
        csrs.set((o["metadata"] as { name: string }).name, { ...o, status: {} });
        return json(201, o);
      }
      if (m && method === "GET") return json(200, csrs.get(m[1]!));
      if (m && method === "PUT" && m[2]) {
        csrs.set(m[1]!, body as Record<string, unknown>);
        await issue(m[1]!);
        return json(200, body);
      }
      if (path.includes("bindings")) return json(201, body);
      return json(404, { message: "not found" });
    },
  };
  return { io, files, posted, out, err, csrs, root };
}

test("user add: local key, CSR, self-approval, RoleBinding, kubeconfig 0600", async () => {
  const c = await fakeCluster({ mayApprove: true });
  const code = await userCommand.run(["add", "minjun", "--group", "dev-team", "--role", "pod-reader", "--namespace", "default", "--ttl", "24h", "--kubeconfig", "/k/admin.conf", "-o", "/k/minjun.conf"], c.io);
  assert.equal(code, 0);
  const csrPost = c.posted.find((p) => p.method === "POST" && p.path.endsWith("certificatesigningrequests"))!;
  const spec = (csrPost.body as { spec: { signerName: string; usages: string[]; expirationSeconds: number; request: string } }).spec;
  assert.equal(spec.signerName, "kubernetes.io/kube-apiserver-client");
  assert.equal(spec.expirationSeconds, 86400);
  assert.ok(!JSON.stringify(c.posted).includes("PRIVATE KEY"), "the key never leaves");
  const binding = c.posted.find((p) => p.path.endsWith("/namespaces/default/rolebindings"))!.body as { roleRef: { kind: string; name: string }; subjects: { kind: string; name: string }[] };
  assert.deepEqual([binding.roleRef.kind, binding.roleRef.name, binding.subjects[0]?.name], ["Role", "pod-reader", "minjun"]);
  const file = c.files.get("/k/minjun.conf")!;
  assert.equal(file.mode, 0o600);
  const kc = await parseKubeconfig(file.data, "minjun.conf");
  const u = kc.users[0]!;
  const cert = parseCertificatePem(u.certPem!);
  assert.deepEqual(cert.subject.attributes, [{ type: "CN", value: "minjun" }, { type: "O", value: "dev-team" }]);
  assert.ok(publicKeyMatches(cert.publicKey, parsePrivateKeyPem(u.keyPem!).publicKey));
  assert.equal(kc.contexts[0]?.namespace, "default");
});

test("user add: without approve permission it prints the kubectl line and waits", async () => {
  const c = await fakeCluster({ mayApprove: false, approveAfterPolls: 3 });
  const code = await userCommand.run(["add", "ana", "--clusterrole", "view", "--kubeconfig", "/k/admin.conf", "-o", "/k/ana.conf"], c.io);
  assert.equal(code, 0);
  assert.match(c.err.join(""), /kubectl certificate approve ana-[0-9a-f]{8}/);
  assert.ok(!c.posted.some((p) => p.path.endsWith("/approval")));
  assert.ok(c.posted.some((p) => p.path.endsWith("/clusterrolebindings")));
});

test("user add refuses system:masters and a short ttl", async () => {
  const c = await fakeCluster({ mayApprove: true });
  await assert.rejects(userCommand.run(["add", "x", "--group", "system:masters", "--kubeconfig", "/k/admin.conf", "-o", "/k/x"], c.io), /system:masters/);
  await assert.rejects(userCommand.run(["add", "x", "--ttl", "5m", "--kubeconfig", "/k/admin.conf", "-o", "/k/x"], c.io), /at least 10m/);
});

test("csr show: decoded subject, groups, usages, duration, warnings", async () => {
  const c = await fakeCluster({ mayApprove: true });
  const k = generateKeyPair({ kind: "ecdsa", curve: "P-256" });
  const { createCsr, encodeCsrPem } = await import("../pki/index.ts");
  const pem = encodeCsrPem(createCsr({ subject: makeDn([{ type: "CN", value: "eve" }, { type: "O", value: "system:masters" }]), key: k }));
  c.csrs.set("eve", { metadata: { name: "eve" }, spec: { request: toBase64(utf8(pem)), signerName: "example.com/x", usages: ["client auth"], expirationSeconds: 3600, username: "eve", groups: ["system:authenticated"] }, status: {} });
  await csrCommand.run(["show", "eve", "--kubeconfig", "/k/admin.conf"], c.io);
  const text = c.out.join("");
  assert.match(text, /Organization \(groups\):\s+system:masters/);
  assert.match(text, /Requested duration:\s+60m \(expirationSeconds 3600\)/);
  assert.match(text, /Status:\s+Pending/);
  assert.match(text, /WARNING: group system:masters: bypasses all authorization/);
});
