// CSR strategy and admission (reference §3, §7, §8): requester stamping, what each subresource may
// change, timestamps, the approve/sign signer checks and the subject/node restrictions.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ApiError, fieldErrorString } from "../../api/index.ts";
import { toBase64, utf8 } from "../../base/index.ts";
import { createCsr, encodeCsrPem, generateKeyPair, makeDn } from "../../pki/index.ts";
import type { Authorizer, RequestAttributes, UserInfo } from "../../auth/index.ts";
import type { CertificateSigningRequest } from "../../api/index.ts";
import { csrStrategy } from "./index.ts";
import type { RequestContext } from "./types.ts";

const admin: UserInfo = { name: "kubernetes-admin", uid: "u-1", groups: ["kubeadm:cluster-admins", "system:authenticated"], extra: { scopes: ["a"] } };
const key = generateKeyPair({ kind: "ecdsa", curve: "P-256" });
function toBase64Csr(cn: string, orgs: string[]): string {
  const dn = makeDn([{ type: "CN", value: cn }, ...orgs.map((o) => ({ type: "O", value: o }))]);
  return toBase64(utf8(encodeCsrPem(createCsr({ subject: dn, key }))));
}
const now = new Date("2026-03-01T12:00:00.500Z");

function authz(allow: (a: RequestAttributes) => boolean): Authorizer & { calls: RequestAttributes[] } {
  const calls: RequestAttributes[] = [];
  return { calls, authorize: async (a) => (calls.push(a), { verdict: allow(a) ? "allow" : "no-opinion", reason: "" }) };
}
const ctx = (user: UserInfo = admin, authorizer: Authorizer = authz(() => true)): RequestContext => ({ user, authorizer, dryRun: false, fieldValidation: undefined, now, warnings: [] });

function obj(o: { cn?: string; orgs?: string[]; signerName?: string; request?: string } = {}): CertificateSigningRequest {
  return {
    apiVersion: "certificates.k8s.io/v1",
    kind: "CertificateSigningRequest",
    metadata: { name: "minjun-csr", annotations: { "certificates.kpki.io/approver": "forged" } },
    spec: { request: o.request ?? toBase64Csr(o.cn ?? "minjun", o.orgs ?? ["dev-team"]), signerName: o.signerName ?? "kubernetes.io/kube-apiserver-client", usages: ["client auth"], username: "evil", groups: ["system:masters"] },
    status: { conditions: [{ type: "Approved", status: "True" }], certificate: "eA==" },
  };
}

test("prepareForCreate stamps the requester and wipes status and the approver annotation", () => {
  const out = csrStrategy.prepareForCreate!(obj(), ctx());
  assert.deepEqual([out.spec.username, out.spec.uid, out.spec.groups, out.spec.extra], ["kubernetes-admin", "u-1", admin.groups, { scopes: ["a"] }]);
  assert.deepEqual(out.status, { conditions: [] });
  assert.equal(out.metadata.annotations, undefined);
  assert.deepEqual(csrStrategy.validate!(out).map(fieldErrorString), []);
});

const stored = (): CertificateSigningRequest => csrStrategy.prepareForCreate!(obj(), ctx());

test("main-resource update keeps spec and status; only metadata changes", () => {
  const cur = stored();
  const next = { ...cur, metadata: { ...cur.metadata, labels: { a: "b" } }, spec: { ...cur.spec, signerName: "x.io/y" }, status: { conditions: [{ type: "Approved", status: "True" }] } };
  const out = csrStrategy.prepareForUpdate!(next, cur, ctx(), "");
  assert.deepEqual(out.spec, cur.spec);
  assert.deepEqual(out.status, cur.status);
  assert.deepEqual(out.metadata.labels, { a: "b" });
  assert.deepEqual(csrStrategy.validateUpdate!(out, cur, "").map(fieldErrorString), []);
});

test("/approval takes only conditions, fills timestamps and defaults status, records the approver", () => {
  const cur = stored();
  const next = { ...cur, spec: { ...cur.spec, usages: ["server auth"] }, status: { conditions: [{ type: "Approved", reason: "KubectlApprove", message: "m" }], certificate: "eA==" } };
  const out = csrStrategy.prepareForUpdate!(next, cur, ctx(), "approval");
  assert.deepEqual(out.spec, cur.spec);
  assert.equal(out.status?.certificate, undefined);
  assert.deepEqual(out.status?.conditions, [{ type: "Approved", status: "True", reason: "KubectlApprove", message: "m", lastUpdateTime: "2026-03-01T12:00:00Z", lastTransitionTime: "2026-03-01T12:00:00Z" }]);
  assert.equal(out.metadata.annotations?.["certificates.kpki.io/approver"], "kubernetes-admin");
  assert.deepEqual(csrStrategy.validateUpdate!(out, cur, "approval").map(fieldErrorString), []);
});

