// Declarative approval policies (kpki addition; Kubernetes ships none): a YAML file of rules, each
// naming the signer, the subject, groups, usages, duration, requesters and SANs it may approve.
// A policy never approves system:masters / system:nodes identities unless it names that group.
import { parse } from "yaml";
import { parseDuration } from "../../base/index.ts";
import type { CertificateSigningRequest } from "../../api/index.ts";
import type { Csr } from "../../pki/index.ts";
import { ControllerError } from "../errors.ts";
import { ipInCidr, parseCidr } from "./cidr.ts";
import type { Cidr } from "./cidr.ts";

export interface ApprovalPolicy {
  readonly name: string;
  readonly signerName: string;
  /** Anchored regular expression the subject CN must match (when absent, every CN matches). */
  readonly commonName?: RegExp;
  /** Subject O values allowed (each O must be listed); absent: no O allowed. */
  readonly groups: readonly string[];
  /** spec.usages must be a subset; when absent, all usages are allowed. */
  readonly usages?: readonly string[];
  /** Longest validity approved; requests without expirationSeconds count as the signing duration. */
  readonly maxDurationMs?: number;
  /** Who may have asked (spec.username / spec.groups); absent: anyone. */
  readonly requesters?: { readonly users: readonly string[]; readonly groups: readonly string[] };
  /** SAN rules: DNS names match one of `dns` (anchored regexps; "$nodeName" stands for the CN's node
   *  name), IPs fall in one of `ip` (CIDRs); email/URI SANs are never approved. Absent: no SANs allowed. */
  readonly sans?: { readonly dns: readonly string[]; readonly ip: readonly Cidr[] };
}

export const PRIVILEGED_GROUPS: readonly string[] = ["system:masters", "system:nodes"];

type Raw = Record<string, unknown>;

function strings(v: unknown, where: string): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) throw new ControllerError("bad-policy", `${where} must be a list of strings`);
  return v as string[];
}

function anchored(re: string, where: string): RegExp {
  try {
    return new RegExp(`^(?:${re})$`);
  } catch {
    throw new ControllerError("bad-policy", `${where}: invalid regular expression ${JSON.stringify(re)}`);
  }
}

/** A DNS pattern is kept as text ("$nodeName" is filled per CSR) but must compile now. */
function checkDnsPattern(d: string, where: string): string {
  anchored(d.replaceAll("$nodeName", "node"), where);
  return d;
}

const KNOWN = new Set(["name", "signerName", "commonName", "groups", "usages", "maxDuration", "requesters", "sans"]);

function parseOne(r: Raw, i: number): ApprovalPolicy {
  const where = `approval policy #${i + 1}`;
  for (const k of Object.keys(r)) if (!KNOWN.has(k)) throw new ControllerError("bad-policy", `${where}: unknown field "${k}"`);
  if (typeof r["name"] !== "string" || r["name"] === "") throw new ControllerError("bad-policy", `${where}: name is required`);
  const at = `approval policy "${r["name"]}"`;
  if (typeof r["signerName"] !== "string" || !r["signerName"].includes("/")) throw new ControllerError("bad-policy", `${at}: signerName is required (e.g. kubernetes.io/kube-apiserver-client)`);
  const req = r["requesters"] as Raw | undefined;
  const sans = r["sans"] as Raw | undefined;
  let maxDurationMs: number | undefined;
  if (r["maxDuration"] !== undefined) {
    try {
      maxDurationMs = parseDuration(String(r["maxDuration"]));
    } catch (err) {
      throw new ControllerError("bad-policy", `${at}: maxDuration: ${(err as Error).message}`);
    }
  }
  return Object.freeze({
    name: r["name"],
    signerName: r["signerName"],
    ...(typeof r["commonName"] === "string" ? { commonName: anchored(r["commonName"], `${at}: commonName`) } : {}),
    groups: strings(r["groups"], `${at}: groups`) ?? [],
    ...(r["usages"] !== undefined ? { usages: strings(r["usages"], `${at}: usages`) } : {}),
    ...(maxDurationMs !== undefined ? { maxDurationMs } : {}),
    ...(req !== undefined ? { requesters: { users: strings(req["users"], `${at}: requesters.users`) ?? [], groups: strings(req["groups"], `${at}: requesters.groups`) ?? [] } } : {}),
    ...(sans !== undefined
      ? { sans: { dns: (strings(sans["dns"], `${at}: sans.dns`) ?? []).map((d) => checkDnsPattern(d, `${at}: sans.dns`)), ip: (strings(sans["ip"], `${at}: sans.ip`) ?? []).map((c) => parseCidr(c, `${at}: sans.ip`)) } }
      : {}),
  }) as ApprovalPolicy;
}

