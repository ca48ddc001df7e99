// Throughput THROUGH THE API (HTTPS mTLS, keep-alive, 16 concurrent clients) of `./bin/kpki serve`
// processes on etcd with 1, 2 and 3 replicas (clients spread over them), beside one on SQLite, in the
// same run: ConfigMap creates (writes), GETs and LISTs of 100 (reads), and CSR issuance end to end
// (create → approve via /approval → status.certificate seen on a watch). Issue 5's goals: reads on etcd
// ≥ 80 % of SQLite's, issuance on etcd ≥ 50 % of SQLite's. Everything shares this machine's cores
// (etcd, every replica, the load generator), so replicas add capacity only where the CPU has room.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { Agent, request } from "node:https";
import type { Reporter } from "./run.ts";
import { createCsr, encodeCsrPem, generateKeyPair, makeDn } from "../src/pki/index.ts";
import { startEtcd } from "../test/helpers/etcd.ts";
import { CSR_PATH, adminIdentity, apiClient, approve, csrObject, spawnReplica, spawnServe, type ApiClient, type Replica } from "../test/helpers/replicas.ts";

const MS = Number(process.env["KPKI_BENCH_MS"] ?? 3000);
const CLIENTS = 16;
const ISSUE = 300;
/** Read figures alternate SQLite and etcd this many times (MS / READ_ROUNDS each; medians): this
 *  shared machine's load swings within seconds, so figures taken minutes apart do not compare. */
const READ_ROUNDS = 3;
type Admin = Awaited<ReturnType<typeof adminIdentity>>;

/** A keep-alive request that only reads the status (no JSON parsing: the client must not be the bottleneck). */
function status(agent: Agent, url: URL, method: string, path: string, body?: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: url.hostname, port: url.port, method, path, agent, headers: { accept: "application/json", ...(body ? { "content-type": "application/json" } : {}) } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", () => resolve(0));
    req.end(body);
  });
}

/** `CLIENTS` loops over the replicas for MS ms; returns successful operations per second. */
async function rate(targets: readonly Target[], op: (t: Target, i: number) => Promise<boolean>, ms = MS): Promise<number> {
  let next = 0;
  let ok = 0;
  const end = performance.now() + ms;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CLIENTS }, async (_, c) => {
    while (performance.now() < end) if (await op(targets[c % targets.length]!, next++)) ok++;
  }));
  return ok / ((performance.now() - t0) / 1000);
}

interface Target { agent: Agent; url: URL }
/** A server under test after measureApi: its agents (open), namespace and ConfigMaps created. */
interface Side { targets: Target[]; ns: string; created: number }
/** get: kubectl's GET (no resourceVersion: the latest, linearizable); getAny: resourceVersion=0
 *  (kube's "any": answered from the watch cache as it is, no etcd round trip). */
interface Reads { get: number; getAny: number; list: number }

/** GETs of the ConfigMaps measureApi created, and LISTs of the 100 in `ns`-list, for `ms` each. */
async function measureReads(side: Side, ms: number): Promise<Reads> {
  const base = `/api/v1/namespaces/${side.ns}/configmaps`;
  const getAt = (query: string) => async (t: Target, i: number) => (await status(t.agent, t.url, "GET", `${base}/c${(i * 7919) % side.created}${query}`)) === 200;
  const get = await rate(side.targets, getAt(""), ms);
  const getAny = await rate(side.targets, getAt("?resourceVersion=0"), ms);
  const list = await rate(side.targets, async (t) => (await status(t.agent, t.url, "GET", `/api/v1/namespaces/${side.ns}-list/configmaps`)) === 200, ms);
  return { get, getAny, list };
}

