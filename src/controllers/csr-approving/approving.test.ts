// The csrapproving controller: SubjectAccessReview recognizers (§7) and declarative policies.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Authorizer, RequestAttributes } from "../../auth/index.ts";
import { DAY, HOUR } from "../../base/index.ts";
import { parseCsrPem } from "../../pki/index.ts";
import { ControllerError } from "../errors.ts";
import { csrObject, csrPem, memoryStores, testClock } from "../testing.ts";
import type { CsrFixture } from "../testing.ts";
import { createApprovingController } from "./controller.ts";
import { ipInCidr, parseCidr } from "./cidr.ts";
import { parseApprovalPolicies, policyRefusal } from "./policy.ts";

/** Allows `create` on the listed CSR subresources for users in `group`. */
function sarAuthorizer(allowed: Record<string, string[]>): Authorizer & { calls: RequestAttributes[] } {
  const calls: RequestAttributes[] = [];
  return {
    calls,
    async authorize(a) {
      calls.push(a);
      const ok = a.verb === "create" && a.resource === "certificatesigningrequests" && a.user.groups.some((g) => allowed[g]?.includes(a.subresource));
      return { verdict: ok ? "allow" : "no-opinion", reason: "" };
    },
  };
}

const KCLIENT = "kubernetes.io/kube-apiserver-client-kubelet";
const nodeCsr = (over: Partial<CsrFixture> = {}) =>
  csrObject({ cn: "system:node:n1", orgs: ["system:nodes"], signerName: KCLIENT, usages: ["digital signature", "key encipherment", "client auth"], ...over });

async function run(obj: ReturnType<typeof csrObject>, authorizer: Authorizer, policies = "") {
  const clock = testClock();
  const stores = memoryStores(clock);
  const ctl = createApprovingController({ store: stores.csrs, authorizer, policies: parseApprovalPolicies(policies), defaultDurationMs: 365 * DAY, clock });
  const created = await stores.csrs.create(obj);
  let error: unknown;
  await ctl.reconcile(created, new AbortController().signal).catch((e: unknown) => (error = e));
  return { after: (await stores.csrs.get("", created.metadata.name!))!, error };
}

test("bootstrap: nodeclient SAR approves a kubelet client CSR", async () => {
  const authz = sarAuthorizer({ "system:bootstrappers": ["nodeclient"] });
  const { after } = await run(nodeCsr({ username: "system:bootstrap:abcdef", groups: ["system:bootstrappers"] }), authz);
  const c = after.status?.conditions?.[0];
  assert.deepEqual([c?.type, c?.status, c?.reason, c?.message], ["Approved", "True", "AutoApproved", "Auto approving kubelet client certificate after SubjectAccessReview."]);
  assert.deepEqual(authz.calls.map((a) => a.subresource), ["nodeclient"], "selfnodeclient not tried: requester is not the CN");
});

test("renewal: selfnodeclient SAR approves when requester = CN", async () => {
  const authz = sarAuthorizer({ "system:nodes": ["selfnodeclient"] });
  const { after } = await run(nodeCsr({ username: "system:node:n1", groups: ["system:nodes"] }), authz);
  assert.equal(after.status?.conditions?.[0]?.message, "Auto approving self kubelet client certificate after SubjectAccessReview.");
  assert.equal(authz.calls[0]?.user.name, "system:node:n1");
  assert.equal(authz.calls[0]?.apiGroup, "certificates.k8s.io");
});

test("recognized but not allowed: retried error, nothing written", async () => {
  const { after, error } = await run(nodeCsr({ username: "system:node:n1", groups: ["system:nodes"] }), sarAuthorizer({}));
  assert.ok(error instanceof ControllerError);
  assert.equal((error as Error).message, 'recognized csr "csr-1" as [selfnodeclient nodeclient] but subject access review was not approved');
  assert.deepEqual(after.status?.conditions, []);
});

test("not a kubelet client CSR: left pending silently", async () => {
  const { after, error } = await run(csrObject({ cn: "minjun" }), sarAuthorizer({ "kubeadm:cluster-admins": ["nodeclient", "selfnodeclient"] }));
  assert.equal(error, undefined);
  assert.deepEqual(after.status?.conditions, []);
});

const POLICIES = `
policies:
  - name: dev-users
    signerName: kubernetes.io/kube-apiserver-client
    commonName: "[a-z]+"
    groups: [dev-team]
    usages: [client auth, digital signature, key encipherment]
    maxDuration: 24h
    requesters: { groups: [kubeadm:cluster-admins] }
  - name: kubelet-serving
    signerName: kubernetes.io/kubelet-serving
    commonName: "system:node:[a-z0-9-]+"
    groups: [system:nodes]
    usages: [digital signature, key encipherment, server auth]
    requesters: { groups: [system:nodes] }
    sans: { dns: ["$nodeName", "$nodeName\\\\.cluster\\\\.local"], ip: ["10.0.0.0/8", "fd00::/8"] }
  - name: lax
    signerName: example.com/anything
    commonName: ".*"
    groups: [ops]
`;

const pol = parseApprovalPolicies(POLICIES);
const byName = (n: string) => pol.find((p) => p.name === n)!;
const refusal = (name: string, f: CsrFixture) => {
  const obj = csrObject(f);
  return policyRefusal(byName(name), obj, parseCsrPem(csrPem(f)), 365 * DAY);
};

const dev: CsrFixture = { cn: "minjun", orgs: ["dev-team"], expirationSeconds: 3600 };
const serving: CsrFixture = { cn: "system:node:n1", orgs: ["system:nodes"], signerName: "kubernetes.io/kubelet-serving", usages: ["digital signature", "server auth"], username: "system:node:n1", groups: ["system:nodes"], sans: { dns: ["n1", "n1.cluster.local"], ip: ["10.1.2.3"] } };

