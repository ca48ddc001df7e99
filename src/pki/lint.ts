// Certificate lint: runs the LINT_RULES table. Used by the CA's pre-issuance gate (ca/) and `kpki lint`.
import { equalBytes } from "../base/index.ts";
import { LINT_RULES } from "./lint-rules.ts";
import type { CertRole, LintContext } from "./lint-rules.ts";
import { commonName, organizations } from "./names.ts";
import { EKU } from "./oids.ts";
import type { Certificate, LintFinding } from "./types.ts";

/** The role a certificate plays, from its CA flag, EKU and CN/O (kubelet identities). */
export function inferRole(c: Certificate): CertRole {
  if (c.basicConstraints?.ca) return equalBytes(c.subjectDer, c.issuerDer) ? "root-ca" : "intermediate-ca";
  const eku = c.extKeyUsage;
  const server = eku === undefined ? c.sans.dns.length + c.sans.ip.length > 0 : eku.includes(EKU.serverAuth);
  const client = eku === undefined ? !server : eku.includes(EKU.clientAuth);
  const kubelet = (commonName(c.subject) ?? "").startsWith("system:node:") && organizations(c.subject).includes("system:nodes");
  if (kubelet && server && !client) return "kubelet-serving";
  if (kubelet && client && !server) return "kubelet-client";
  if (server && client) return "peer";
  return server ? "server" : "client";
}

/** Every finding for `c` in the given role (inferred when absent), rules in table order. */
export function lintCertificate(c: Certificate, ctx: { issuer?: Certificate; role?: CertRole; at?: Date; preIssuance?: boolean } = {}): LintFinding[] {
  const x: LintContext = { role: ctx.role ?? inferRole(c), issuer: ctx.issuer, at: ctx.at, preIssuance: ctx.preIssuance };
  const out: LintFinding[] = [];
  for (const r of LINT_RULES) {
    if (r.applies(c, x) && !r.check(c, x)) out.push(Object.freeze({ id: r.id, level: r.level, text: r.text }));
  }
  return out;
}