/** SQLite's and etcd's reads alternated READ_ROUNDS times (the order flipping each round); medians. */
async function pairedReads(sqlite: Side, etcd: Side): Promise<{ sqlite: Reads; etcd: Reads }> {
  const runs: { sqlite: Reads[]; etcd: Reads[] } = { sqlite: [], etcd: [] };
  for (let i = 0; i < READ_ROUNDS; i++) {
    for (const which of i % 2 === 0 ? (["sqlite", "etcd"] as const) : (["etcd", "sqlite"] as const)) {
      runs[which].push(await measureReads(which === "sqlite" ? sqlite : etcd, MS / READ_ROUNDS));
    }
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  const med = (rs: Reads[]): Reads => ({ get: median(rs.map((x) => x.get)), getAny: median(rs.map((x) => x.getAny)), list: median(rs.map((x) => x.list)) });
  return { sqlite: med(runs.sqlite), etcd: med(runs.etcd) };
}

/** Namespaces, 100 ConfigMaps to list, and creates for MS ms; the agents stay open for the reads. */
async function measureApi(urls: readonly string[], admin: Admin, ns: string): Promise<{ create: number; side: Side }> {
  const targets = urls.map((u) => ({ url: new URL(u), agent: new Agent({ keepAlive: true, maxSockets: CLIENTS, ca: admin.caPem, cert: admin.id.certPem, key: admin.id.keyPem }) }));
  const t0 = targets[0]!;
  const cm = (name: string): string => JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data: { k: "v".repeat(64) } });
  const base = `/api/v1/namespaces/${ns}/configmaps`;
  await status(t0.agent, t0.url, "POST", "/api/v1/namespaces", JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } }));
  await status(t0.agent, t0.url, "POST", "/api/v1/namespaces", JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: `${ns}-list` } }));
  for (let i = 0; i < 100; i++) await status(t0.agent, t0.url, "POST", `/api/v1/namespaces/${ns}-list/configmaps`, cm(`l${i}`));
  let created = 0;
  const create = await rate(targets, async (t, i) => (await status(t.agent, t.url, "POST", base, cm(`c${i}`))) === 201 && ++created > 0);
  await new Promise((r) => setTimeout(r, 300)); // every replica's watch cache catches up
  return { create, side: { targets, ns, created } };
}

/** A watch on CSRs that resolves `issued(name)` once status.certificate appears. */
function watchIssued(url: string, admin: Admin): { issued(name: string): Promise<void>; stop(): void } {
  const waiters = new Map<string, () => void>();
  const done = new Set<string>();
  const u = new URL(url);
  const req = request({ host: u.hostname, port: u.port, path: `${CSR_PATH}?watch=true`, ca: admin.caPem, cert: admin.id.certPem, key: admin.id.keyPem }, (res) => {
    let buf = "";
    res.setEncoding("utf8");
    res.on("data", (chunk: string) => {
      buf += chunk;
      for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
        const ev = JSON.parse(buf.slice(0, nl)) as { object: { metadata: { name: string }; status?: { certificate?: string } } };
        buf = buf.slice(nl + 1);
        if ((ev.object.status?.certificate ?? "") === "") continue;
        done.add(ev.object.metadata.name);
        waiters.get(ev.object.metadata.name)?.();
      }
    });
  });
  req.on("error", () => undefined);
  req.end();
  return {
    issued: (name) => (done.has(name) ? Promise.resolve() : new Promise((r) => waiters.set(name, r))),
    stop: () => req.destroy(),
  };
}

/** CSRs per second, create → approve → issued, `CLIENTS` in flight, spread over the replicas
 *  (a CSR whose create or approval the API refused is counted as not issued). */
async function measureIssuance(urls: readonly string[], admin: Admin, prefix: string, pems: readonly string[]): Promise<{ perSecond: number; failed: string[] }> {
  const clients: ApiClient[] = urls.map((u) => apiClient(u, admin.caPem, admin.id, CLIENTS));
  const watch = watchIssued(urls[0]!, admin);
  await new Promise((r) => setTimeout(r, 200)); // the watch is open
  let next = 0;
  const failed: string[] = [];
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CLIENTS }, async (_, c) => {
    for (let i = next++; i < pems.length; i = next++) {
      const client = clients[c % clients.length]!;
      const name = `${prefix}-${i}`;
      const made = await client.call("POST", CSR_PATH, csrObject(name, pems[i]!)).catch((err: unknown) => ({ status: 0, body: { error: String(err) } }));
      if (made.status !== 201) {
        failed.push(`create ${name}: ${made.status} ${JSON.stringify(made.body).slice(0, 200)}`);
        continue;
      }
      const approved = await approve(client, name).catch(() => 0);
      if (approved !== 200) failed.push(`approve ${name}: ${approved}`);
      else await watch.issued(name);
    }
  }));
  const perSecond = (pems.length - failed.length) / ((performance.now() - t0) / 1000);
  watch.stop();
  for (const c of clients) c.close();
  return { perSecond, failed };
}

function csrPems(n: number): string[] {
  return Array.from({ length: n }, (_, i) => encodeCsrPem(createCsr({ subject: makeDn([{ type: "CN", value: `bench-${i}` }]), key: generateKeyPair({ kind: "ecdsa", curve: "P-256" }) })));
}

