// The csrsigning controller: per-signer checks, duration math, the certificate built, the chain in
// status, Failed conditions, and two replicas racing (one certificate, the loser's marked void).
import { test } from "node:test";
import assert from "node:assert/strict";
import { csrCertificatePem } from "../../api/index.ts";
import type { CertificateSigningRequest } from "../../api/index.ts";
import { DAY, HOUR, MINUTE } from "../../base/index.ts";
import { EKU, parseCertificatesPem, parseCsrPem } from "../../pki/index.ts";
import { listLedger } from "../ledger.ts";
import { approvedCondition, csrObject, csrPem, memoryStores, testCa, testClock } from "../testing.ts";
import type { CsrFixture } from "../testing.ts";
import { BUILT_IN_SIGNER_CHECKS, signingDurationMs } from "./checks.ts";
import { createSigningController } from "./controller.ts";

const SERVING = "kubernetes.io/kubelet-serving";
const KCLIENT = "kubernetes.io/kube-apiserver-client-kubelet";
const CLIENT = "kubernetes.io/kube-apiserver-client";
const node = { cn: "system:node:n1", orgs: ["system:nodes"] };

const CHECKS: { signer: string; f: CsrFixture; usages: string[]; want: string | undefined }[] = [
  { signer: SERVING, f: { ...node, sans: { dns: ["n1"] } }, usages: ["digital signature", "key encipherment", "server auth"], want: undefined },
  { signer: SERVING, f: { ...node, sans: { ip: ["10.0.0.1"] } }, usages: ["digital signature", "server auth"], want: undefined },
  { signer: SERVING, f: { cn: "system:node:n1", orgs: ["x"], sans: { dns: ["n1"] } }, usages: ["server auth"], want: "subject organization is not system:nodes" },
  { signer: SERVING, f: node, usages: ["digital signature", "server auth"], want: "DNS or IP subjectAltName is required" },
  { signer: SERVING, f: { ...node, sans: { dns: ["n1"], email: ["a@b.c"] } }, usages: ["server auth"], want: "Email subjectAltNames are not allowed" },
  { signer: SERVING, f: { ...node, sans: { dns: ["n1"], uri: ["spiffe://x/y"] } }, usages: ["server auth"], want: "URI subjectAltNames are not allowed" },
  { signer: SERVING, f: { ...node, sans: { dns: ["n1"] } }, usages: ["server auth"], want: "usages did not match [digital signature key encipherment server auth]" },
  { signer: SERVING, f: { cn: "n1", orgs: ["system:nodes"], sans: { dns: ["n1"] } }, usages: ["digital signature", "server auth"], want: "subject common name does not begin with system:node:" },
  { signer: KCLIENT, f: node, usages: ["digital signature", "key encipherment", "client auth"], want: undefined },
  { signer: KCLIENT, f: { ...node, sans: { dns: ["n1"] } }, usages: ["client auth"], want: "DNS subjectAltNames are not allowed" },
  { signer: KCLIENT, f: { ...node, sans: { ip: ["10.0.0.1"] } }, usages: ["client auth"], want: "IP subjectAltNames are not allowed" },
  { signer: KCLIENT, f: { cn: "x", orgs: ["system:nodes"] }, usages: ["client auth"], want: "subject common name does not begin with system:node:" },
  { signer: KCLIENT, f: node, usages: ["client auth"], want: "usages did not match [client auth digital signature key encipherment]" },
  { signer: CLIENT, f: { cn: "minjun" }, usages: ["client auth", "digital signature", "key encipherment"], want: undefined },
  { signer: CLIENT, f: { cn: "minjun" }, usages: ["client auth", "server auth"], want: "invalid usage for client certificate: server auth" },
  { signer: CLIENT, f: { cn: "minjun" }, usages: ["digital signature"], want: "missing required usage for client certificate: client auth" },
];

for (const [i, c] of CHECKS.entries()) {
  test(`signer check #${i} ${c.signer}: ${c.want ?? "ok"}`, () => {
    assert.equal(BUILT_IN_SIGNER_CHECKS[c.signer]?.(parseCsrPem(csrPem(c.f)), c.usages), c.want);
  });
}

test("duration: nil → certTTL, capped at certTTL, floored at 10 min", () => {
  const ttl = 365 * DAY;
  assert.equal(signingDurationMs(undefined, ttl), ttl);
  assert.equal(signingDurationMs(3600, ttl), HOUR);
  assert.equal(signingDurationMs(600, ttl), 10 * MINUTE);
  assert.equal(signingDurationMs(400 * 86400, ttl), ttl);
  assert.equal(signingDurationMs(3600, 30 * MINUTE), 30 * MINUTE);
});

async function setup(opts: { intermediate?: boolean; caValidityMs?: number } = {}) {
  const clock = testClock();
  const stores = memoryStores(clock);
  const ca = await testCa(clock, { intermediate: opts.intermediate, validityMs: opts.caValidityMs });
  const signers = new Map([[CLIENT, ca.signer], [SERVING, ca.signer], [KCLIENT, ca.signer]]);
  const ctl = createSigningController({ store: stores.csrs, signers, ledger: stores.backend, clock });
  return { clock, stores, ca, ctl };
}

async function stored(s: Awaited<ReturnType<typeof setup>>["stores"], obj: CertificateSigningRequest, approved = true): Promise<CertificateSigningRequest> {
  return s.csrs.create({ ...obj, status: { conditions: approved ? [approvedCondition()] : [] } });
}

