// A crypto pool: worker threads that do the two costly steps of issuance — importing the CSR's key and
// verifying its signature, and signing with the CA key — so issuance uses every core (DESIGN.md
// "Performance notes": Node is single-threaded; use worker threads, not processes). The DER work stays
// on the calling thread. The worker source is plain JS using only node:crypto, so it runs the same
// from TypeScript sources and from the bundle. Tasks are batched per event-loop turn to amortise
// postMessage (~10 µs a message).
import { Worker } from "node:worker_threads";
import { csrSignatureCheck, signatureSchemeFor } from "../pki/index.ts";
import type { Csr, KeyAlgorithm, KeyPair, SignatureCheck } from "../pki/index.ts";
import type { KeyObject } from "node:crypto";
import { CaError } from "./errors.ts";
import { assertSigningCa, localKeySigner } from "./issue.ts";
import type { CaFiles, KeySigner } from "./issue.ts";
import { createLocalSigner } from "./signer.ts";
import type { Signer } from "./signer.ts";
import type { Clock, RandomSource } from "../base/index.ts";
import type { Certificate } from "../pki/index.ts";

const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const crypto = require("node:crypto");
const caKey = crypto.createPrivateKey({ key: Buffer.from(workerData.pkcs8), format: "der", type: "pkcs8" });
const digest = workerData.digest;
async function importKey(k) {
  try {
    if (k.ec) {
      const raw = await crypto.webcrypto.subtle.importKey("raw", k.ec.point, { name: "ECDSA", namedCurve: k.ec.curve }, true, ["verify"]);
      return crypto.KeyObject.from(raw);
    }
    return crypto.createPublicKey({ key: Buffer.from(k.key), format: "der", type: k.type });
  } catch { return undefined; }
}
async function verify(t) {
  const key = await importKey(t.key);
  if (!key) return false;
  try { return crypto.verify(t.digest, t.data, key, t.signature); } catch { return false; }
}
async function run(t) {
  if (t.op === "sign") return crypto.sign(digest, t.data, caKey);
  if (t.op === "verify") return verify(t);
  return (await verify(t.check)) ? crypto.sign(digest, t.tbs, caKey) : false; // "issue": no proof, no signature
}
let chain = Promise.resolve();
parentPort.on("message", (batch) => {
  // In order (the caller matches replies to batches FIFO); a throw crashes the worker, so the caller's
  // "error" handler fails the batch instead of waiting for a reply that never comes.
  chain = chain.then(async () => parentPort.postMessage(await Promise.all(batch.map(run))))
    .catch((err) => process.nextTick(() => { throw err; }));
});
`;
const CHUNK = 8;

type Task = { op: "sign"; data: Uint8Array } | ({ op: "verify" } & SignatureCheck) | { op: "issue"; check: SignatureCheck; tbs: Uint8Array };
interface Pending {
  resolve(v: Uint8Array | boolean): void;
  reject(e: unknown): void;
}

interface Lane {
  worker: Worker;
  dead: boolean;
  inflight: Pending[][];
  load: number;
}

export interface CryptoPool {
  /** A KeySigner for the CA key whose signatures are made on the pool's threads. */
  readonly keySigner: KeySigner;
  /** Proof of possession on a pool thread (same answer as pki's verifyCsrSignature). */
  verifyCsr(csr: Csr): Promise<boolean>;
  /** Proof of possession and then the CA's signature over `tbs`, in one trip to a pool thread;
   *  undefined (and nothing signed) when the CSR's signature does not verify. */
  signWithProof(csr: Csr, tbs: Uint8Array): Promise<Uint8Array | undefined>;
  close(): Promise<void>;
}

/** Starts `threads` workers (default 2) holding the CA key. Call close() to stop them. */
export function createCryptoPool(opts: { caKey: KeyPair; threads?: number }): CryptoPool {
  const pkcs8 = new Uint8Array(opts.caKey.privateKey.export({ format: "der", type: "pkcs8" }));
  const digest = signatureSchemeFor(opts.caKey.algorithm).digest;
  const lanes: Lane[] = Array.from({ length: Math.max(1, opts.threads ?? 2) }, () => {
    const lane: Lane = { worker: new Worker(WORKER_SOURCE, { eval: true, workerData: { pkcs8, digest } }), dead: false, inflight: [], load: 0 };
    lane.worker.on("message", (results: (Uint8Array | boolean)[]) => {
      const batch = lane.inflight.shift() ?? [];
      lane.load -= batch.length;
      if (lane.load === 0) lane.worker.unref(); // idle workers do not keep the process alive
      batch.forEach((p, i) => p.resolve(results[i]!));
    });
    const failAll = (err: unknown): void => {
      for (const batch of lane.inflight.splice(0)) for (const p of batch) p.reject(err);
      lane.load = 0;
    };
    lane.worker.on("error", (err) => failAll(new CaError("signer-unavailable", `crypto pool worker failed: ${err.message}`)));
    lane.worker.on("exit", (code) => {
      lane.dead = true;
      failAll(new CaError("signer-unavailable", `crypto pool worker exited (code ${code})`));
    });
    lane.worker.unref();
    return lane;
  });
  let queue: { task: Task; p: Pending }[] = [];
  let scheduled = false;

  function flush(): void {
    scheduled = false;
    const items = queue;
    queue = [];
    // Small chunks to the least-loaded lane, so the threads and this thread overlap instead of taking turns.
    const live = lanes.filter((l) => !l.dead);
    if (live.length === 0) {
      for (const it of items) it.p.reject(new CaError("signer-unavailable", "crypto pool is closed"));
      return;
    }
    for (let i = 0; i < items.length; i += CHUNK) {
      const chunk = items.slice(i, i + CHUNK);
      let lane = live[0]!;
      for (const l of live) if (l.load < lane.load) lane = l;
      lane.inflight.push(chunk.map((c) => c.p));
      if (lane.load === 0) lane.worker.ref();
      lane.load += chunk.length;
      lane.worker.postMessage(chunk.map((c) => c.task));
    }
  }

  function submit<T extends Uint8Array | boolean>(task: Task): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      queue.push({ task, p: { resolve: resolve as (v: Uint8Array | boolean) => void, reject } });
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
  }

  const algorithm: KeyAlgorithm = opts.caKey.algorithm;
  const publicKey: KeyObject = opts.caKey.publicKey;
  return {
    keySigner: Object.freeze({
      algorithm,
      publicKey,
      sign: async (data: Uint8Array) => new Uint8Array(await submit<Uint8Array>({ op: "sign", data })),
    }),
    verifyCsr: (csr) => submit<boolean>({ op: "verify", ...csrSignatureCheck(csr) }),
    signWithProof: async (csr, tbs) => {
      const r = await submit<Uint8Array | boolean>({ op: "issue", check: csrSignatureCheck(csr), tbs });
      return r === false ? undefined : new Uint8Array(r as Uint8Array);
    },
    close: async () => {
      await Promise.all(lanes.map((l) => l.worker.terminate()));
    },
  };
}

/** A Signer whose key import, CSR verification and signing run on `threads` worker threads; the
 *  certificate rules are createLocalSigner's. Issue concurrently (many sign() calls in flight) to use the cores. */
export function createPooledSigner(opts: {
  signerName: string;
  caCertificate: Certificate;
  caKey: KeyPair;
  chain?: readonly Certificate[];
  clock: Clock;
  random: RandomSource;
  threads?: number;
  files?: CaFiles;
}): Signer & { close(): Promise<void> } {
  // Refuse a CA that cannot sign before any worker thread starts (createLocalSigner repeats the cheap check).
  assertSigningCa(localKeySigner(opts.caKey), opts.caCertificate, opts.files);
  const pool = createCryptoPool({ caKey: opts.caKey, threads: opts.threads });
  const signer = createLocalSigner({ ...opts, key: pool.keySigner, verifyCsr: pool.verifyCsr, signWithProof: pool.signWithProof });
  return Object.freeze({
    signerName: signer.signerName,
    caCertificate: signer.caCertificate,
    chain: signer.chain,
    sign: signer.sign,
    close: pool.close,
  });
}
