// Issue 4 §8 bad input, checked with the real tools: a CSR asking for CA:TRUE is issued CA:FALSE
// (policies.go ignores it), usages a signer forbids end Failed/SignerValidationFailure with no
// certificate, and expirationSeconds < 600 is a 422 Invalid with Kubernetes' message.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toBase64, utf8 } from "../src/base/index.ts";
import { currentIdentity, parseKubeconfig } from "../src/config/index.ts";
import { createCsr, encodeCsrPem, generateKeyPair, makeDn, makeSans } from "../src/pki/index.ts";
import { startTestServer, type TestServer } from "./helpers/kpki.ts";
import { createKubectl, kubectlBinary, type Kubectl } from "./helpers/kubectl.ts";

const tools = ["openssl", "curl"].every((t) => spawnSync("sh", ["-c", `command -v ${t}`]).status === 0);

function csrYaml(name: string, pem: string, o: { signerName?: string; usages?: string[]; expirationSeconds?: number } = {}): string {
  return [
    "apiVersion: certificates.k8s.io/v1", "kind: CertificateSigningRequest", "metadata:", `  name: ${name}`, "spec:",
    `  request: ${toBase64(utf8(pem))}`, `  signerName: ${o.signerName ?? "kubernetes.io/kube-apiserver-client"}`,
    ...(o.expirationSeconds !== undefined ? [`  expirationSeconds: ${o.expirationSeconds}`] : []),
    "  usages:", ...(o.usages ?? ["client auth"]).map((u) => `  - ${u}`), "",
  ].join("\n");
}

/** Polls (kubectl is a process) until the CSR has a certificate or a Failed condition. */
async function settle(k: Kubectl, name: string): Promise<{ certificate: string; failed: string }> {
  const path = '{.status.certificate}|{.status.conditions[?(@.type=="Failed")].reason}:{.status.conditions[?(@.type=="Failed")].message}';
  for (let i = 0; i < 100; i++) {
    const [certificate = "", failed = ""] = (await k(["get", "csr", name, "-o", `jsonpath=${path}`])).stdout.split("|");
    if (certificate !== "" || failed !== ":") return { certificate, failed };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`CSR ${name} neither issued nor failed`);
}

