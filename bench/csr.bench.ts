// The CSR path, beside `cfssl serve`'s /api/v1/cfssl/sign on the same CSRs and the same CA in the same run:
// (a) the signing step alone — the csrsigning controller's reconcile of an approved CSR in-process
//     (parse, proof-of-possession check, signer checks, sign, ledger record, status compare-and-swap),
//     cold: none of these CSRs was seen before — against cfssl's whole HTTP request (issue 4's goal:
//     no dearer than that);
// (b) end to end over the API (create → approve → issued → fetched) with concurrent mTLS clients
//     against an in-process `kpki serve` (memory storage, controllers on): certificates/s and p50/p99
//     from create to issued (seen on a watch), and an open-loop run at 100 CSRs/s (goal p99 < 50 ms).
import { spawn, spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { Agent, request as httpsRequest } from "node:https";
import { request as httpRequest, Agent as HttpAgent } from "node:http";
import { tmpdir } from "node:os";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { join } from "node:path";
import { systemClock, systemRandom, toBase64, utf8 } from "../src/base/index.ts";
import { parseCsrRequest, verifyCsrOnce, type CertificateSigningRequest } from "../src/api/index.ts";
import { createLocalSigner, localKeySigner } from "../src/ca/index.ts";
import { builtInSigners, createSigningController } from "../src/controllers/index.ts";
import { createMemoryBackend, createStore } from "../src/storage/index.ts";
import { currentIdentity, parseKubeconfig } from "../src/config/index.ts";
import { startServer } from "../src/main/start-server.ts";
import { createCsr, encodeCsrPem, generateKeyPairAsync, parseCertificatePem, parseDn, parsePrivateKeyPem } from "../src/pki/index.ts";
import type { Reporter } from "./run.ts";

const N = 600;
const CONCURRENCY = 16;
const WARMUP = 50;
const CSR_PATH = "/apis/certificates.k8s.io/v1/certificatesigningrequests";

type Call = (method: string, path: string, body?: unknown) => Promise<{ status: number; body: Record<string, unknown> }>;

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
}

export async function apiClient(adminConf: string): Promise<{ call: Call; agent: Agent; url: URL }> {
  const { cluster, user } = currentIdentity(await parseKubeconfig(await readFile(adminConf, "utf8"), adminConf), adminConf);
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY * 2, ca: cluster.caPem, cert: user.certPem, key: user.keyPem });
  const url = new URL(cluster.server);
  const call: Call = (method, path, body) =>
    new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : JSON.stringify(body);
      const req = httpsRequest({ host: url.hostname, port: url.port, path, method, agent, headers: { accept: "application/json", ...(data ? { "content-type": "application/json" } : {}) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString() || "{}") as Record<string, unknown> }));
      });
      req.on("error", reject);
      if (data) req.write(data);
      req.end();
    });
  return { call, agent, url };
}

/** A watch on the CSR collection resolving a waiter when its CSR's status.certificate appears. */
export function watchIssued(api: { agent: Agent; url: URL }, signal: AbortSignal): Map<string, (t: number) => void> {
  const waiters = new Map<string, (t: number) => void>();
  const req = httpsRequest({ host: api.url.hostname, port: api.url.port, path: `${CSR_PATH}?watch=1`, agent: new Agent({ ca: api.agent.options.ca, cert: api.agent.options.cert, key: api.agent.options.key }), signal }, (res) => {
    let buf = "";
    res.on("data", (c: Buffer) => {
      buf += c.toString();
      let i: number;
      while ((i = buf.indexOf("\n")) >= 0) {
        const ev = JSON.parse(buf.slice(0, i)) as { object: { metadata: { name: string }; status?: { certificate?: string } } };
        buf = buf.slice(i + 1);
        if (ev.object.status?.certificate) waiters.get(ev.object.metadata.name)?.(performance.now());
      }
    });
  });
  req.on("error", () => undefined);
  req.end();
  return waiters;
}

export async function oneCsr(call: Call, waiters: Map<string, (t: number) => void>, name: string, pem: string): Promise<number> {
  const t0 = performance.now();
  const issued = new Promise<number>((r) => waiters.set(name, r));
  const created = await call("POST", CSR_PATH, { apiVersion: "certificates.k8s.io/v1", kind: "CertificateSigningRequest", metadata: { name }, spec: { request: toBase64(utf8(pem)), signerName: "kubernetes.io/kube-apiserver-client", usages: ["client auth"] } });
  if (created.status !== 201) throw new Error(`create ${name}: ${created.status} ${JSON.stringify(created.body).slice(0, 200)}`);
  const cond = { type: "Approved", status: "True", reason: "Bench", message: "bench" };
  const approved = await call("PUT", `${CSR_PATH}/${name}/approval`, { ...created.body, status: { conditions: [cond] } });
  if (approved.status !== 200) throw new Error(`approve ${name}: ${approved.status}`);
  const t1 = await issued;
  waiters.delete(name);
  const got = await call("GET", `${CSR_PATH}/${name}`);
  if (!(got.body["status"] as { certificate?: string }).certificate) throw new Error(`${name}: no certificate on GET`);
  return t1 - t0;
}