test("/status keeps spec and existing Approved, takes certificate and Failed", () => {
  const cur = { ...stored(), status: { conditions: [{ type: "Approved", status: "True", reason: "r", lastUpdateTime: "2026-01-01T00:00:00Z", lastTransitionTime: "2026-01-01T00:00:00Z" }] } };
  const next = { ...cur, status: { conditions: [{ type: "Approved", status: "True", reason: "edited" }, { type: "Failed", status: "True", reason: "SignerValidationFailure" }], certificate: "eA==" } };
  const out = csrStrategy.prepareForUpdate!(next, cur, ctx(), "status");
  assert.equal(out.status?.conditions?.[0]?.reason, "r", "edit of Approved silently discarded");
  assert.equal(out.status?.conditions?.[1]?.lastUpdateTime, "2026-03-01T12:00:00Z");
  assert.equal(out.status?.certificate, "eA==");
  // status may not add Approved:
  const add = csrStrategy.prepareForUpdate!({ ...stored(), status: { conditions: [{ type: "Approved", status: "True" }] } }, stored(), ctx(), "status");
  assert.deepEqual(csrStrategy.validateUpdate!(add, stored(), "status").map(fieldErrorString), ['status.conditions: Forbidden: updates may not add a condition of type "Approved"']);
});

async function rejects(p: Promise<void>, message: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof ApiError && e.code === "Forbidden" && e.message === message);
}

test("approval needs approve on signers (exact name, then <domain>/*)", async () => {
  const cur = stored();
  const exact = authz((a) => a.verb === "approve" && a.resource === "signers" && a.name === "kubernetes.io/kube-apiserver-client");
  await csrStrategy.admit!(cur, cur, ctx(admin, exact), "update", "approval");
  const wildcard = authz((a) => a.verb === "approve" && a.name === "kubernetes.io/*");
  await csrStrategy.admit!(cur, cur, ctx(admin, wildcard), "update", "approval");
  assert.deepEqual(wildcard.calls.map((a) => [a.apiGroup, a.apiVersion, a.resource, a.name]), [
    ["certificates.k8s.io", "*", "signers", "kubernetes.io/kube-apiserver-client"],
    ["certificates.k8s.io", "*", "signers", "kubernetes.io/*"],
  ]);
  await rejects(
    csrStrategy.admit!(cur, cur, ctx(admin, authz(() => false)), "update", "approval"),
    'certificatesigningrequests.certificates.k8s.io "minjun-csr" is forbidden: user not permitted to approve requests with signerName "kubernetes.io/kube-apiserver-client"',
  );
});

test("status writes need sign, unless nothing changed", async () => {
  const cur = stored();
  const none = authz(() => false);
  await csrStrategy.admit!(cur, cur, ctx(admin, none), "update", "status");
  const next = { ...cur, status: { conditions: [], certificate: "eA==" } };
  await rejects(
    csrStrategy.admit!(next, cur, ctx(admin, none), "update", "status"),
    'certificatesigningrequests.certificates.k8s.io "minjun-csr" is forbidden: user not permitted to sign requests with signerName "kubernetes.io/kube-apiserver-client"',
  );
});

test("CertificateSubjectRestriction: system:masters through kube-apiserver-client is refused", async () => {
  const bad = obj({ orgs: ["system:masters"] });
  await rejects(
    csrStrategy.admit!(bad, undefined, ctx(), "create", ""),
    'certificatesigningrequests.certificates.k8s.io "minjun-csr" is forbidden: use of kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed',
  );
  await csrStrategy.admit!(obj({ orgs: ["system:masters"], signerName: "kubernetes.io/kube-apiserver-client-kubelet" }), undefined, ctx(), "create", "");
  await rejects(
    csrStrategy.admit!(obj({ request: "aGVsbG8=" }), undefined, ctx(), "create", ""),
    'certificatesigningrequests.certificates.k8s.io "minjun-csr" is forbidden: failed to parse CSR: PEM block type must be CERTIFICATE REQUEST',
  );
});

test("NodeRestriction: a node may only request its own node certificates", async () => {
  const node: UserInfo = { name: "system:node:n1", groups: ["system:nodes", "system:authenticated"], extra: {} };
  const serving = (cn: string) => obj({ cn, orgs: ["system:nodes"], signerName: "kubernetes.io/kubelet-serving" });
  await csrStrategy.admit!(serving("system:node:n1"), undefined, ctx(node), "create", "");
  await rejects(
    csrStrategy.admit!(serving("system:node:n2"), undefined, ctx(node), "create", ""),
    'certificatesigningrequests.certificates.k8s.io "minjun-csr" is forbidden: can only create a node CSR with CN=system:node:n1',
  );
  await csrStrategy.admit!(serving("system:node:n2"), undefined, ctx(admin), "create", "");
});
