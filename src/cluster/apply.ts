// applyPlan(): carry out a PkiPlan, writing only through an injected sink (an Io in the CLI, a
// map in tests). CAs come first in the plan, so every leaf finds its signer ready.
import type { Certificate, DistinguishedName, KeyAlgorithm, KeyPair, SubjectAltNames } from "../pki/index.ts";
import { createCsr, encodeCertificatePem, encodePrivateKeyPem, encodePublicKeyPem, generateKeyPair, generateKeyPairAsync } from "../pki/index.ts";
import { createLocalSigner, createRootCa, localKeySigner } from "../ca/index.ts";
import type { Signer } from "../ca/index.ts";
import type { Clock, RandomSource } from "../base/index.ts";
import type { CertSpec } from "./certlist.ts";
import { SA_KEY } from "./certlist.ts";
import type { ExistingState, PkiPlan, PlanStep } from "./plan.ts";
import { renderKubeconfig } from "./kubeconfig.ts";
import { ClusterError } from "./errors.ts";

export interface PkiSink {
  mkdirp(path: string): Promise<void>;
  writeFileAtomic(path: string, data: string | Uint8Array, opts?: { mode?: number }): Promise<void>;
}

export interface ApplyOptions {
  readonly dir: string;
  readonly sink: PkiSink;
  readonly existing: ExistingState;
  readonly clock: Clock;
  readonly random: RandomSource;
  /** Leaves issued at once (RSA key generation runs on libuv's thread pool). */
  readonly concurrency?: number;
}

export interface Issued {
  readonly cert: Certificate;
  readonly key: KeyPair;
}

export function subjectOf(spec: Pick<CertSpec, "commonName" | "organizations">): DistinguishedName {
  // Go's pkix.Name order (O before CN), as kubeadm's certificates have it.
  return { attributes: [...spec.organizations.map((value) => ({ type: "O", value })), { type: "CN", value: spec.commonName }] };
}

async function newKey(alg: KeyAlgorithm): Promise<KeyPair> {
  return alg.kind === "rsa" ? generateKeyPairAsync(alg) : generateKeyPair(alg);
}

/** A fresh key, a CSR for it (proof of possession) and a certificate from `signer`. */
export async function issueLeaf(
  signer: Signer,
  req: { subject: DistinguishedName; sans: SubjectAltNames; usages: readonly string[]; role: CertSpec["role"]; name: string; alg: KeyAlgorithm; validityMs: number; now: Date },
): Promise<Issued> {
  const key = await newKey(req.alg);
  const csr = createCsr({ subject: req.subject, sans: req.sans, key });
  const { certificate } = await signer.sign(csr, { name: req.name, usages: req.usages, expiryMs: req.validityMs, role: req.role }, { subject: req.subject, sans: req.sans, now: req.now });
  return { cert: certificate, key };
}

function signerFor(name: string, issued: Issued, opts: ApplyOptions): Signer {
  return createLocalSigner({ signerName: name, caCertificate: issued.cert, key: localKeySigner(issued.key), clock: opts.clock, random: opts.random });
}

const join = (dir: string, rel: string): string => (dir === "" || dir === "." ? rel : `${dir.replace(/\/+$/, "")}/${rel}`);

/** Write one issued certificate to its outputs: .crt/.key files and/or an embedding kubeconfig. */
export async function writeIssued(spec: CertSpec, it: Issued, ctx: { dir: string; sink: PkiSink; caPem: string; clusterName: string; server: string }): Promise<string[]> {
  const written: string[] = [];
  const certPem = encodeCertificatePem(it.cert);
  const keyPem = encodePrivateKeyPem(it.key);
  if (spec.files) {
    await ctx.sink.writeFileAtomic(join(ctx.dir, `${spec.files}.key`), keyPem, { mode: 0o600 });
    await ctx.sink.writeFileAtomic(join(ctx.dir, `${spec.files}.crt`), certPem, { mode: 0o644 });
    written.push(`${spec.files}.crt`, `${spec.files}.key`);
  }
  if (spec.kubeconfig) {
    const text = renderKubeconfig({ clusterName: ctx.clusterName, server: ctx.server, caPem: ctx.caPem, userName: spec.commonName, certPem, keyPem });
    await ctx.sink.writeFileAtomic(join(ctx.dir, spec.kubeconfig), text, { mode: 0o600 });
    written.push(spec.kubeconfig);
  }
  return written;
}