export async function closedLoop<T>(items: readonly T[], work: (x: T, i: number) => Promise<number>, clients = CONCURRENCY): Promise<{ rate: number; lat: number[] }> {
  const lat: number[] = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: clients }, async () => {
    while (next < items.length) {
      const i = next++;
      lat.push(await work(items[i]!, i));
    }
  }));
  return { rate: items.length / ((performance.now() - start) / 1000), lat };
}

/** (a): the csrsigning controller's reconcile of approved CSRs, one after another on this thread.
 *  `validated`: the API's create validation already parsed and verified each request (what happens in
 *  `kpki serve`, whose signer shares that result); otherwise every CSR is parsed and verified here. */
export async function signingStep(dir: string, pems: readonly string[], validated: boolean): Promise<{ rate: number; lat: number[] }> {
  const caCertificate = parseCertificatePem(await readFile(join(dir, "pki", "ca.crt"), "utf8"));
  const key = localKeySigner(parsePrivateKeyPem(await readFile(join(dir, "pki", "ca.key"), "utf8")));
  // As kpki serve wires it (main/signing-cas.ts): the proof-of-possession result is shared with the API's validation.
  const signer = createLocalSigner({ signerName: "kubernetes", caCertificate, key, clock: systemClock, random: systemRandom, verifyCsr: verifyCsrOnce });
  const backend = createMemoryBackend();
  const store = createStore<CertificateSigningRequest>(backend, { namespaced: false, group: "certificates.k8s.io", resource: "certificatesigningrequests" }, { clock: systemClock, random: systemRandom });
  const ctl = createSigningController({ store, signers: builtInSigners(signer), ledger: backend, clock: systemClock });
  const approved = { type: "Approved", status: "True", reason: "Bench", message: "bench", lastUpdateTime: new Date().toISOString() } as const;
  const objs: CertificateSigningRequest[] = [];
  for (const [i, pem] of pems.entries()) {
    objs.push(await store.create({
      apiVersion: "certificates.k8s.io/v1", kind: "CertificateSigningRequest", metadata: { name: `step-${i}` },
      spec: { request: toBase64(utf8(pem)), signerName: "kubernetes.io/kube-apiserver-client", usages: ["client auth"], username: "bench", groups: ["system:authenticated"] },
      status: { conditions: [approved] },
    }));
  }
  const signal = new AbortController().signal;
  for (const obj of objs.splice(0, WARMUP)) await ctl.reconcile(obj, signal); // JIT warm-up, untimed
  if (validated) for (const obj of objs) verifyCsrOnce(parseCsrRequest(obj));
  const lat: number[] = [];
  const start = performance.now();
  for (const obj of objs) {
    const t0 = performance.now();
    await ctl.reconcile(obj, signal);
    lat.push(performance.now() - t0);
  }
  const rate = objs.length / ((performance.now() - start) / 1000);
  const done = await store.get("", `step-${WARMUP}`);
  if (!done?.status?.certificate) throw new Error("signing step: no certificate written");
  return { rate, lat };
}

