// kpki user add NAME: seed 001's seven steps in one — a key made here (never sent), a
// kube-apiserver-client CSR submitted with the admin kubeconfig, approved when the caller may approve
// (else wait for an approver), a RoleBinding/ClusterRoleBinding, and a kubeconfig with embedded data.
import { fromBase64, fromUtf8, messageOf, parseDuration, systemRandom, toBase64, toHex, utf8 } from "../base/index.ts";
import { createCsr, encodeCsrPem, encodePrivateKeyPem, generateKeyPairAsync, makeDn, parseCertificatesPem, parseKeyAlgorithm } from "../pki/index.ts";
import { renderKubeconfig } from "../cluster/index.ts";
import { defineCommand, requireStr, str } from "./args.ts";
import { CliError } from "./errors.ts";
import type { ApiTarget, Io } from "./io.ts";
import { apiTargetFromKubeconfig } from "./api-target.ts";

const CSR_PATH = "/apis/certificates.k8s.io/v1/certificatesigningrequests";
const SIGNER = "kubernetes.io/kube-apiserver-client";

export interface ApiClient {
  readonly target: ApiTarget;
  readonly clusterName: string;
  call(method: string, path: string, body?: unknown, okStatuses?: readonly number[]): Promise<{ status: number; body: Record<string, unknown> }>;
}

/** An API client from a kubeconfig's current context (file references resolved next to it). */
export async function apiClientFromKubeconfig(io: Io, path: string): Promise<ApiClient> {
  const { target, clusterName } = await apiTargetFromKubeconfig(io, path);
  return {
    target,
    clusterName,
    async call(method, p, body, ok = [200, 201]) {
      const r = await io.request(target, method, p, body);
      const obj = (typeof r.body === "object" && r.body !== null ? r.body : {}) as Record<string, unknown>;
      if (!ok.includes(r.status)) {
        const msg = typeof obj["message"] === "string" ? obj["message"] : r.text.slice(0, 200);
        throw new CliError("failed", `${method} ${p}: ${r.status} ${msg}`);
      }
      return { status: r.status, body: obj };
    },
  };
}

interface CsrStatus {
  certificate?: string;
  conditions?: { type: string; status?: string; reason?: string; message?: string; lastUpdateTime?: string }[];
}

/** SelfSubjectAccessReview: may the caller approve for this signer (and write /approval)? */
async function mayApprove(api: ApiClient): Promise<boolean> {
  const ssar = async (attrs: Record<string, string>): Promise<boolean> => {
    const r = await api.call("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", {
      apiVersion: "authorization.k8s.io/v1",
      kind: "SelfSubjectAccessReview",
      spec: { resourceAttributes: attrs },
    });
    return (r.body["status"] as { allowed?: boolean } | undefined)?.allowed === true;
  };
  return (
    (await ssar({ group: "certificates.k8s.io", resource: "signers", verb: "approve", name: SIGNER })) &&
    (await ssar({ group: "certificates.k8s.io", resource: "certificatesigningrequests", subresource: "approval", verb: "update" }))
  );
}

/** kubectl certificate approve, as kubectl does it: GET, append Approved, PUT /approval; retry on 409. */
async function approve(api: ApiClient, name: string, now: () => Date): Promise<void> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const { body } = await api.call("GET", `${CSR_PATH}/${name}`);
    const status = (body["status"] ?? {}) as CsrStatus;
    if ((status.conditions ?? []).some((c) => c.type === "Approved")) return;
    const cond = { type: "Approved", status: "True", reason: "KpkiUserAdd", message: "This CSR was approved by kpki user add.", lastUpdateTime: `${now().toISOString().slice(0, 19)}Z` };
    const next = { ...body, status: { ...status, conditions: [...(status.conditions ?? []), cond] } };
    const r = await api.call("PUT", `${CSR_PATH}/${name}/approval`, next, [200, 201, 409]);
    if (r.status !== 409) return;
  }
  throw new CliError("failed", `approving CSR "${name}": too many conflicts`);
}

async function waitForCertificate(api: ApiClient, io: Io, name: string, timeoutMs: number): Promise<string> {
  // Counted polls rather than the wall clock (time is a parameter: io.sleep is faked in tests).
  const polls = Math.max(1, Math.ceil(timeoutMs / 250));
  for (let i = 0; ; i++) {
    const { body } = await api.call("GET", `${CSR_PATH}/${name}`);
    const st = (body["status"] ?? {}) as CsrStatus;
    const bad = (st.conditions ?? []).find((c) => c.type === "Denied" || c.type === "Failed");
    if (bad) throw new CliError("failed", `CSR "${name}" was ${bad.type.toLowerCase()}: ${bad.reason ?? ""}${bad.message ? ` (${bad.message})` : ""}`);
    if (st.certificate) return fromUtf8(fromBase64(st.certificate));
    if (i >= polls) throw new CliError("failed", `CSR "${name}" was not issued within ${Math.round(timeoutMs / 1000)}s`);
    await io.sleep(250);
  }
}

interface BindingPlan {
  readonly path: string;
  readonly kind: "RoleBinding" | "ClusterRoleBinding";
  readonly body: Record<string, unknown>;
}

