// applyPlan(): carry out a PkiPlan, writing only through an injected sink (an Io in the CLI, a
// map in tests). CAs come first in the plan, so every leaf finds its signer ready.
import type { Certificate, CertificateTemplate, DistinguishedName, KeyAlgorithm, KeyPair, SubjectAltNames } from "../pki/index.ts";
import {
  encodeCertificatePem, encodePrivateKeyPem, encodePublicKeyPem, generateKeyPairAsync, generateKeyPairDer, keyIdentifier, keyPairSpki,
  randomSerial,
} from "../pki/index.ts";
import { assertSigningCa, createRootCa, issueFromTemplate, localKeySigner, usagesToExtensions, validityWindow } from "../ca/index.ts";
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
  /** Optional: files added as they are signed and made visible together on commit, with one
   *  durability pass (cli/io-batch.ts); applyPlan uses it when present. */
  stageFiles?(): FileStage;
}

export interface FileStage {
  add(files: readonly { path: string; data: string | Uint8Array; mode?: number }[]): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
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

/** RSA keys on libuv's thread pool (both cores); EC/Ed25519 keys with their DER known up front, so
 *  neither the certificate's SPKI nor the key file pays OpenSSL 3's encoders (pki generateKeyPairDer). */
async function newKey(alg: KeyAlgorithm): Promise<KeyPair> {
  return alg.kind === "rsa" ? generateKeyPairAsync(alg) : generateKeyPairDer(alg);
}

/** A CA held in this process: its certificate and its key as a KeySigner. */
export interface LocalCa {
  readonly cert: Certificate;
  readonly key: KeySigner;
  readonly random: RandomSource;
}

/** Refuses (ca/ assertSigningCa) a certificate that is not a CA or a key that is not the certificate's,
 *  the same check every Signer makes; `files` ("DIR/pki/ca": .crt and .key) names them in the error. */
export function localCa(issued: Issued, random: RandomSource, files?: string): LocalCa {
  const key = localKeySigner(issued.key);
  assertSigningCa(key, issued.cert, files === undefined ? undefined : { cert: `${files}.crt`, key: `${files}.key` });
  return { cert: issued.cert, key, random };
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
  const spki = keyPairSpki(key);
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

type FileOut = { readonly rel: string; readonly path: string; readonly data: string; readonly mode: number };
type WriteCtx = { dir: string; sink: PkiSink; caPem: string; clusterName: string; server: string };

/** The files of one issued certificate: .crt/.key and/or an embedding kubeconfig (paths under ctx.dir). */
export function issuedFiles(spec: CertSpec, it: Issued, ctx: Omit<WriteCtx, "sink">): FileOut[] {
  const certPem = encodeCertificatePem(it.cert);
  const keyPem = encodePrivateKeyPem(it.key);
  const files: FileOut[] = [];
  const out = (rel: string, data: string, mode: number): number => files.push({ rel, path: join(ctx.dir, rel), data, mode });
  if (spec.files) {
    out(`${spec.files}.crt`, certPem, 0o644);
    out(`${spec.files}.key`, keyPem, 0o600);
  }
  if (spec.kubeconfig) {
    const text = renderKubeconfig({ clusterName: ctx.clusterName, server: ctx.server, caPem: ctx.caPem, userName: spec.commonName, certPem, keyPem });
    out(spec.kubeconfig, text, 0o600);
  }
  return files;
}

/** Where one applyPlan's (or writeIssued's) files go: the sink's stage, committed once at the end,
 *  or, without one, an atomic write per file as they come. */
interface Output {
  write(files: readonly FileOut[]): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

function outputTo(sink: PkiSink): Output {
  const stage = sink.stageFiles?.();
  if (stage) return { write: (files) => stage.add(files), commit: () => stage.commit(), abort: () => stage.abort() };
  const done = async (): Promise<void> => undefined;
  // Concurrent atomic writes let the filesystem group their fsyncs into one journal commit.
  const write = async (files: readonly FileOut[]): Promise<void> => void (await Promise.all(files.map((f) => sink.writeFileAtomic(f.path, f.data, { mode: f.mode }))));
  return { write, commit: done, abort: done };
}

/** Promise.all that waits for every promise before it throws the first failure: abort() must not
 *  run while a write still in flight could create a temp file after it. */
async function settleAll<T extends readonly unknown[]>(ps: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const results = await Promise.allSettled(ps);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as { -readonly [K in keyof T]: Awaited<T[K]> };
}

/** Runs `fn` with an output; commits when it succeeds, aborts (no temp file left) when it fails. */
async function withOutput<T>(sink: PkiSink, fn: (out: Output) => Promise<T>): Promise<T> {
  const out = outputTo(sink);
  try {
    const result = await fn(out);
    await out.commit();
    return result;
  } catch (err) {
    await out.abort();
    throw err;
  }
}


/** Write one issued certificate to its outputs: .crt/.key files and/or an embedding kubeconfig. */
export async function writeIssued(spec: CertSpec, it: Issued, ctx: WriteCtx): Promise<string[]> {
  const files = issuedFiles(spec, it, ctx);
  await withOutput(ctx.sink, (out) => out.write(files));
  return files.map((f) => f.rel);
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

const BATCH = 128;

/** Lets pending I/O callbacks run. The batch writer submits each next fs call from the previous one's
 *  callback, so while this thread signs without reaching the event loop (EC keys and signatures are
 *  synchronous; `await` on settled promises only runs microtasks) libuv's threads would sit idle. */
const yieldToIo = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Leaves in batches: a batch is signed (CPU on this thread, RSA keys on libuv's pool), then its files
 *  go to the output (temp files, made visible at commit) on libuv's threads while the next batch is
 *  signed. The writes go down two chains (at most two batches in flight), which keeps the pool's queue
 *  short for the RSA key generations. */
async function issueLeaves(leaves: readonly CertStep[], cas: ReadonlyMap<string, ReadyCa>, plan: PkiPlan, opts: ApplyOptions, now: Date, out: Output): Promise<string[]> {
  const chains: Promise<void>[] = [Promise.resolve(), Promise.resolve()];
  const written: string[] = [];
  let lane = 0;
  const send = (files: FileOut[]): void => {
    const next = chains[lane]!.then(() => out.write(files));
    next.catch(() => undefined); // awaited below; this only keeps an early failure from being "unhandled" meanwhile
    chains[lane] = next;
    lane = 1 - lane;
    for (const f of files) written.push(f.rel);
  };
  try {
    await signBatches(leaves, cas, plan, opts, now, send);
  } finally {
    await Promise.allSettled(chains); // a signing failure too waits for the writes in flight (abort comes after them)
  }
  await settleAll(chains);
  return written;
}

async function signBatches(leaves: readonly CertStep[], cas: ReadonlyMap<string, ReadyCa>, plan: PkiPlan, opts: ApplyOptions, now: Date, send: (files: FileOut[]) => void): Promise<void> {
  const width = opts.concurrency ?? 32;
  for (let b = 0; b < leaves.length; b += BATCH) {
    const files: FileOut[] = [];
    const batch = leaves.slice(b, b + BATCH);
    for (let i = 0; i < batch.length; i += width) {
      // RSA keys generate concurrently on the thread pool; EC keys are synchronous anyway.
      const issued = await Promise.all(batch.slice(i, i + width).map(async ({ spec }) => {
        const ca = cas.get(spec.ca ?? "");
        if (!ca) throw new ClusterError("bad-spec", `certificate "${spec.name}" references unknown CA "${spec.ca ?? ""}"`);
        const it = await issueLeaf(ca.ca, { subject: subjectOf(spec), sans: spec.sans, usages: spec.usages, role: spec.role, alg: plan.keyAlgorithm, validityMs: plan.leafValidityMs, now });
        return issuedFiles(spec, it, { dir: opts.dir, caPem: ca.pem, clusterName: plan.clusterName, server: plan.server });
      }));
      for (const f of issued) files.push(...f);
      await yieldToIo();
    }
    send(files);
  }
}

/** The service-account signing key. kube-apiserver's --service-account-key-file and kube-controller-
 *  manager's --service-account-private-key-file accept RSA and ECDSA keys only (k8s.io/client-go/util/
 *  keyutil; service-account tokens are RS256/ES256/ES384/ES512 JWTs, no EdDSA), so with keyAlgorithm
 *  ed25519 the sa key is ECDSA P-256 while every certificate stays Ed25519. */
async function saKeyFiles(plan: PkiPlan, dir: string): Promise<FileOut[]> {
  const key = await newKey(plan.keyAlgorithm.kind === "ed25519" ? { kind: "ecdsa", curve: "P-256" } : plan.keyAlgorithm);
  const [k, p] = [`${SA_KEY.files}.key`, `${SA_KEY.files}.pub`];
  return [{ rel: k, path: join(dir, k), data: encodePrivateKeyPem(key), mode: 0o600 }, { rel: p, path: join(dir, p), data: encodePublicKeyPem(key), mode: 0o644 }];
}

/** Returns the files written. Nothing is written for "keep" steps. */
export async function applyPlan(plan: PkiPlan, opts: ApplyOptions): Promise<string[]> {
  const now = opts.clock.now();
  if (plan.steps.some((s) => s.action !== "keep")) await ensureDirs(plan, opts);
  // Every file of the run becomes visible at the end, together (a failure leaves none of them).
  return withOutput(opts.sink, (out) => applySteps(plan, opts, now, out));
}

async function applySteps(plan: PkiPlan, opts: ApplyOptions, now: Date, out: Output): Promise<string[]> {
  const cas = new Map<string, ReadyCa>();
  const first: FileOut[] = [];
  const certSteps = plan.steps.filter((s): s is CertStep => s.kind === "cert");
  for (const step of certSteps.filter((s) => s.spec.isCa)) {
    const issued = await applyCa(step, plan, opts, now);
    cas.set(step.spec.name, { ca: localCa(issued, opts.random, step.spec.files && join(opts.dir, step.spec.files)), pem: encodeCertificatePem(issued.cert) });
    if (step.action !== "keep") first.push(...issuedFiles(step.spec, issued, { dir: opts.dir, caPem: "", clusterName: plan.clusterName, server: plan.server }));
  }
  if (plan.steps.some((s) => s.kind === "sa-key" && s.action === "create")) first.push(...(await saKeyFiles(plan, opts.dir)));
  // CA and service-account files are written while the leaves are being signed.
  const firstWrite = out.write(first);
  const leaves = certSteps.filter((s) => !s.spec.isCa && s.action !== "keep");
  const [, leafFiles] = await settleAll([firstWrite, issueLeaves(leaves, cas, plan, opts, now, out)] as const);
  return [...first.map((f) => f.rel), ...leafFiles];
}
