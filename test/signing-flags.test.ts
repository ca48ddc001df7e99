// kube-controller-manager's CSR signing flags on `kpki serve`: an intermediate CA as the
// kube-apiserver-client signer puts the chain (without the root) in status.certificate, which
// `openssl verify` accepts against the root and kubectl authenticates with; --cluster-signing-duration
// caps the validity; bad files stop the start with one line naming the flag and the file.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock, systemRandom, toBase64, utf8 } from "../src/base/index.ts";
import { createIntermediateCa, createLocalSigner, createRootCa, localKeySigner } from "../src/ca/index.ts";
import { nodeIo, runCli } from "../src/cli/index.ts";
import {
  createCsr, encodeCertificatePem, encodeCsrPem, encodePrivateKeyPem, generateKeyPair, makeDn, parseCertificatePem, parseCertificatesPem, parsePrivateKeyPem,
} from "../src/pki/index.ts";
import { orderSigningChain } from "../src/main/signing-cas.ts";
import { startTestServer, type TestServer } from "./helpers/kpki.ts";
import { createKubectl, kubectlBinary, type Kubectl } from "./helpers/kubectl.ts";

const DAY = 86_400_000;
const P256 = { kind: "ecdsa", curve: "P-256" } as const;
const hasOpenssl = spawnSync("sh", ["-c", "command -v openssl"]).status === 0;

function openssl(args: string[], cwd: string): { code: number | null; out: string } {
  const r = spawnSync("openssl", args, { cwd, encoding: "utf8" });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

function csrYaml(name: string, requestPem: string, signerName = "kubernetes.io/kube-apiserver-client", extra: string[] = []): string {
  return [
    "apiVersion: certificates.k8s.io/v1", "kind: CertificateSigningRequest", "metadata:", `  name: ${name}`, "spec:",
    `  request: ${toBase64(utf8(requestPem))}`, `  signerName: ${signerName}`, ...extra, "  usages:", "  - client auth", "",
  ].join("\n");
}

/** Polls kubectl (a process, so real waiting) until the CSR carries a certificate. */
async function issued(k: Kubectl, name: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const r = await k(["get", "csr", name, "-o", "jsonpath={.status.certificate}"]);
    if (r.stdout !== "") return Buffer.from(r.stdout, "base64").toString("utf8");
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`CSR ${name} was not issued`);
}

/** Runs `kpki serve ARGS` through the CLI table in-process: [exit code, stderr]. */
async function serveCli(args: string[]): Promise<[number, string]> {
  let err = "";
  const io = nodeIo({ stdout: () => undefined, stderr: (s) => void (err += s) });
  const code = await runCli(["serve", ...args], io, [{ name: "serve", summary: "", load: () => import("../src/main/serve.ts") }]);
  return [code, err];
}