function bindingPlan(user: string, role: string | undefined, clusterRole: string | undefined, ns: string | undefined): BindingPlan | undefined {
  if (role && clusterRole) throw new CliError("usage", "user add: give --role or --clusterrole, not both");
  if (role && !ns) throw new CliError("usage", "user add: --role needs --namespace");
  if (!role && !clusterRole) return undefined;
  const roleRef = { apiGroup: "rbac.authorization.k8s.io", kind: role ? "Role" : "ClusterRole", name: role ?? clusterRole ?? "" };
  const subjects = [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: user }];
  const name = `kpki-user-${user}-${roleRef.name}`.toLowerCase().replace(/[^a-z0-9.-]/g, "-").slice(0, 253);
  if (ns) {
    return { kind: "RoleBinding", path: `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, body: { apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", metadata: { name, namespace: ns }, roleRef, subjects } };
  }
  return { kind: "ClusterRoleBinding", path: "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", body: { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding", metadata: { name }, roleRef, subjects } };
}

export const command = defineCommand(
  {
    name: "user",
    summary: "Onboard a user through the CSR API: local key, CSR, approval, binding, kubeconfig.",
    synopsis: ["user add NAME [--group G]... [--clusterrole R | --role R --namespace NS] [--ttl 24h] --kubeconfig ADMIN -o FILE"],
    options: [
      { name: "group", type: "string", multiple: true, arg: "GROUP", help: "group (certificate O); repeatable" },
      { name: "clusterrole", type: "string", arg: "ROLE", help: "bind this ClusterRole (cluster-wide, or in --namespace)" },
      { name: "role", type: "string", arg: "ROLE", help: "bind this Role in --namespace" },
      { name: "namespace", short: "n", type: "string", arg: "NS", help: "namespace of the RoleBinding and the kubeconfig context" },
      { name: "ttl", type: "string", arg: "DURATION", help: "requested certificate lifetime (spec.expirationSeconds; default 24h, ≥ 10m)" },
      { name: "key-algorithm", type: "string", arg: "ALG", help: "key to generate: ecdsa-p256 (default), rsa-2048, ed25519…" },
      { name: "wait", type: "string", arg: "DURATION", help: "how long to wait for approval and issuance (default 5m)" },
      { name: "kubeconfig", type: "string", arg: "FILE", help: "the caller's kubeconfig (an admin, or any user allowed to create CSRs)" },
      { name: "output", short: "o", type: "string", arg: "FILE", help: "write the new user's kubeconfig here (mode 0600)" },
    ],
    notes: ["The private key is generated locally and only written to the output kubeconfig; the server sees the CSR only."],
  },
  async (p, io) => {
    if (p.positionals[0] !== "add" || p.positionals.length !== 2) throw new CliError("usage", 'user: expected "add NAME" (see kpki user --help)');
    const user = p.positionals[1] ?? "";
    const groups = (p.values["group"] as string[] | undefined) ?? [];
    if (groups.includes("system:masters")) throw new CliError("usage", "user add: kube-apiserver-client certificates may not carry system:masters (the API server refuses them)");
    const out = requireStr(p, "output", "user add");
    const ns = str(p, "namespace");
    const plan = bindingPlan(user, str(p, "role"), str(p, "clusterrole"), ns);
    const ttlMs = parseOr(str(p, "ttl") ?? "24h", "--ttl");
    if (ttlMs < 600_000) throw new CliError("usage", "user add: --ttl must be at least 10m (Kubernetes' minimum expirationSeconds is 600)");
    const waitMs = parseOr(str(p, "wait") ?? "5m", "--wait");
    const api = await apiClientFromKubeconfig(io, requireStr(p, "kubeconfig", "user add"));

    const key = await generateKeyPairAsync(parseKeyAlgorithm(str(p, "key-algorithm") ?? "ecdsa-p256"));
    const subject = makeDn([{ type: "CN", value: user }, ...groups.map((g) => ({ type: "O", value: g }))]);
    const csrPem = encodeCsrPem(createCsr({ subject, key }));
    const name = `${user.toLowerCase().replace(/[^a-z0-9.-]/g, "-")}-${toHex(systemRandom.bytes(4))}`;
    const spec = { request: toBase64(utf8(csrPem)), signerName: SIGNER, usages: ["digital signature", "client auth"], expirationSeconds: Math.floor(ttlMs / 1000) };
    await api.call("POST", CSR_PATH, { apiVersion: "certificates.k8s.io/v1", kind: "CertificateSigningRequest", metadata: { name }, spec });
    io.stdout(`certificatesigningrequest.certificates.k8s.io/${name} created\n`);
    if (await mayApprove(api)) {
      await approve(api, name, () => new Date());
      io.stdout(`certificatesigningrequest.certificates.k8s.io/${name} approved\n`);
    } else {
      io.stderr(`You may not approve ${SIGNER} requests; ask an approver to run:\n  kubectl certificate approve ${name}\nWaiting for approval…\n`);
    }
    const certPem = await waitForCertificate(api, io, name, waitMs);
    if (plan) {
      const r = await api.call("POST", plan.path, plan.body, [200, 201, 409]);
      const bname = String((plan.body["metadata"] as { name: string }).name);
      io.stdout(`${plan.kind.toLowerCase()}.rbac.authorization.k8s.io/${bname} ${r.status === 409 ? "unchanged (already exists)" : "created"}\n`);
    }
    const caPem = api.target.caPem ?? "";
    const text = renderKubeconfig({ clusterName: api.clusterName, server: api.target.server, caPem, userName: user, certPem, keyPem: encodePrivateKeyPem(key), ...(ns ? { namespace: ns } : {}) });
    await io.writeFileAtomic(out, text, { mode: 0o600 });
    const leaf = parseCertificatesPem(certPem)[0];
    io.stdout(`wrote ${out} (user "${user}"${groups.length ? `, groups ${groups.join(", ")}` : ""}${leaf ? `, expires ${leaf.notAfter.toISOString()}` : ""})\n`);
    return 0;
  },
);

function parseOr(text: string, flag: string): number {
  try {
    return parseDuration(text);
  } catch (err) {
    throw new CliError("usage", `user add: ${flag}: ${messageOf(err)}`);
  }
}