describe("CSR bad input (issue 4 §8)", { skip: (!tools || kubectlBinary() === undefined) && "needs openssl, curl and kubectl" }, () => {
  let server: TestServer;
  let work: string;
  let k: Kubectl;
  before(async () => {
    server = await startTestServer();
    work = await mkdtemp(join(tmpdir(), "kpki-csredge-"));
    k = createKubectl(server.adminConf);
  });
  after(async () => {
    k?.cleanup();
    await server?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("a CSR asking for CA:TRUE (openssl -addext) is signed CA:FALSE", async () => {
    const run = (args: string[]) => spawnSync("openssl", args, { cwd: work, encoding: "utf8" });
    assert.equal(run(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca-wannabe.key"]).status, 0);
    const req = run(["req", "-new", "-key", "ca-wannabe.key", "-subj", "/CN=wannabe", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign", "-out", "ca-wannabe.csr"]);
    assert.equal(req.status, 0, req.stderr);
    assert.match(run(["req", "-in", "ca-wannabe.csr", "-noout", "-text"]).stdout, /CA:TRUE/); // the request really asks
    const pem = await readFile(join(work, "ca-wannabe.csr"), "utf8");
    assert.equal((await k(["create", "-f", "-"], { input: csrYaml("ca-wannabe", pem) })).code, 0);
    assert.equal((await k(["certificate", "approve", "ca-wannabe"])).code, 0);
    const { certificate } = await settle(k, "ca-wannabe");
    await writeFile(join(work, "ca-wannabe.crt"), Buffer.from(certificate, "base64"));
    const text = run(["x509", "-in", "ca-wannabe.crt", "-noout", "-text"]).stdout;
    assert.match(text, /X509v3 Basic Constraints: critical\s+CA:FALSE/);
    assert.doesNotMatch(text, /CA:TRUE|Certificate Sign/);
    assert.match(text, /TLS Web Client Authentication/);
  });

  const FORBIDDEN: { name: string; signerName: string; subject: () => string; usages: string[]; want: string }[] = [
    { name: "client signer, code signing", signerName: "kubernetes.io/kube-apiserver-client", subject: () => "/CN=u", usages: ["client auth", "code signing"], want: "invalid usage for client certificate: code signing" },
    { name: "client signer, no client auth", signerName: "kubernetes.io/kube-apiserver-client", subject: () => "/CN=u", usages: ["digital signature"], want: "missing required usage for client certificate: client auth" },
    { name: "kubelet-serving with client auth", signerName: "kubernetes.io/kubelet-serving", subject: () => "node", usages: ["digital signature", "client auth"], want: "usages did not match [digital signature key encipherment server auth]" },
    { name: "kubelet client with server auth", signerName: "kubernetes.io/kube-apiserver-client-kubelet", subject: () => "nodeclient", usages: ["digital signature", "server auth"], want: "usages did not match [client auth digital signature key encipherment]" },
  ];
  FORBIDDEN.forEach((f, i) => {
    it(`usages the signer forbids → Failed/SignerValidationFailure: ${f.name}`, async () => {
      const key = generateKeyPair({ kind: "ecdsa", curve: "P-256" });
      const kind = f.subject();
      const subject = kind === "node" || kind === "nodeclient" ? makeDn([{ type: "O", value: "system:nodes" }, { type: "CN", value: "system:node:n1" }]) : makeDn([{ type: "CN", value: "u" }]);
      const pem = encodeCsrPem(createCsr({ subject, key, ...(kind === "node" ? { sans: makeSans({ dns: ["n1.example"] }) } : {}) }));
      const name = `forbid-${i}`;
      const c = await k(["create", "-f", "-"], { input: csrYaml(name, pem, { signerName: f.signerName, usages: f.usages }) });
      assert.equal(c.code, 0, c.stderr);
      assert.equal((await k(["certificate", "approve", name])).code, 0);
      assert.deepEqual(await settle(k, name), { certificate: "", failed: `SignerValidationFailure:${f.want}` });
    });
  });

  it("expirationSeconds 599 → HTTP 422 Invalid (curl), 600 accepted", async () => {
    const { cluster, user } = currentIdentity(await parseKubeconfig(await readFile(server.adminConf, "utf8"), server.adminConf), server.adminConf);
    await writeFile(join(work, "ca.crt"), cluster.caPem ?? "");
    await writeFile(join(work, "admin.crt"), user.certPem ?? "");
    await writeFile(join(work, "admin.key"), user.keyPem ?? "");
    const pem = encodeCsrPem(createCsr({ subject: makeDn([{ type: "CN", value: "short" }]), key: generateKeyPair({ kind: "ecdsa", curve: "P-256" }) }));
    // Asynchronous: the server runs in this process, a spawnSync would block it.
    const post = async (name: string, expirationSeconds: number) => {
      const body = JSON.stringify({ apiVersion: "certificates.k8s.io/v1", kind: "CertificateSigningRequest", metadata: { name }, spec: { request: toBase64(utf8(pem)), signerName: "kubernetes.io/kube-apiserver-client", usages: ["client auth"], expirationSeconds } });
      const child = spawn("curl", ["-sS", "-m", "20", "--cacert", "ca.crt", "--cert", "admin.crt", "--key", "admin.key", "-H", "Content-Type: application/json", "-X", "POST", "--data-binary", "@-", "-w", "\n%{http_code}", `${server.url}/apis/certificates.k8s.io/v1/certificatesigningrequests`], { cwd: work });
      let stdout = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stdin.end(body);
      await new Promise((r) => child.on("close", r));
      const lines = stdout.trimEnd().split("\n");
      return { code: lines.pop(), body: JSON.parse(lines.join("\n")) as { reason?: string; message?: string; code?: number } };
    };
    const bad = await post("short-599", 599);
    assert.equal(bad.code, "422");
    assert.equal(bad.body.reason, "Invalid");
    assert.equal(bad.body.code, 422);
    assert.equal(bad.body.message, 'CertificateSigningRequest.certificates.k8s.io "short-599" is invalid: spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 600 seconds (10 minutes)');
    assert.equal((await post("short-600", 600)).code, "201");
  });
});