async function cfsslServe(dir: string, pems: readonly string[], clients = CONCURRENCY): Promise<{ rate: number; lat: number[] } | undefined> {
  if (spawnSync("sh", ["-c", "command -v cfssl"]).status !== 0) return undefined;
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn("cfssl", ["serve", "-address", "127.0.0.1", "-port", String(port), "-ca", join(dir, "pki", "ca.crt"), "-ca-key", join(dir, "pki", "ca.key"), "-loglevel", "5"], { stdio: "ignore" });
  const agent = new HttpAgent({ keepAlive: true, maxSockets: CONCURRENCY * 2 });
  const sign = (pem: string) =>
    new Promise<number>((resolve, reject) => {
      const t0 = performance.now();
      const req = httpRequest({ host: "127.0.0.1", port, path: "/api/v1/cfssl/sign", method: "POST", agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => (res.statusCode === 200 ? resolve(performance.now() - t0) : reject(new Error(`cfssl ${res.statusCode}: ${Buffer.concat(chunks).toString().slice(0, 200)}`))));
      });
      req.on("error", reject);
      req.end(JSON.stringify({ certificate_request: pem }));
    });
  try {
    for (let i = 0; i < 100; i++) {
      if (await sign(pems[0]!).then(() => true, () => false)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    return await closedLoop(pems, (pem) => sign(pem), clients);
  } finally {
    child.kill();
    agent.destroy();
  }
}

export default async function (r: Reporter): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "kpki-bench-csr-"));
  const running = await startServer({ dataDir: dir, storage: "memory", port: 0, log: (l) => process.env["BENCH_LOG"] && console.error(l) });
  const stop = new AbortController();
  try {
    const keys = await Promise.all(Array.from({ length: N }, () => generateKeyPairAsync({ kind: "ecdsa", curve: "P-256" })));
    const pems = keys.map((key, i) => encodeCsrPem(createCsr({ subject: parseDn(`/CN=user-${i}/O=bench`), key })));
    // (a) before anything else has parsed these CSRs: the controller's step is measured cold.
    const half = Math.floor(pems.length / 2);
    const cold = await signingStep(dir, pems.slice(0, half), false);
    const warm = await signingStep(dir, pems.slice(half), true);
    const peer1 = await cfsslServe(dir, pems.slice(WARMUP), 1);
    const peerRow = (p50: boolean) => (peer1 ? pct(peer1.lat, p50 ? 50 : 99) : undefined);
    r.row({ name: "(a) signing step, as in kpki serve (request verified at create)", ours: warm.rate, peer: peer1?.rate, peerName: "cfssl /sign, 1 client", unit: "certs/s" });
    r.row({ name: "    per CSR p50 / p99", ours: pct(warm.lat, 50), peer: peerRow(true), peerName: "cfssl whole request p50", unit: "ms", lowerIsBetter: true, note: `p99 ${pct(warm.lat, 99).toFixed(3)} vs ${peerRow(false)?.toFixed(3) ?? "-"} ms` });
    r.row({ name: "    cold (parse + verify the request here too) p50", ours: pct(cold.lat, 50), peer: peerRow(true), peerName: "cfssl whole request p50", unit: "ms", lowerIsBetter: true, note: `${cold.rate.toFixed(0)} certs/s; p99 ${pct(cold.lat, 99).toFixed(3)} ms` });
    const api = await apiClient(join(dir, "admin.conf"));
    const waiters = watchIssued(api, stop.signal);
    await new Promise((res) => setTimeout(res, 200));
    for (let i = 0; i < 30; i++) await oneCsr(api.call, waiters, `warm-${i}`, pems[i]!); // JIT warm-up
    const ours = await closedLoop(pems, (pem, i) => oneCsr(api.call, waiters, `csr-${i}`, pem));
    const peer = await cfsslServe(dir, pems);
    r.row({ name: `(b) CSR create→approve→issued→GET, ${CONCURRENCY} clients`, ours: ours.rate, peer: peer?.rate, peerName: "cfssl serve /sign", unit: "certs/s" });
    r.row({ name: "  p50 create→issued", ours: pct(ours.lat, 50), peer: peer ? pct(peer.lat, 50) : undefined, peerName: "cfssl sign p50", unit: "ms", lowerIsBetter: true });
    r.row({ name: "  p99 create→issued", ours: pct(ours.lat, 99), peer: peer ? pct(peer.lat, 99) : undefined, peerName: "cfssl sign p99", unit: "ms", lowerIsBetter: true });
    // Open loop at 100 CSRs/s for 5 s: the latency goal (p99 < 50 ms). Arrivals follow the
    // schedule (t0 + i·10 ms), not the previous request, so a slow one does not hide the queueing it causes.
    const open: Promise<number>[] = [];
    const loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    const t0 = performance.now();
    for (let i = 0; i < 500; i++) {
      const wait = t0 + i * 10 - performance.now();
      if (wait > 0) await new Promise((res) => setTimeout(res, wait));
      open.push(oneCsr(api.call, waiters, `open-${i}`, pems[i % pems.length]!));
    }
    const lat = await Promise.all(open);
    loop.disable();
    r.row({ name: "  open loop 100 CSR/s: p99 create→issued", ours: pct(lat, 99), unit: "ms", lowerIsBetter: true, note: `p50 ${pct(lat, 50).toFixed(1)} ms; goal p99 < 50 ms; event-loop stalls p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms, max ${(loop.max / 1e6).toFixed(1)} ms` });
    r.note(`${N} P-256 CSRs, the data dir's CA for both; (b) includes 3 API round trips + the approving and signing controllers + the watch; cfssl is one HTTP request (no mTLS, Go on every core).`);
    api.agent.destroy();
  } finally {
    stop.abort();
    await running.close();
    await rm(dir, { recursive: true, force: true });
  }
}