async function ensureDirs(plan: PkiPlan, opts: ApplyOptions): Promise<void> {
  const dirs = new Set<string>([opts.dir, join(opts.dir, "pki")]);
  for (const s of plan.steps) if (s.kind === "cert" && s.spec.files) dirs.add(join(opts.dir, s.spec.files.replace(/\/[^/]*$/, "")));
  for (const d of dirs) await opts.sink.mkdirp(d);
}

async function applyCa(step: Extract<PlanStep, { kind: "cert" }>, plan: PkiPlan, opts: ApplyOptions, now: Date): Promise<Issued> {
  const kept = opts.existing.get(step.spec.name);
  if (step.action === "keep" && kept?.state === "present") return { cert: kept.cert, key: kept.key };
  const key = await newKey(plan.keyAlgorithm);
  const cert = await createRootCa({ subject: subjectOf(step.spec), key, validityMs: plan.caValidityMs, clock: { now: () => now }, random: opts.random });
  return { cert, key };
}

/** Returns the files written, in order. Nothing is written for "keep" steps. */
export async function applyPlan(plan: PkiPlan, opts: ApplyOptions): Promise<string[]> {
  const now = opts.clock.now();
  const written: string[] = [];
  const cas = new Map<string, { issued: Issued; signer: Signer; pem: string }>();
  if (plan.steps.some((s) => s.action !== "keep")) await ensureDirs(plan, opts);
  const leaves: Extract<PlanStep, { kind: "cert" }>[] = [];
  for (const step of plan.steps) {
    if (step.kind !== "cert") continue;
    if (!step.spec.isCa) {
      if (step.action !== "keep") leaves.push(step);
      continue;
    }
    const issued = await applyCa(step, plan, opts, now);
    cas.set(step.spec.name, { issued, signer: signerFor(step.spec.name, issued, opts), pem: encodeCertificatePem(issued.cert) });
    if (step.action !== "keep") written.push(...(await writeIssued(step.spec, issued, { ...opts, caPem: "", clusterName: plan.clusterName, server: plan.server })));
  }
  const width = opts.concurrency ?? 16;
  for (let i = 0; i < leaves.length; i += width) {
    const batch = await Promise.all(
      leaves.slice(i, i + width).map(async ({ spec }) => {
        const ca = cas.get(spec.ca ?? "");
        if (!ca) throw new ClusterError("bad-spec", `certificate "${spec.name}" references unknown CA "${spec.ca ?? ""}"`);
        const it = await issueLeaf(ca.signer, { subject: subjectOf(spec), sans: spec.sans, usages: spec.usages, role: spec.role, name: spec.name, alg: plan.keyAlgorithm, validityMs: plan.leafValidityMs, now });
        return writeIssued(spec, it, { ...opts, caPem: ca.pem, clusterName: plan.clusterName, server: plan.server });
      }),
    );
    for (const w of batch) written.push(...w);
  }
  const sa = plan.steps.find((s) => s.kind === "sa-key");
  if (sa?.action === "create") {
    const key = await newKey(plan.keyAlgorithm);
    await opts.sink.writeFileAtomic(join(opts.dir, `${SA_KEY.files}.key`), encodePrivateKeyPem(key), { mode: 0o600 });
    await opts.sink.writeFileAtomic(join(opts.dir, `${SA_KEY.files}.pub`), encodePublicKeyPem(key), { mode: 0o644 });
    written.push(`${SA_KEY.files}.key`, `${SA_KEY.files}.pub`);
  }
  return written;
}