/** Parse the policy file: `policies: [ {name, signerName, …}, … ]` (YAML or JSON). */
export function parseApprovalPolicies(text: string): ApprovalPolicy[] {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new ControllerError("bad-policy", `approval policy file does not parse: ${(err as Error).message.split("\n")[0]}`);
  }
  if (doc === null || doc === undefined) return [];
  const list = (doc as Raw)["policies"];
  if (!Array.isArray(list)) throw new ControllerError("bad-policy", "approval policy file must have a top-level \"policies\" list");
  const out = list.map((r, i) => parseOne(r as Raw, i));
  const names = new Set<string>();
  for (const p of out) {
    if (names.has(p.name)) throw new ControllerError("bad-policy", `approval policy "${p.name}" is defined twice`);
    names.add(p.name);
  }
  return out;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Why `policy` does not approve this CSR, or undefined when it does. */
export function policyRefusal(policy: ApprovalPolicy, obj: CertificateSigningRequest, csr: Csr, defaultDurationMs: number): string | undefined {
  if (obj.spec.signerName !== policy.signerName) return "signerName differs";
  const cn = csr.subject.attributes.find((a) => a.type === "CN")?.value ?? "";
  const orgs = csr.subject.attributes.filter((a) => a.type === "O").map((a) => a.value);
  for (const g of PRIVILEGED_GROUPS) {
    if (orgs.includes(g) && !policy.groups.includes(g)) return `group ${g} is not named by the policy`;
  }
  if (cn.startsWith("system:node:") && !policy.groups.includes("system:nodes")) return "node identities need a policy naming system:nodes";
  if (policy.commonName && !policy.commonName.test(cn)) return `common name ${JSON.stringify(cn)} does not match`;
  const extra = orgs.find((o) => !policy.groups.includes(o));
  if (extra !== undefined) return `group ${JSON.stringify(extra)} is not allowed`;
  const usage = policy.usages && (obj.spec.usages ?? []).find((u) => !policy.usages?.includes(u));
  if (usage) return `usage ${JSON.stringify(usage)} is not allowed`;
  const requested = obj.spec.expirationSeconds !== undefined ? obj.spec.expirationSeconds * 1000 : defaultDurationMs;
  if (policy.maxDurationMs !== undefined && requested > policy.maxDurationMs) return "requested duration exceeds maxDuration";
  if (policy.requesters) {
    const r = policy.requesters;
    const ok = r.users.includes(obj.spec.username ?? "") || (obj.spec.groups ?? []).some((g) => r.groups.includes(g));
    if (!ok) return `requester ${JSON.stringify(obj.spec.username ?? "")} is not allowed`;
  }
  return sanRefusal(policy, csr, cn);
}

function sanRefusal(policy: ApprovalPolicy, csr: Csr, cn: string): string | undefined {
  if (csr.sans.email.length > 0 || csr.sans.uri.length > 0) return "email and URI SANs are never auto-approved";
  const rules = policy.sans;
  if (!rules) return csr.sans.dns.length + csr.sans.ip.length > 0 ? "the policy allows no SANs" : undefined;
  const node = cn.startsWith("system:node:") ? cn.slice("system:node:".length) : undefined;
  const dnsRes = rules.dns.flatMap((d) => {
    if (!d.includes("$nodeName")) return [new RegExp(`^(?:${d})$`)];
    return node === undefined ? [] : [new RegExp(`^(?:${d.replaceAll("$nodeName", escapeRe(node))})$`)];
  });
  const badDns = csr.sans.dns.find((n) => !dnsRes.some((re) => re.test(n)));
  if (badDns !== undefined) return `DNS name ${JSON.stringify(badDns)} is not allowed`;
  const badIp = csr.sans.ip.find((ip) => !rules.ip.some((c) => ipInCidr(ip, c)));
  if (badIp !== undefined) return `IP address ${badIp} is not allowed`;
  return undefined;
}

/** The first policy that approves, or undefined. */
export function matchPolicy(policies: readonly ApprovalPolicy[], obj: CertificateSigningRequest, csr: Csr, defaultDurationMs: number): ApprovalPolicy | undefined {
  return policies.find((p) => policyRefusal(p, obj, csr, defaultDurationMs) === undefined);
}
