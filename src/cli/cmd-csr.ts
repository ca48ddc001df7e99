// kpki csr show NAME: what an approver must see before `kubectl certificate approve` — the decoded
// subject, groups (O), SANs, usages, requested duration, requester, conditions — and a WARNING when
// the certificate would carry a privileged identity.
import { fromBase64, fromUtf8, humanDuration, messageOf } from "../base/index.ts";
import { csrConditionText } from "../api/index.ts";
import type { CertificateSigningRequest } from "../api/index.ts";
import { formatDn, formatKeyAlgorithm, parseCsrPem, verifyCsrSignature } from "../pki/index.ts";
import type { Csr } from "../pki/index.ts";
import { OUTPUT_OPTION, defineCommand, outputFormat, requireStr } from "./args.ts";
import { apiClientFromKubeconfig } from "./cmd-user.ts";
import { CliError } from "./errors.ts";

/** Groups that grant more than a namespace's worth: cluster admin, node identity, bootstrap. */
export const PRIVILEGED_GROUPS: Readonly<Record<string, string>> = {
  "system:masters": "bypasses all authorization (cluster superuser, cannot be revoked by RBAC)",
  "kubeadm:cluster-admins": "bound to cluster-admin by kubeadm",
  "system:nodes": "node identity (kubelet permissions, Node authorizer)",
  "system:bootstrappers": "may request node certificates",
  "system:serviceaccounts": "impersonates every service account group",
};

export interface CsrReport {
  readonly name: string;
  readonly signerName: string;
  readonly requester: { username: string; groups: string[] };
  readonly subject: string;
  readonly commonName: string;
  readonly groups: string[];
  readonly sans: { dns: readonly string[]; ip: readonly string[]; email: readonly string[]; uri: readonly string[] };
  readonly usages: string[];
  readonly requestedDuration: string;
  readonly key: string;
  readonly signatureValid: boolean;
  readonly requestsCa: boolean;
  readonly status: string;
  readonly conditions: { type: string; status?: string; reason?: string; message?: string; lastUpdateTime?: string }[];
  readonly warnings: string[];
}

function warningsFor(csr: Csr): string[] {
  const w: string[] = [];
  const orgs = csr.subject.attributes.filter((a) => a.type === "O").map((a) => a.value);
  const cn = csr.subject.attributes.find((a) => a.type === "CN")?.value ?? "";
  for (const o of orgs) if (PRIVILEGED_GROUPS[o]) w.push(`group ${o}: ${PRIVILEGED_GROUPS[o]}`);
  if (cn.startsWith("system:")) w.push(`common name ${JSON.stringify(cn)} is a system identity`);
  if (csr.requestsCa) w.push("the request asks for CA:TRUE (Kubernetes' signers ignore it and issue CA:FALSE)");
  return w;
}

export function reportCsr(obj: CertificateSigningRequest): CsrReport {
  let csr: Csr;
  try {
    csr = parseCsrPem(fromUtf8(fromBase64(obj.spec.request)));
  } catch (err) {
    throw new CliError("input", `CSR "${obj.metadata.name}": spec.request: ${messageOf(err)}`);
  }
  const exp = obj.spec.expirationSeconds;
  return {
    name: obj.metadata.name ?? "",
    signerName: obj.spec.signerName,
    requester: { username: obj.spec.username ?? "", groups: obj.spec.groups ?? [] },
    subject: formatDn(csr.subject, "rfc4514"),
    commonName: csr.subject.attributes.find((a) => a.type === "CN")?.value ?? "",
    groups: csr.subject.attributes.filter((a) => a.type === "O").map((a) => a.value),
    sans: csr.sans,
    usages: obj.spec.usages ?? [],
    requestedDuration: exp === undefined ? "<none> (the signer's default, one year for kube-controller-manager)" : `${humanDuration(exp * 1000)} (expirationSeconds ${exp})`,
    key: formatKeyAlgorithm(csr.keyAlgorithm),
    signatureValid: verifyCsrSignature(csr),
    requestsCa: csr.requestsCa,
    status: csrConditionText(obj),
    conditions: obj.status?.conditions ?? [],
    warnings: warningsFor(csr),
  };
}

export function formatCsrReport(r: CsrReport): string {
  const sans = [...r.sans.dns.map((d) => `DNS:${d}`), ...r.sans.ip.map((i) => `IP:${i}`), ...r.sans.email.map((e) => `email:${e}`), ...r.sans.uri.map((u) => `URI:${u}`)];
  const rows: [string, string][] = [
    ["Name", r.name],
    ["Signer", r.signerName],
    ["Status", r.status],
    ["Requested by", `${r.requester.username}${r.requester.groups.length ? ` (groups: ${r.requester.groups.join(", ")})` : ""}`],
    ["Subject", r.subject],
    ["  Common Name (user)", r.commonName || "<none>"],
    ["  Organization (groups)", r.groups.join(", ") || "<none>"],
    ["Subject Alt Names", sans.join(", ") || "<none>"],
    ["Usages", r.usages.join(", ")],
    ["Requested duration", r.requestedDuration],
    ["Public key", r.key],
    ["Proof of possession", r.signatureValid ? "signature verifies" : "SIGNATURE DOES NOT VERIFY"],
  ];
  const lines = rows.map(([k, v]) => `${`${k}:`.padEnd(25)} ${v}`);
  lines.push(r.conditions.length === 0 ? `${"Conditions:".padEnd(25)} <none>` : "Conditions:");
  for (const c of r.conditions) lines.push(`  ${c.type}=${c.status ?? ""}  ${c.reason ?? ""}  ${c.lastUpdateTime ?? ""}  ${c.message ?? ""}`.trimEnd());
  for (const w of r.warnings) lines.push(`WARNING: ${w}`);
  return `${lines.join("\n")}\n`;
}

export const command = defineCommand(
  {
    name: "csr",
    summary: "Show a CertificateSigningRequest decoded, with warnings for privileged identities.",
    synopsis: ["csr show NAME --kubeconfig FILE [-o json]"],
    options: [{ name: "kubeconfig", type: "string", arg: "FILE", help: "kubeconfig to read the CSR with" }, OUTPUT_OPTION],
  },
  async (p, io) => {
    if (p.positionals[0] !== "show" || p.positionals.length !== 2) throw new CliError("usage", 'csr: expected "show NAME" (see kpki csr --help)');
    const name = p.positionals[1] ?? "";
    const format = outputFormat(p, "csr show");
    const api = await apiClientFromKubeconfig(io, requireStr(p, "kubeconfig", "csr show"));
    const { body } = await api.call("GET", `/apis/certificates.k8s.io/v1/certificatesigningrequests/${encodeURIComponent(name)}`);
    const report = reportCsr(body as unknown as CertificateSigningRequest);
    io.stdout(format === "json" ? `${JSON.stringify(report, null, 2)}\n` : formatCsrReport(report));
    return 0;
  },
);
