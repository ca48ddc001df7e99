// planClusterPki(): from the spec's table and what is already on disk, decide for every certificate
// whether to create it, keep it (exists, matches the table, verifies, not expired) or re-issue it.
// Pure data in, data out (DESIGN.md rule 4): `--dry-run` prints this and tests assert on it.
import type { Certificate, KeyPair, KeyAlgorithm } from "../pki/index.ts";
import { commonName, organizations, verifySignedBy } from "../pki/index.ts";
import type { ClusterSpec } from "./spec.ts";
import { clusterCertSpecs, type CertSpec } from "./certlist.ts";
import { ClusterError } from "./errors.ts";

/** What a loader found on disk for one CertSpec (or for the service-account key, name "sa"). */
export type ExistingItem =
  | { readonly state: "present"; readonly cert: Certificate; readonly key: KeyPair; readonly keyMatches: boolean }
  | { readonly state: "key-only"; readonly key: KeyPair }
  /** Certificate without its key: for a CA, kubeadm's "externally managed" CA. */
  | { readonly state: "cert-only"; readonly cert: Certificate }
  | { readonly state: "broken"; readonly problem: string };
export type ExistingState = ReadonlyMap<string, ExistingItem>;

export type PlanAction = "create" | "keep" | "reissue";
export type PlanStep =
  | { readonly kind: "cert"; readonly spec: CertSpec; readonly action: PlanAction; readonly reason: string }
  | { readonly kind: "sa-key"; readonly action: "create" | "keep"; readonly reason: string };

export interface PkiPlan {
  readonly clusterName: string;
  readonly server: string;
  readonly keyAlgorithm: KeyAlgorithm;
  readonly caValidityMs: number;
  readonly leafValidityMs: number;
  readonly steps: readonly PlanStep[];
}

const sameSet = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && [...a].sort().join("\n") === [...b].sort().join("\n");

/** Why an existing certificate no longer fits its row, or undefined when it can be kept. */
export function mismatch(spec: CertSpec, cert: Certificate, caCert: Certificate | undefined, now: Date): string | undefined {
  if (cert.notAfter.getTime() <= now.getTime()) return `expired ${cert.notAfter.toISOString()}`;
  if (commonName(cert.subject) !== spec.commonName) return `CN is "${commonName(cert.subject) ?? ""}", want "${spec.commonName}"`;
  if (!sameSet(organizations(cert.subject), spec.organizations)) return "O differs from the table";
  if (spec.isCa && cert.basicConstraints?.ca !== true) return "not a CA";
  if (!spec.isCa) {
    if (!sameSet(cert.sans.dns, spec.sans.dns) || !sameSet(cert.sans.ip, spec.sans.ip)) return "SANs differ from the spec";
    if (!caCert || !verifySignedBy(cert, caCert)) return `not signed by the current ${spec.ca ?? "CA"}`;
  }
  return undefined;
}

function planCa(spec: CertSpec, item: ExistingItem | undefined, now: Date): PlanStep {
  const file = `${spec.files ?? spec.name}.crt`;
  if (!item) return { kind: "cert", spec, action: "create", reason: "new CA" };
  if (item.state === "broken") throw new ClusterError("bad-existing", `refusing to replace CA "${spec.name}": ${item.problem}`);
  if (item.state === "key-only") throw new ClusterError("bad-existing", `CA "${spec.name}": ${file} is missing but its key exists`);
  if (item.state === "cert-only") throw new ClusterError("bad-existing", `CA "${spec.name}": ${spec.files}.key is missing (an external CA is not supported by init)`);
  if (!item.keyMatches) throw new ClusterError("bad-existing", `CA "${spec.name}": ${spec.files}.key does not match ${file}`);
  if (item.cert.basicConstraints?.ca !== true) throw new ClusterError("bad-existing", `certificate "${spec.name}" is not a CA`);
  if (item.cert.notAfter.getTime() <= now.getTime()) return { kind: "cert", spec, action: "reissue", reason: `CA expired ${item.cert.notAfter.toISOString()}` };
  return { kind: "cert", spec, action: "keep", reason: `existing CA, valid until ${item.cert.notAfter.toISOString()}` };
}

function planLeaf(spec: CertSpec, item: ExistingItem | undefined, ca: { step: PlanStep; cert?: Certificate }, now: Date): PlanStep {
  if (!item) return { kind: "cert", spec, action: "create", reason: "new" };
  if (ca.step.action !== "keep") return { kind: "cert", spec, action: "reissue", reason: `its CA "${spec.ca}" is new` };
  if (item.state === "broken") return { kind: "cert", spec, action: "reissue", reason: item.problem };
  if (item.state === "key-only") return { kind: "cert", spec, action: "reissue", reason: "certificate missing" };
  if (item.state === "cert-only") return { kind: "cert", spec, action: "reissue", reason: "key missing" };
  if (!item.keyMatches) return { kind: "cert", spec, action: "reissue", reason: "key does not match the certificate" };
  const why = mismatch(spec, item.cert, ca.cert, now);
  if (why) return { kind: "cert", spec, action: "reissue", reason: why };
  return { kind: "cert", spec, action: "keep", reason: `valid until ${item.cert.notAfter.toISOString()}` };
}

export function planClusterPki(spec: ClusterSpec, existing: ExistingState, opts: { now: Date; server: string }): PkiPlan {
  const steps: PlanStep[] = [];
  const cas = new Map<string, { step: PlanStep; cert?: Certificate }>();
  for (const s of clusterCertSpecs(spec)) {
    const item = existing.get(s.name);
    if (s.isCa) {
      const step = planCa(s, item, opts.now);
      cas.set(s.name, { step, ...(item?.state === "present" ? { cert: item.cert } : {}) });
      steps.push(step);
      continue;
    }
    const ca = cas.get(s.ca ?? "");
    if (!ca) throw new ClusterError("bad-spec", `certificate "${s.name}" references unknown CA "${s.ca ?? ""}"`);
    steps.push(planLeaf(s, item, ca, opts.now));
  }
  const sa = existing.get("sa");
  steps.push(sa && sa.state !== "broken" ? { kind: "sa-key", action: "keep", reason: "existing key" } : { kind: "sa-key", action: "create", reason: sa?.state === "broken" ? sa.problem : "new" });
  return {
    clusterName: spec.clusterName,
    server: opts.server,
    keyAlgorithm: spec.keyAlgorithm,
    caValidityMs: spec.caValidityMs,
    leafValidityMs: spec.leafValidityMs,
    steps,
  };
}

/** One line per step: what `--dry-run` and `init` print. */
export function describePlan(plan: PkiPlan): string[] {
  return plan.steps.map((s) => {
    const name = s.kind === "cert" ? s.spec.name : "sa";
    const where = s.kind === "cert" ? [s.spec.files ? `${s.spec.files}.crt` : undefined, s.spec.kubeconfig].filter(Boolean).join(", ") : "pki/sa.key, pki/sa.pub";
    return `${s.action.padEnd(7)} ${name.padEnd(28)} ${where}  (${s.reason})`;
  });
}
