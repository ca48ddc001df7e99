// applyPlan(): carry out a PkiPlan, writing only through an injected sink (an Io in the CLI, a
// map in tests). CAs come first in the plan, so every leaf finds its signer ready.
import type { Certificate, CertificateTemplate, DistinguishedName, KeyAlgorithm, KeyPair, SubjectAltNames } from "../pki/index.ts";
import {
  encodeCertificatePem, encodePrivateKeyPem, encodePublicKeyPem, generateKeyPair, generateKeyPairAsync, keyIdentifier, randomSerial, spkiOf,
} from "../pki/index.ts";
import { createRootCa, issueFromTemplate, localKeySigner, usagesToExtensions, validityWindow } from "../ca/index.ts";
import type { KeySigner } from "../ca/index.ts";
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

/** A CA held in this process: its certificate and its key as a KeySigner. */
export interface LocalCa {
  readonly cert: Certificate;
  readonly key: KeySigner;
  readonly random: RandomSource;
}

export function localCa(issued: Issued, random: RandomSource): LocalCa {
  return { cert: issued.cert, key: localKeySigner(issued.key), random };
}

export interface LeafRequest {
  readonly subject: DistinguishedName;
  readonly sans: SubjectAltNames;
  readonly usages: readonly string[];
  readonly role: CertSpec["role"];
  readonly alg: KeyAlgorithm;
  readonly validityMs: number;
  readonly now: Date;
}

/** A fresh key and its certificate. The key is generated right here, so there is no CSR: proof of
 *  possession is moot and a CSR would cost a signature, its verification and a parse per certificate
 *  (≈40 % of init's CPU). The template follows ca/'s Signer exactly — Kubernetes' validity window
 *  (validityWindow), usage mapping (usagesToExtensions), CA:FALSE, SKI, AKI = issuer's SKI — and goes
 *  through the same pre-issuance lint gate (issueFromTemplate). */
export async function issueLeaf(ca: LocalCa, req: LeafRequest): Promise<Issued> {
  const key = await newKey(req.alg);
  const spki = spkiOf(key.publicKey);
  const { notBefore, notAfter } = validityWindow(req.now, ca.cert.notAfter, req.validityMs);
  const { keyUsage, extKeyUsage } = usagesToExtensions(req.usages);
  const t: CertificateTemplate = {
    serialNumber: randomSerial(ca.random),
    subject: req.subject,
    issuerDer: ca.cert.subjectDer,
    notBefore,
    notAfter,
    spki,
    sans: req.sans,
    keyUsage,
    extKeyUsage,
    basicConstraints: { ca: false },
    subjectKeyId: keyIdentifier(spki),
    authorityKeyId: ca.cert.subjectKeyId ?? keyIdentifier(ca.cert.spki),
  };
  const cert = await issueFromTemplate(t, { key: ca.key, issuer: ca.cert, role: req.role, at: req.now });
  return { cert, key };
}

const join = (dir: string, rel: string): string => (dir === "" || dir === "." ? rel : `${dir.replace(/\/+$/, "")}/${rel}`);