export default async function bench(r: Reporter): Promise<void> {
  const disk = mkdtempSync(join(tmpdir(), "kpki-bench-api-"));
  const running: Replica[] = [];
  const pems = csrPems(ISSUE);
  try {
    const sqliteDir = join(disk, "sqlite");
    const sqlite = await spawnServe(sqliteDir);
    running.push(sqlite);
    const sqliteAdmin = await adminIdentity(sqliteDir);
    const s = await measureApi([sqlite.url], sqliteAdmin, "bench");
    const sIssue = await measureIssuance([sqlite.url], sqliteAdmin, "sq", pems);
    // SQLite stays up: its reads are measured alternately with each etcd configuration's.

    const etcd = await startEtcd({ members: 1, baseDir: disk }); // data on the same disk as SQLite's
    try {
      const admin = await adminIdentity(etcd.dir);
      const peer = { peerName: "SQLite", unit: "ops/s" } as const;
      let eIssue1 = { perSecond: 0, failed: [] as string[] };
      for (const n of [1, 2, 3]) {
        running.push(await spawnReplica(etcd.dir, etcd));
        const urls = running.slice(1).map((x) => x.url);
        const e = await measureApi(urls, admin, `bench-${n}`);
        const reads = await pairedReads(s.side, e.side);
        for (const t of e.side.targets) t.agent.destroy();
        const label = `${n} replica${n > 1 ? "s" : ""}`;
        r.row({ name: `API create ConfigMap, ${CLIENTS} clients (etcd, ${label})`, ours: e.create, peer: s.create, ...peer });
        r.row({ name: `API get ConfigMap, ${CLIENTS} clients (etcd, ${label})`, ours: reads.etcd.get, peer: reads.sqlite.get, ...peer });
        r.row({ name: `API get ConfigMap ?resourceVersion=0, ${CLIENTS} clients (etcd, ${label})`, ours: reads.etcd.getAny, peer: reads.sqlite.getAny, ...peer });
        r.row({ name: `API list 100 ConfigMaps, ${CLIENTS} clients (etcd, ${label})`, ours: reads.etcd.list, peer: reads.sqlite.list, ...peer });
        if (n === 1) eIssue1 = await measureIssuance(urls, admin, "e1", pems);
      }
      for (const t of s.side.targets) t.agent.destroy();
      await sqlite.kill();
      const eIssue3 = await measureIssuance(running.slice(1).map((x) => x.url), admin, "e3", pems);
      const issuePeer = { peer: sIssue.perSecond, peerName: "SQLite", unit: "CSRs/s" } as const;
      r.row({ name: `CSR issuance create→approve→issued, ${CLIENTS} in flight (etcd, 1 replica)`, ours: eIssue1.perSecond, ...issuePeer });
      r.row({ name: `CSR issuance create→approve→issued, ${CLIENTS} in flight (etcd, 3 replicas)`, ours: eIssue3.perSecond, ...issuePeer });
      const failures = [...sIssue.failed, ...eIssue1.failed, ...eIssue3.failed];
      if (failures.length > 0) r.note(`${failures.length} CSR requests refused (not counted): ${failures.slice(0, 3).join("; ")}`);
      r.note("small ConfigMaps (64-byte value); every GET and LIST without a resourceVersion is linearizable: a lone replica answers it from memory under the read lease (no other replica can write meanwhile); with 2 and 3 replicas it waits for the cache to reach etcd's current revision, one quorum fetch shared by the reads that arrive together (src/storage/README.md); GET ?resourceVersion=0 is kube's any-version read, answered from the watch cache with no etcd round trip; updates start from the cached object (kube's GuaranteedUpdate)");
      r.note(`real ./bin/kpki serve processes; etcd ${etcd.certSource} certs, 1 member, data on ${disk} like SQLite's; ${MS} ms per figure; reads: SQLite and etcd alternated ${READ_ROUNDS}× (${(MS / READ_ROUNDS).toFixed(0)} ms each), medians`);
      r.note(`goals: reads on etcd ≥ 80 % of SQLite's; issuance on etcd ≥ 50 % of SQLite's. load average ${loadavg().map((x) => x.toFixed(2)).join(" ")} on ${(await import("node:os")).cpus().length} CPUs`);
      const debugDir = process.env["KPKI_BENCH_DEBUG"]; // where to keep each replica's stderr
      if (debugDir) running.forEach((x, i) => writeFileSync(join(debugDir, `replica-${i}.log`), x.proc.stderr()));
      for (const x of running) await x.kill();
      running.length = 0;
    } finally {
      await etcd.stop();
    }
  } finally {
    for (const x of running) await x.kill();
    rmSync(disk, { recursive: true, force: true });
  }
}