test("issues an approved CSR: subject/SANs from the CSR, CA:FALSE, usages, backdated validity, ledger", async () => {
  const s = await setup();
  const obj = await stored(s.stores, csrObject({ name: "minjun-csr", cn: "minjun", orgs: ["dev-team"], expirationSeconds: 3600, usages: ["client auth", "digital signature"], ca: true }));
  await s.ctl.reconcile(obj, new AbortController().signal);
  const after = await s.stores.csrs.get("", "minjun-csr");
  const certs = parseCertificatesPem(csrCertificatePem(after!));
  assert.equal(certs.length, 1, "a root CA: the leaf only");
  const c = certs[0]!;
  assert.deepEqual(c.subject.attributes, [{ type: "CN", value: "minjun" }, { type: "O", value: "dev-team" }]);
  assert.equal(c.basicConstraints?.ca, false);
  assert.deepEqual(c.extKeyUsage, [EKU.clientAuth]);
  const now = s.clock.now().getTime();
  assert.equal(c.notBefore.getTime(), now - 5 * MINUTE);
  assert.equal(c.notAfter.getTime(), now + HOUR, "short TTL: end not backdated");
  const ledger = await listLedger(s.stores.backend);
  assert.equal(ledger.length, 1);
  assert.equal(ledger[0]?.serial, c.serialHex);
  assert.equal(ledger[0]?.csr.name, "minjun-csr");
  assert.equal(ledger[0]?.approver.reason, "KubectlApprove");
  assert.equal(ledger[0]?.requester.username, "kubernetes-admin");
});

test("default duration is one year minus backdate, capped at the CA's notAfter", async () => {
  const s = await setup({ caValidityMs: 30 * DAY });
  const obj = await stored(s.stores, csrObject({ cn: "u" }));
  await s.ctl.reconcile(obj, new AbortController().signal);
  const c = parseCertificatesPem(csrCertificatePem((await s.stores.csrs.get("", "csr-1"))!))[0]!;
  assert.equal(c.notAfter.getTime(), s.ca.root.notAfter.getTime());
});

test("an intermediate signer puts the chain (not the root) into status.certificate", async () => {
  const s = await setup({ intermediate: true });
  const obj = await stored(s.stores, csrObject({ cn: "u" }));
  await s.ctl.reconcile(obj, new AbortController().signal);
  const certs = parseCertificatesPem(csrCertificatePem((await s.stores.csrs.get("", "csr-1"))!));
  assert.equal(certs.length, 2);
  assert.equal(certs[1]?.fingerprintSha256, s.ca.signer.caCertificate.fingerprintSha256);
  assert.ok(certs.every((c) => c.fingerprintSha256 !== s.ca.root.fingerprintSha256));
});

test("pending, denied, failed and foreign-signer CSRs are left alone", async () => {
  const s = await setup();
  const cases: CertificateSigningRequest[] = [
    csrObject({ name: "pending", cn: "u" }),
    { ...csrObject({ name: "denied", cn: "u" }), status: { conditions: [approvedCondition(), { type: "Denied", status: "True" }] } },
    { ...csrObject({ name: "failed", cn: "u" }), status: { conditions: [approvedCondition(), { type: "Failed", status: "True" }] } },
    { ...csrObject({ name: "foreign", cn: "u", signerName: "example.com/custom" }), status: { conditions: [approvedCondition()] } },
  ];
  for (const c of cases) {
    const obj = await s.stores.csrs.create(c);
    await s.ctl.reconcile(obj, new AbortController().signal);
    const after = await s.stores.csrs.get("", c.metadata.name!);
    assert.equal(after?.status?.certificate ?? "", "", c.metadata.name);
    assert.equal(after?.metadata.resourceVersion, obj.metadata.resourceVersion, `${c.metadata.name} not written`);
  }
});

test("a signer check violation writes Failed / SignerValidationFailure and no certificate", async () => {
  const s = await setup();
  const obj = await stored(s.stores, csrObject({ cn: "minjun", usages: ["server auth"] }));
  await s.ctl.reconcile(obj, new AbortController().signal);
  const after = (await s.stores.csrs.get("", "csr-1"))!;
  const failed = after.status?.conditions?.find((c) => c.type === "Failed");
  assert.deepEqual([failed?.status, failed?.reason, failed?.message], ["True", "SignerValidationFailure", "invalid usage for client certificate: server auth"]);
  assert.equal(after.status?.certificate ?? "", "");
  await s.ctl.reconcile(after, new AbortController().signal); // idempotent: Failed stops it
  assert.equal((await s.stores.csrs.get("", "csr-1"))?.metadata.resourceVersion, after.metadata.resourceVersion);
});

test("two replicas racing on one CSR store exactly one certificate", async () => {
  const s = await setup();
  const other = createSigningController({ store: s.stores.csrs, signers: new Map([[CLIENT, s.ca.signer]]), ledger: s.stores.backend, clock: s.clock });
  const obj = await stored(s.stores, csrObject({ cn: "race" }));
  const sig = new AbortController().signal;
  await Promise.all([s.ctl.reconcile(obj, sig), other.reconcile(obj, sig)]);
  const after = (await s.stores.csrs.get("", "csr-1"))!;
  const certs = parseCertificatesPem(csrCertificatePem(after));
  assert.equal(certs.length, 1);
  const ledger = await listLedger(s.stores.backend);
  assert.equal(ledger.length, 2, "both signatures are on record");
  assert.equal(ledger.filter((r) => !r.discarded).length, 1);
  assert.equal(ledger.find((r) => !r.discarded)?.serial, certs[0]?.serialHex);
  // A third pass sees the certificate and does nothing.
  await s.ctl.reconcile(after, sig);
  assert.equal((await listLedger(s.stores.backend)).length, 2);
});
