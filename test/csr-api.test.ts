// The CSR API's bad-input and race behaviour with the real kubectl against kpki serve: Kubernetes'
// validation and admission messages, approve/deny racing, two signer replicas racing (one
// certificate), the spec.signerName field selector and `get csr -w` following the conditions.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toBase64, utf8 } from "../src/base/index.ts";
import { createCsr, encodeCsrPem, generateKeyPair, makeDn } from "../src/pki/index.ts";
import { startTestServer, type TestServer } from "./helpers/kpki.ts";
import { createKubectl, kubectlBinary, type Kubectl } from "./helpers/kubectl.ts";

const key = generateKeyPair({ kind: "ecdsa", curve: "P-256" });
const csrB64 = (cn: string, orgs: string[] = []) =>
  toBase64(utf8(encodeCsrPem(createCsr({ subject: makeDn([{ type: "CN", value: cn }, ...orgs.map((o) => ({ type: "O", value: o }))]), key }))));

function csrYaml(name: string, o: { request?: string; signerName?: string; usages?: string[]; expirationSeconds?: number } = {}): string {
  return [
    "apiVersion: certificates.k8s.io/v1",
    "kind: CertificateSigningRequest",
    "metadata:",
    `  name: ${name}`,
    "spec:",
    `  request: ${o.request ?? csrB64(name)}`,
    `  signerName: ${o.signerName ?? "kubernetes.io/kube-apiserver-client"}`,
    ...(o.expirationSeconds !== undefined ? [`  expirationSeconds: ${o.expirationSeconds}`] : []),
    "  usages:",
    ...(o.usages ?? ["client auth"]).map((u) => `  - ${u}`),
    "",
  ].join("\n");
}

describe("CSR API edge cases with kubectl", { skip: kubectlBinary() === undefined && "kubectl not installed" }, () => {
  let server: TestServer;
  let work: string;
  let k: Kubectl;
  before(async () => {
    server = await startTestServer();
    work = await mkdtemp(join(tmpdir(), "kpki-csrapi-"));
    k = createKubectl(server.adminConf);
  });
  after(async () => {
    k?.cleanup();
    await server?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const BAD: { name: string; yaml: () => string; want: string }[] = [
    { name: "not a PEM CSR", yaml: () => csrYaml("bad-pem", { request: toBase64(utf8("hello")) }), want: 'The CertificateSigningRequest "bad-pem" is invalid: spec.request: Invalid value: "hello": PEM block type must be CERTIFICATE REQUEST' },
    { name: "duplicate usage", yaml: () => csrYaml("bad-dup", { usages: ["client auth", "client auth"] }), want: 'The CertificateSigningRequest "bad-dup" is invalid: spec.usages[1]: Duplicate value: "client auth"' },
    { name: "short expiration", yaml: () => csrYaml("bad-exp", { expirationSeconds: 599 }), want: 'The CertificateSigningRequest "bad-exp" is invalid: spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 600 seconds (10 minutes)' },
    { name: "malformed signer", yaml: () => csrYaml("bad-signer", { signerName: "xiazemin" }), want: `The CertificateSigningRequest "bad-signer" is invalid: spec.signerName: Invalid value: "xiazemin": must be a fully qualified domain and path of the form 'example.com/signer-name'` },
    { name: "legacy signer", yaml: () => csrYaml("bad-legacy", { signerName: "kubernetes.io/legacy-unknown" }), want: 'The CertificateSigningRequest "bad-legacy" is invalid: spec.signerName: Invalid value: "kubernetes.io/legacy-unknown": the legacy signerName is not allowed via this API version' },
    { name: "system:masters via kube-apiserver-client", yaml: () => csrYaml("bad-masters", { request: csrB64("eve", ["system:masters"]) }), want: 'Error from server (Forbidden): error when creating "STDIN": certificatesigningrequests.certificates.k8s.io "bad-masters" is forbidden: use of kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed' },
  ];
  for (const b of BAD) {
    it(`refuses ${b.name}`, async () => {
      const r = await k(["create", "-f", "-"], { input: b.yaml() });
      assert.equal(r.code, 1);
      const line = r.stderr.trim().replace(/^Error from server \(Invalid\): error when creating "STDIN": /, "");
      assert.equal(line, b.want);
    });
  }

  it("a usage the signer forbids ends Failed/SignerValidationFailure, no certificate", async () => {
    assert.equal((await k(["create", "-f", "-"], { input: csrYaml("srv-usage", { usages: ["client auth", "server auth"] }) })).code, 0);
    assert.equal((await k(["certificate", "approve", "srv-usage"])).code, 0);
    let row = "";
    for (let i = 0; i < 100 && !row.includes("Failed"); i++) {
      row = (await k(["get", "csr", "srv-usage", "--no-headers"])).stdout;
      if (!row.includes("Failed")) await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(row, /Approved,Failed\s*$/);
    const msg = await k(["get", "csr", "srv-usage", "-o", "jsonpath={.status.conditions[?(@.type==\"Failed\")].reason}:{.status.conditions[?(@.type==\"Failed\")].message}"]);
    assert.equal(msg.stdout, "SignerValidationFailure:invalid usage for client certificate: server auth");
  });

  it("approve and deny racing: exactly one decision wins; the other gets Kubernetes' error", async () => {
    assert.equal((await k(["create", "-f", "-"], { input: csrYaml("race") })).code, 0);
    const [a, d] = await Promise.all([k(["certificate", "approve", "race"]), k(["certificate", "deny", "race"])]);
    const conds = (await k(["get", "csr", "race", "-o", "jsonpath={.status.conditions[*].type}"])).stdout.split(" ").filter((t) => t === "Approved" || t === "Denied");
    assert.equal(conds.length, 1, `conditions: ${conds.join(",")}`);
    const loser = conds[0] === "Approved" ? d : a;
    const winner = conds[0] === "Approved" ? a : d;
    assert.equal(winner.code, 0, winner.stderr);
    assert.match(loser.stderr + loser.stdout, /is already (Approved|Denied)|certificatesigningrequest\.certificates\.k8s\.io\/race (approved|denied)/);
  });

  it("field selector spec.signerName and get -w following the conditions", async () => {
    assert.equal((await k(["create", "-f", "-"], { input: csrYaml("custom-1", { signerName: "example.com/custom" }) })).code, 0);
    const sel = await k(["get", "csr", "--field-selector", "spec.signerName=example.com/custom", "-o", "name"]);
    assert.equal(sel.stdout.trim(), "certificatesigningrequest.certificates.k8s.io/custom-1");
    assert.equal((await k(["create", "-f", "-"], { input: csrYaml("watched") })).code, 0);
    const w = k.spawn(["get", "csr", "watched", "-w", "--no-headers"]);
    try {
      for (let i = 0; i < 100 && w.lines().length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal((await k(["certificate", "approve", "watched"])).code, 0);
      for (let i = 0; i < 100 && !w.lines().some((l) => /Approved,Issued$/.test(l)); i++) await new Promise((r) => setTimeout(r, 50));
      const conds = w.lines().map((l) => l.split(/\s+/).pop());
      assert.equal(conds[0], "Pending");
      assert.ok(conds.includes("Approved,Issued"), conds.join(" "));
    } finally {
      await w.stop();
    }
  });
});