const POLICY_CASES: { name: string; policy: string; f: CsrFixture; want: string | undefined }[] = [
  { name: "dev user ok", policy: "dev-users", f: dev, want: undefined },
  { name: "other signer", policy: "dev-users", f: { ...dev, signerName: "example.com/x" }, want: "signerName differs" },
  { name: "system:masters never unless named", policy: "dev-users", f: { ...dev, orgs: ["dev-team", "system:masters"] }, want: "group system:masters is not named by the policy" },
  { name: "CN mismatch", policy: "dev-users", f: { ...dev, cn: "Minjun1" }, want: 'common name "Minjun1" does not match' },
  { name: "extra group", policy: "dev-users", f: { ...dev, orgs: ["ops"] }, want: 'group "ops" is not allowed' },
  { name: "usage", policy: "dev-users", f: { ...dev, usages: ["client auth", "server auth"] }, want: 'usage "server auth" is not allowed' },
  { name: "duration", policy: "dev-users", f: { ...dev, expirationSeconds: 2 * 86400 }, want: "requested duration exceeds maxDuration" },
  { name: "no expiration = signing default", policy: "dev-users", f: { cn: "minjun", orgs: ["dev-team"] }, want: "requested duration exceeds maxDuration" },
  { name: "requester", policy: "dev-users", f: { ...dev, groups: ["system:authenticated"] }, want: 'requester "kubernetes-admin" is not allowed' },
  { name: "SANs not allowed by default", policy: "dev-users", f: { ...dev, sans: { dns: ["x"] } }, want: "the policy allows no SANs" },
  { name: "kubelet serving ok", policy: "kubelet-serving", f: serving, want: undefined },
  { name: "kubelet serving other node's name", policy: "kubelet-serving", f: { ...serving, sans: { dns: ["n2"] } }, want: 'DNS name "n2" is not allowed' },
  { name: "kubelet serving IP outside", policy: "kubelet-serving", f: { ...serving, sans: { dns: ["n1"], ip: ["192.168.1.1"] } }, want: "IP address 192.168.1.1 is not allowed" },
  { name: "email SAN never", policy: "kubelet-serving", f: { ...serving, sans: { dns: ["n1"], email: ["a@b.c"] } }, want: "email and URI SANs are never auto-approved" },
  { name: "lax policy: system:nodes identity refused", policy: "lax", f: { cn: "system:node:n1", orgs: ["system:nodes"], signerName: "example.com/anything" }, want: "group system:nodes is not named by the policy" },
  { name: "lax policy: node CN without group refused", policy: "lax", f: { cn: "system:node:n1", signerName: "example.com/anything" }, want: "node identities need a policy naming system:nodes" },
];

for (const c of POLICY_CASES) {
  test(`policy: ${c.name}`, () => assert.equal(refusal(c.policy, c.f), c.want));
}

test("policy approval writes Approved with the policy name", async () => {
  const { after } = await run(csrObject(dev), sarAuthorizer({}), POLICIES);
  const c = after.status?.conditions?.[0];
  assert.deepEqual([c?.type, c?.reason, c?.message], ["Approved", "PolicyApproved", 'Auto approving by kpki approval policy "dev-users".']);
  assert.equal(after.metadata.annotations?.["certificates.kpki.io/approver"], "system:controller:csrapproving");
});

test("already decided CSRs are skipped", async () => {
  const obj = { ...csrObject(dev), status: { conditions: [{ type: "Denied", status: "True" }] } };
  const { after } = await run(obj, sarAuthorizer({}), POLICIES);
  assert.equal(after.status?.conditions?.length, 1);
});

test("policy file errors name the policy and the field", () => {
  assert.throws(() => parseApprovalPolicies("policies:\n  - name: a\n    signerName: x/y\n    bogus: 1\n"), /approval policy #1: unknown field "bogus"/);
  assert.throws(() => parseApprovalPolicies("policies:\n  - name: a\n    signerName: x/y\n    commonName: '('\n"), /approval policy "a": commonName: invalid regular expression/);
  assert.throws(() => parseApprovalPolicies("policies:\n  - name: a\n    signerName: x/y\n    maxDuration: soon\n"), /maxDuration/);
  assert.throws(() => parseApprovalPolicies("nope: 1"), /top-level "policies" list/);
  assert.equal(parseApprovalPolicies("").length, 0);
  assert.equal(byName("dev-users").maxDurationMs, 24 * HOUR);
});

test("CIDR matching (IPv4, IPv6, v4-mapped)", () => {
  assert.ok(ipInCidr("10.1.2.3", parseCidr("10.0.0.0/8", "t")));
  assert.ok(!ipInCidr("11.1.2.3", parseCidr("10.0.0.0/8", "t")));
  assert.ok(ipInCidr("fd00::1", parseCidr("fd00::/8", "t")));
  assert.ok(!ipInCidr("fe80::1", parseCidr("fd00::/8", "t")));
  assert.ok(ipInCidr("::ffff:10.0.0.1", parseCidr("::ffff:10.0.0.0/104", "t")));
  assert.ok(ipInCidr("192.0.2.24", parseCidr("192.0.2.24", "t")));
  assert.throws(() => parseCidr("10.0.0.0/33", "t"), /not an IP or CIDR/);
  assert.throws(() => parseCidr("010.0.0.0/8", "t"), /not an IP or CIDR/, "Go rejects leading-zero octets");
  assert.ok(!ipInCidr("010.1.2.3", parseCidr("10.0.0.0/8", "t")), "not an IP address for Go");
  assert.ok(ipInCidr("::ffff:10.1.2.3", parseCidr("10.0.0.0/8", "t")), "Go's IPNet.Contains: mapped addresses are IPv4");
});