describe("kpki serve --cluster-signing-* flags", { skip: (!hasOpenssl || kubectlBinary() === undefined) && "needs openssl and kubectl" }, () => {
  let dir: string;
  let work: string;
  let server: TestServer;
  let k: Kubectl;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), "kpki-sflags-"));
    dir = join(work, "data");
    await (await startTestServer({ dataDir: dir, controllers: false })).close(); // provision DIR
    // The intermediate, made with kpki's own CA code under the data dir's root (the client CA).
    const root = parseCertificatePem(await readFile(join(dir, "pki", "ca.crt"), "utf8"));
    const parent = createLocalSigner({ signerName: "root", caCertificate: root, key: localKeySigner(parsePrivateKeyPem(await readFile(join(dir, "pki", "ca.key"), "utf8"))), clock: systemClock, random: systemRandom });
    const key = generateKeyPair(P256);
    const inter = await createIntermediateCa({ parent, subject: makeDn([{ type: "CN", value: "kpki client intermediate" }]), key, validityMs: 30 * DAY, pathLen: 0 });
    // The intermediate followed by its chain (here the root), as the flag's doc allows.
    await writeFile(join(work, "inter.pem"), encodeCertificatePem(inter) + encodeCertificatePem(root));
    await writeFile(join(work, "inter-key.pem"), encodePrivateKeyPem(key));
    const other = generateKeyPair(P256);
    const otherCa = await createRootCa({ subject: makeDn([{ type: "CN", value: "other" }]), key: other, validityMs: DAY, clock: systemClock, random: systemRandom });
    await writeFile(join(work, "other.pem"), encodeCertificatePem(otherCa));
    await writeFile(join(work, "policy.yaml"), "policies: [ {name: x, bogus: 1} ]\n");
    await writeFile(join(work, "good-policy.yaml"), "policies:\n  - name: robots\n    signerName: kubernetes.io/kube-apiserver-client\n    commonName: \"robot-[0-9]+\"\n    groups: [robots]\n    requesters: { groups: [kubeadm:cluster-admins] }\n");
    server = await startTestServer({
      dataDir: dir,
      csrSigning: { perSigner: { "kube-apiserver-client": { certFile: join(work, "inter.pem"), keyFile: join(work, "inter-key.pem") } }, durationMs: 48 * 3_600_000, approvalPolicyFile: join(work, "good-policy.yaml") },
    });
    k = createKubectl(server.adminConf);
  });
  after(async () => {
    k?.cleanup();
    await server?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("signs kube-apiserver-client with the intermediate: chain without root, openssl verify, kubectl authenticates", async () => {
    assert.equal(openssl(["genrsa", "-out", "alice.key", "2048"], work).code, 0);
    assert.equal(openssl(["req", "-new", "-key", "alice.key", "-subj", "/CN=alice/O=dev", "-out", "alice.csr"], work).code, 0);
    const create = await k(["create", "-f", "-"], { input: csrYaml("alice", await readFile(join(work, "alice.csr"), "utf8")) });
    assert.equal(create.code, 0, create.stderr);
    assert.equal((await k(["certificate", "approve", "alice"])).code, 0);
    const chainPem = await issued(k, "alice");
    const certs = parseCertificatesPem(chainPem);
    assert.deepEqual(certs.map((c) => c.subject.attributes.find((a) => a.type === "CN")?.value), ["alice", "kpki client intermediate"]);
    await writeFile(join(work, "alice.crt"), encodeCertificatePem(certs[0]!));
    await writeFile(join(work, "untrusted.pem"), certs.slice(1).map((c) => encodeCertificatePem(c)).join(""));
    await writeFile(join(work, "alice-chain.crt"), chainPem);
    const v = openssl(["verify", "-CAfile", join(dir, "pki", "ca.crt"), "-untrusted", "untrusted.pem", "alice.crt"], work);
    assert.equal(v.out.trim(), "alice.crt: OK");
    assert.equal(v.code, 0);
    // Without the intermediate the leaf does not verify: the chain in status is what makes it work.
    assert.notEqual(openssl(["verify", "-CAfile", join(dir, "pki", "ca.crt"), "alice.crt"], work).code, 0);
    // --cluster-signing-duration 48h caps the default one year (minus the 5 min backdate).
    const lifetime = certs[0]!.notAfter.getTime() - certs[0]!.notBefore.getTime();
    assert.equal(lifetime, 48 * 3_600_000);
    // kubectl with the chain as its client certificate: authenticated as alice (RBAC then says no).
    const kc = join(work, "alice.conf");
    const kk = createKubectl(kc);
    try {
      const adminView = await k(["config", "view", "--raw", "--minify", "-o", "jsonpath={.clusters[0].cluster.certificate-authority-data}"]);
      await writeFile(join(work, "ca-from-admin.crt"), Buffer.from(adminView.stdout, "base64"));
      for (const args of [
        ["config", "set-cluster", "kpki", `--server=${server.url}`, `--certificate-authority=${join(work, "ca-from-admin.crt")}`, "--embed-certs=true"],
        ["config", "set-credentials", "alice", `--client-certificate=${join(work, "alice-chain.crt")}`, `--client-key=${join(work, "alice.key")}`, "--embed-certs=true"],
        ["config", "set-context", "alice", "--cluster=kpki", "--user=alice"],
        ["config", "use-context", "alice"],
      ]) assert.equal((await kk(args)).code, 0);
      const r = await kk(["get", "pods"]);
      assert.equal(r.stderr.trim(), 'Error from server (Forbidden): pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "default"');
    } finally {
      kk.cleanup();
    }
  });

  it("other signers keep the cluster CA (the default pair)", async () => {
    const key = generateKeyPair(P256);
    // kubelet-client via the v1 API: signed by the root (ca.crt) itself, leaf only.
    const req = createCsr({ subject: makeDn([{ type: "O", value: "system:nodes" }, { type: "CN", value: "system:node:n1" }]), key });
    assert.equal((await k(["create", "-f", "-"], { input: csrYaml("n1", encodeCsrPem(req), "kubernetes.io/kube-apiserver-client-kubelet").replace("  - client auth", "  - client auth\n  - digital signature") })).code, 0);
    assert.equal((await k(["certificate", "approve", "n1"])).code, 0);
    const certs = parseCertificatesPem(await issued(k, "n1"));
    assert.equal(certs.length, 1);
    const root = parseCertificatePem(await readFile(join(dir, "pki", "ca.crt"), "utf8"));
    assert.equal(Buffer.compare(Buffer.from(certs[0]!.issuerDer), Buffer.from(root.subjectDer)), 0);
  });

  it("--csr-approval-policy-file: a matching CSR is approved by the named policy and issued", async () => {
    const pem = encodeCsrPem(createCsr({ subject: makeDn([{ type: "CN", value: "robot-7" }, { type: "O", value: "robots" }]), key: generateKeyPair(P256) }));
    assert.equal((await k(["create", "-f", "-"], { input: csrYaml("robot-7", pem) })).code, 0);
    const certs = parseCertificatesPem(await issued(k, "robot-7"));
    assert.equal(certs.length, 2, "leaf + intermediate");
    const cond = await k(["get", "csr", "robot-7", "-o", 'jsonpath={.status.conditions[?(@.type=="Approved")].reason}:{.status.conditions[?(@.type=="Approved")].message}']);
    assert.equal(cond.stdout, 'PolicyApproved:Auto approving by kpki approval policy "robots".');
  });

  const BAD: { name: string; args: (w: string) => string[]; want: (w: string) => string }[] = [
    { name: "missing cert file", args: (w) => ["--cluster-signing-kube-apiserver-client-cert-file", join(w, "nope.pem"), "--cluster-signing-kube-apiserver-client-key-file", join(w, "inter-key.pem")], want: (w) => `kpki: --cluster-signing-kube-apiserver-client-cert-file ${join(w, "nope.pem")}: cannot read: no such file` },
    { name: "key that matches no certificate", args: (w) => ["--cluster-signing-cert-file", join(w, "other.pem"), "--cluster-signing-key-file", join(w, "inter-key.pem")], want: (w) => `kpki: --cluster-signing-key-file ${join(w, "inter-key.pem")}: does not match any certificate in ${join(w, "other.pem")}` },
    { name: "cert file that is not PEM", args: (w) => ["--cluster-signing-kubelet-serving-cert-file", join(w, "policy.yaml"), "--cluster-signing-kubelet-serving-key-file", join(w, "inter-key.pem")], want: (w) => `kpki: --cluster-signing-kubelet-serving-cert-file ${join(w, "policy.yaml")}: holds no CERTIFICATE block` },
    { name: "key file that is not a key", args: (w) => ["--cluster-signing-cert-file", join(w, "inter.pem"), "--cluster-signing-key-file", join(w, "inter.pem")], want: (w) => `kpki: --cluster-signing-key-file ${join(w, "inter.pem")}: cannot parse the private key` },
    { name: "a leaf certificate (not a CA)", args: (w) => ["--cluster-signing-cert-file", join(w, "data", "pki", "apiserver.crt"), "--cluster-signing-key-file", join(w, "data", "pki", "apiserver.key")], want: (w) => `kpki: --cluster-signing-cert-file ${join(w, "data", "pki", "apiserver.crt")}: not a CA certificate (no basicConstraints CA:TRUE); it cannot sign certificates` },
    { name: "cert without key", args: (w) => ["--cluster-signing-cert-file", join(w, "inter.pem")], want: () => "kpki: --cluster-signing-cert-file and --cluster-signing-key-file go together" },
    { name: "default and per-signer together", args: (w) => ["--cluster-signing-cert-file", join(w, "inter.pem"), "--cluster-signing-key-file", join(w, "inter-key.pem"), "--cluster-signing-legacy-unknown-cert-file", join(w, "inter.pem"), "--cluster-signing-legacy-unknown-key-file", join(w, "inter-key.pem")], want: () => "kpki: --cluster-signing-cert-file/--cluster-signing-key-file cannot be combined with per-signer --cluster-signing-*-cert-file flags" },
    { name: "bad policy file", args: (w) => ["--csr-approval-policy-file", join(w, "policy.yaml")], want: (w) => `kpki: --csr-approval-policy-file ${join(w, "policy.yaml")}: ` },
    { name: "bad duration", args: () => ["--cluster-signing-duration", "forever"], want: () => 'kpki: serve: --cluster-signing-duration must be a duration like 8760h, not "forever"' },
  ];
  for (const b of BAD) {
    it(`refuses ${b.name} with one line naming flag and file`, async () => {
      const [code, err] = await serveCli(["--data-dir", dir, "--storage", "memory", "--listen", "127.0.0.1:0", ...b.args(work)]);
      assert.notEqual(code, 0);
      assert.equal(err.split("\n").filter((l) => l !== "").length, 1, err);
      assert.ok(err.startsWith(b.want(work)), `${err} does not start with ${b.want(work)}`);
    });
  }
});

