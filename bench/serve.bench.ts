// The per-request path: an authenticated (x509), RBAC-authorized GET of one ConfigMap over keep-alive
// mTLS, against a bare node:https server (requestCert, no auth, no routing) answering the same JSON
// bytes, in the same run. Goal (issue 3): kpki ≥ 60 % of the bare server's requests/s.
// The load generator runs in a worker thread so client and server each get a core; on 2 cores the
// client is often the bottleneck, so the server's event-loop busy time per request is reported too
// (the ratio of those is the capacity ratio the goal is about).
import { createServer } from "node:https";
import { Worker } from "node:worker_threads";
import { performance } from "node:perf_hooks";
import { readFile } from "node:fs/promises";
import { request } from "node:https";
import { parse as parseYaml } from "yaml";
import type { Reporter } from "./run.ts";
import { startTestServer } from "../test/helpers/kpki.ts";

const DURATION_MS = Number(process.env["KPKI_BENCH_MS"] ?? 6000);
const CONNECTIONS = 16;
const ROUNDS = 4;

interface Identity {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

// Plain JS (eval'd): N keep-alive connections, each looping GET → read body, for a fixed time.
const LOAD = `
const { workerData, parentPort } = require("node:worker_threads");
const https = require("node:https");
const { url, ca, cert, key, connections, durationMs } = workerData;
const agent = new https.Agent({ keepAlive: true, maxSockets: connections, ca, cert, key, servername: "localhost", noDelay: true });
let done = 0, errors = 0;
const end = Date.now() + durationMs;
function loop(resolve) {
  if (Date.now() >= end) return resolve();
  https.get(url, { agent, headers: { Accept: "application/json" } }, (res) => {
    res.on("data", () => {});
    res.on("end", () => { if (res.statusCode === 200) done++; else errors++; loop(resolve); });
  }).on("error", () => { errors++; loop(resolve); });
}
Promise.all(Array.from({ length: connections }, () => new Promise(loop))).then(() => {
  agent.destroy();
  parentPort.postMessage({ done, errors });
});
`;

interface LoadResult {
  readonly done: number;
  readonly errors: number;
  /** Server event-loop busy time (ms) during the run: capacity, independent of the client's speed. */
  readonly busyMs: number;
}

function load(url: string, id: Identity, durationMs: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const before = performance.eventLoopUtilization();
    const w = new Worker(LOAD, { eval: true, workerData: { url, ...id, connections: CONNECTIONS, durationMs } });
    w.once("message", (m: { done: number; errors: number }) => {
      resolve({ done: m.done, errors: m.errors, busyMs: performance.eventLoopUtilization(before).active });
    });
    w.once("error", reject);
  });
}

function get(url: string, id: Identity): Promise<string> {
  return new Promise((resolve, reject) => {
    request(url, { ...id, headers: { Accept: "application/json" } }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${res.statusCode}: ${body}`))));
    })
      .on("error", reject)
      .end();
  });
}

async function adminIdentity(conf: string): Promise<Identity> {
  const kc = parseYaml(await readFile(conf, "utf8")) as { clusters: { cluster: Record<string, string> }[]; users: { user: Record<string, string> }[] };
  const b64 = (s: string | undefined): string => Buffer.from(s ?? "", "base64").toString("utf8");
  return {
    ca: b64(kc.clusters[0]?.cluster["certificate-authority-data"]),
    cert: b64(kc.users[0]?.user["client-certificate-data"]),
    key: b64(kc.users[0]?.user["client-key-data"]),
  };
}

async function createObject(base: string, id: Identity): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const req = request(base, { ...id, method: "POST", headers: { "Content-Type": "application/json" } }, (res) => {
      res.resume();
      res.on("end", () => (res.statusCode === 201 ? resolve() : reject(new Error(`create: ${res.statusCode}`))));
    });
    req.on("error", reject);
    req.end(JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "bench" }, data: { k: "v" } }));
  });
}

interface Target {
  readonly name: string;
  readonly url: string;
  /** Each kpki has its own CA: its own admin identity. */
  readonly id: Identity;
  readonly totals: { done: number; errors: number; busyMs: number; ms: number };
}

/** kpki (in this process) on one storage backend, with the object to GET created. */
async function kpkiTarget(storage: "sqlite" | "memory"): Promise<{ target: Target; body: string; tlsDir: string; close: () => Promise<void> }> {
  const server = await startTestServer({ storage });
  const id = await adminIdentity(server.adminConf);
  const base = `https://localhost:${server.port}/api/v1/namespaces/default/configmaps`;
  await createObject(base, id);
  const body = await get(`${base}/bench`, id);
  const target = { name: storage, url: `${base}/bench`, id, totals: { done: 0, errors: 0, busyMs: 0, ms: 0 } };
  return { target, body, tlsDir: server.dir, close: () => server.close() };
}

export default async function bench(r: Reporter): Promise<void> {
  const sqlite = await kpkiTarget("sqlite");
  const memory = await kpkiTarget("memory");
  const { body } = sqlite;
  const id = sqlite.target.id; // the bare server serves sqlite's apiserver certificate
  const tls = { cert: await readFile(`${sqlite.tlsDir}/pki/apiserver.crt`), key: await readFile(`${sqlite.tlsDir}/pki/apiserver.key`) };
  const bare = createServer({ ...tls, requestCert: true, rejectUnauthorized: false, keepAlive: true }, (_req, res) => {
    res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((res) => bare.listen(0, "127.0.0.1", res));
  const peer: Target = { name: "bare", url: `https://localhost:${(bare.address() as { port: number }).port}/bench`, id, totals: { done: 0, errors: 0, busyMs: 0, ms: 0 } };
  try {
    const targets = [sqlite.target, memory.target, peer];
    for (const t of targets) await load(t.url, t.id, 500); // warm-up (JIT, caches, TLS sessions)
    // Short interleaved rounds: this machine is shared, so load drifts; every target sees the same drift.
    for (let round = 0; round < ROUNDS; round++) {
      for (const t of targets) {
        const m = await load(t.url, t.id, DURATION_MS / ROUNDS);
        t.totals.done += m.done;
        t.totals.errors += m.errors;
        t.totals.busyMs += m.busyMs;
        t.totals.ms += DURATION_MS / ROUNDS;
      }
    }
    const rate = (t: Target): number => t.totals.done / (t.totals.ms / 1000);
    const busyUs = (t: Target): number => (t.totals.busyMs * 1000) / Math.max(1, t.totals.done);
    for (const t of [sqlite.target, memory.target]) {
      r.row({ name: `GET one object, mTLS keep-alive, ${CONNECTIONS} conns (x509+RBAC, ${t.name})`, ours: rate(t), peer: rate(peer), peerName: "bare node:https", unit: "req/s" });
      r.row({ name: `  server busy time per GET (${t.name})`, ours: busyUs(t), peer: busyUs(peer), peerName: "bare node:https", unit: "µs", lowerIsBetter: true });
      if (t.totals.errors > 0) r.note(`errors (${t.name}): ${t.totals.errors}`);
    }
    r.note(`goal: kpki ≥ 0.60× the bare server (issue 3); ${ROUNDS} interleaved rounds, ${DURATION_MS} ms per target; load generator in a worker thread`);
  } finally {
    bare.close();
    await sqlite.close();
    await memory.close();
  }
}
