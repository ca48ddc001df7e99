// `kpki certs ledger`: the issuance record outlives the CSR, is served read-only at /kpki/ledger to
// those RBAC allows (cluster-admin through nonResourceURLs "*"), and is read from DIR/kpki.db
// directly once the server (which holds the database exclusively) has stopped.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toBase64, utf8 } from "../src/base/index.ts";
import { nodeIo, runCli } from "../src/cli/index.ts";
import { createCsr, encodeCsrPem, generateKeyPair, makeDn, parseCertificatesPem } from "../src/pki/index.ts";
import { issueClientCert, userKubeconfig } from "./helpers/certs.ts";
import { startTestServer, type TestServer } from "./helpers/kpki.ts";
import { createKubectl, kubectlBinary, type Kubectl } from "./helpers/kubectl.ts";

interface Record_ {
  serial: string;
  sha256: string;
  subject: string;
  signerName: string;
  requester: { username: string };
  approver: { name?: string; reason: string };
  notBefore: string;
  notAfter: string;
  csr: { name: string };
}

async function ledgerCli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const io = nodeIo({ stdout: (s) => void (out += s), stderr: (s) => void (err += s) });
  const code = await runCli(["certs", "ledger", ...args], io, [{ name: "certs ledger", summary: "", load: () => import("../src/main/ledger.ts") }]);
  return { code, out, err };
}

const csrYaml = (name: string, cn: string): string =>
  [
    "apiVersion: certificates.k8s.io/v1", "kind: CertificateSigningRequest", "metadata:", `  name: ${name}`, "spec:",
    `  request: ${toBase64(utf8(encodeCsrPem(createCsr({ subject: makeDn([{ type: "CN", value: cn }]), key: generateKeyPair({ kind: "ecdsa", curve: "P-256" }) }))))}`,
    "  signerName: kubernetes.io/kube-apiserver-client", "  usages:", "  - client auth", "",
  ].join("\n");

describe("kpki certs ledger", { skip: kubectlBinary() === undefined && "kubectl not installed" }, () => {
  let dir: string;
  let server: TestServer | undefined;
  let k: Kubectl;
  const issued = new Map<string, { serialHex: string; fingerprintSha256: string }>();
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "kpki-ledger-"));
    server = await startTestServer({ dataDir: dir, storage: "sqlite" });
    k = createKubectl(server.adminConf);
    for (const name of ["led-a", "led-b"]) {
      assert.equal((await k(["create", "-f", "-"], { input: csrYaml(name, `user-${name}`) })).code, 0);
      assert.equal((await k(["certificate", "approve", name])).code, 0);
      for (let i = 0; i < 100 && !issued.has(name); i++) {
        const r = await k(["get", "csr", name, "-o", "jsonpath={.status.certificate}"]);
        if (r.stdout !== "") issued.set(name, parseCertificatesPem(Buffer.from(r.stdout, "base64").toString())[0]!);
        else await new Promise((res) => setTimeout(res, 100));
      }
    }
    // The ledger outlives the CSR object.
    assert.equal((await k(["delete", "csr", "led-a"])).code, 0);
  });
  after(async () => {
    k?.cleanup();
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const check = (out: string): void => {
    const list = JSON.parse(out) as { kind: string; items: Record_[] };
    assert.equal(list.kind, "LedgerList");
    assert.deepEqual(list.items.map((r) => r.csr.name), ["led-a", "led-b"]);
    for (const r of list.items) {
      const cert = issued.get(r.csr.name)!;
      assert.equal(r.serial, cert.serialHex);
      assert.equal(r.sha256, cert.fingerprintSha256);
      assert.equal(r.subject, `CN=user-${r.csr.name}`);
      assert.equal(r.signerName, "kubernetes.io/kube-apiserver-client");
      assert.equal(r.requester.username, "kubernetes-admin");
      assert.equal(r.approver.name, "kubernetes-admin");
      assert.equal(r.approver.reason, "KubectlApprove");
    }
  };

  it("over the API with --kubeconfig (-o json), the CSR already deleted", async () => {
    const r = await ledgerCli(["--kubeconfig", server!.adminConf, "-o", "json"]);
    assert.equal(r.code, 0, r.err);
    check(r.out);
  });

  it("--data-dir asks the running server (the database is locked by it)", async () => {
    const r = await ledgerCli(["--data-dir", dir]);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trim().split("\n");
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, new RegExp(` ${issued.get("led-a")!.serialHex}  CN=user-led-a  sans=-  signer=kubernetes.io/kube-apiserver-client  requester=kubernetes-admin  approver=kubernetes-admin \\(KubectlApprove\\)`));
  });

  it("RBAC decides: a user without the non-resource URL gets the server's 403 on one line", async () => {
    const pair = await issueClientCert(server!.ca, { cn: "mallory" });
    const kc = join(dir, "mallory.conf");
    await writeFile(kc, userKubeconfig({ server: server!.url, caPem: server!.ca.certPem, user: "mallory", pair }));
    const r = await ledgerCli(["--kubeconfig", kc]);
    assert.equal(r.code, 1);
    assert.equal(r.err, `kpki: GET ${server!.url}/kpki/ledger: 403 forbidden: User "mallory" cannot get path "/kpki/ledger"\n`);
    assert.equal(r.out, "");
  });

  it("write verbs are refused on the ledger path", async () => {
    const r = await k(["create", "--raw", "/kpki/ledger", "-f", "-"], { input: "{}" });
    assert.notEqual(r.code, 0);
  });

  it("--data-dir reads DIR/kpki.db once the server has stopped", async () => {
    await server!.close();
    server = undefined;
    const r = await ledgerCli(["--data-dir", dir, "-o", "json"]);
    assert.equal(r.code, 0, r.err);
    check(r.out);
  });
});