describe("orderSigningChain: the CA is the certificate matching the key, its issuers follow", () => {
  it("finds them in any order and leaves unrelated bundle members out", async () => {
    const cn = (c: { subject: { attributes: readonly { type: string; value: string }[] } }) => c.subject.attributes.find((a) => a.type === "CN")?.value;
    const env = { clock: systemClock, random: systemRandom };
    const rootKey = generateKeyPair(P256);
    const root = await createRootCa({ subject: makeDn([{ type: "CN", value: "root" }]), key: rootKey, validityMs: DAY, ...env });
    const rootSigner = createLocalSigner({ signerName: "r", caCertificate: root, key: localKeySigner(rootKey), ...env });
    const midKey = generateKeyPair(P256);
    const mid = await createIntermediateCa({ parent: rootSigner, subject: makeDn([{ type: "CN", value: "mid" }]), key: midKey, validityMs: DAY });
    const midSigner = createLocalSigner({ signerName: "m", caCertificate: mid, key: localKeySigner(midKey), chain: [root], ...env });
    const leafKey = generateKeyPair(P256);
    const issuing = await createIntermediateCa({ parent: midSigner, subject: makeDn([{ type: "CN", value: "issuing" }]), key: leafKey, validityMs: DAY });
    const stray = await createRootCa({ subject: makeDn([{ type: "CN", value: "stray" }]), key: generateKeyPair(P256), validityMs: DAY, ...env });
    const TABLE = [
      { name: "CA first, then chain", certs: [issuing, mid, root] },
      { name: "root first (a bundle), stray member", certs: [root, stray, mid, issuing] },
    ];
    for (const t of TABLE) {
      const got = orderSigningChain(t.certs, leafKey.publicKey);
      assert.equal(got && cn(got.ca), "issuing", t.name);
      assert.deepEqual(got?.chain.map(cn), ["mid", "root"], t.name);
    }
    assert.equal(orderSigningChain([root, mid], leafKey.publicKey), undefined);
  });
});