/** Write one issued certificate to its outputs: .crt/.key files and/or an embedding kubeconfig. */
export async function writeIssued(spec: CertSpec, it: Issued, ctx: { dir: string; sink: PkiSink; caPem: string; clusterName: string; server: string }): Promise<string[]> {
  const certPem = encodeCertificatePem(it.cert);
  const keyPem = encodePrivateKeyPem(it.key);
  const files: [string, string, number][] = [];
  if (spec.files) files.push([`${spec.files}.crt`, certPem, 0o644], [`${spec.files}.key`, keyPem, 0o600]);
  if (spec.kubeconfig) {
    const text = renderKubeconfig({ clusterName: ctx.clusterName, server: ctx.server, caPem: ctx.caPem, userName: spec.commonName, certPem, keyPem });
    files.push([spec.kubeconfig, text, 0o600]);
  }
  // Concurrent atomic writes let the filesystem group their fsyncs into one journal commit.
  await Promise.all(files.map(([f, data, mode]) => ctx.sink.writeFileAtomic(join(ctx.dir, f), data, { mode })));
  return files.map(([f]) => f);
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

type CertStep = Extract<PlanStep, { kind: "cert" }>;
type ReadyCa = { readonly ca: LocalCa; readonly pem: string };

/** Leaves through a bounded pipeline: signing (CPU, and the thread pool for RSA keys) overlaps with
 *  the writes of earlier certificates instead of alternating with them batch by batch. */
async function issueLeaves(leaves: readonly CertStep[], cas: ReadonlyMap<string, ReadyCa>, plan: PkiPlan, opts: ApplyOptions, now: Date): Promise<string[]> {
  const width = opts.concurrency ?? 32;
  const inFlight = new Set<Promise<void>>();
  const results: string[][] = [];
  let failure: unknown;
  for (const [i, { spec }] of leaves.entries()) {
    if (failure !== undefined) break;
    const ca = cas.get(spec.ca ?? "");
    if (!ca) {
      failure = new ClusterError("bad-spec", `certificate "${spec.name}" references unknown CA "${spec.ca ?? ""}"`);
      break;
    }
    const job = issueLeaf(ca.ca, { subject: subjectOf(spec), sans: spec.sans, usages: spec.usages, role: spec.role, alg: plan.keyAlgorithm, validityMs: plan.leafValidityMs, now })
      .then((it) => writeIssued(spec, it, { ...opts, caPem: ca.pem, clusterName: plan.clusterName, server: plan.server }))
      .then((w) => void (results[i] = w))
      .catch((err: unknown) => void (failure ??= err))
      .finally(() => inFlight.delete(job));
    inFlight.add(job);
    if (inFlight.size >= width) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure;
  return results.flat();
}

async function writeSaKey(plan: PkiPlan, opts: ApplyOptions): Promise<string[]> {
  const key = await newKey(plan.keyAlgorithm);
  await Promise.all([
    opts.sink.writeFileAtomic(join(opts.dir, `${SA_KEY.files}.key`), encodePrivateKeyPem(key), { mode: 0o600 }),
    opts.sink.writeFileAtomic(join(opts.dir, `${SA_KEY.files}.pub`), encodePublicKeyPem(key), { mode: 0o644 }),
  ]);
  return [`${SA_KEY.files}.key`, `${SA_KEY.files}.pub`];
}

/** Returns the files written. Nothing is written for "keep" steps. */
export async function applyPlan(plan: PkiPlan, opts: ApplyOptions): Promise<string[]> {
  const now = opts.clock.now();
  if (plan.steps.some((s) => s.action !== "keep")) await ensureDirs(plan, opts);
  const cas = new Map<string, ReadyCa>();
  const caWrites: Promise<string[]>[] = [];
  const certSteps = plan.steps.filter((s): s is CertStep => s.kind === "cert");
  for (const step of certSteps.filter((s) => s.spec.isCa)) {
    const issued = await applyCa(step, plan, opts, now);
    cas.set(step.spec.name, { ca: localCa(issued, opts.random), pem: encodeCertificatePem(issued.cert) });
    // CA files are written while the leaves are being signed.
    if (step.action !== "keep") caWrites.push(writeIssued(step.spec, issued, { ...opts, caPem: "", clusterName: plan.clusterName, server: plan.server }));
  }
  const leaves = certSteps.filter((s) => !s.spec.isCa && s.action !== "keep");
  const sa = plan.steps.some((s) => s.kind === "sa-key" && s.action === "create");
  const [caFiles, leafFiles, saFiles] = await Promise.all([Promise.all(caWrites), issueLeaves(leaves, cas, plan, opts, now), sa ? writeSaKey(plan, opts) : []]);
  return [...caFiles.flat(), ...leafFiles, ...saFiles];
}
