// Storage throughput through the StorageBackend: etcd (one real etcd 3.4 member over mTLS, with the
// watch cache) beside SQLite (the embedded default), both with data on the same disk, same run.
// Issue 5's goal: reads/s on etcd ≥ 80 % of SQLite's — reads come from the watch cache.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Reporter } from "./run.ts";
import type { StorageBackend } from "../src/storage/index.ts";
import { openSqliteBackend } from "../src/storage/index.ts";
import { openEtcdBackend } from "../src/storage/etcd/index.ts";
import { startEtcd } from "../test/helpers/etcd.ts";

const KEYS = 2000;
const CONCURRENCY = 16;
const VALUE = new Uint8Array(1024).fill(120); // about one small Kubernetes object

/** Runs `n` operations with `CONCURRENCY` in flight; returns operations per second. */
async function rate(n: number, op: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    for (let i = next++; i < n; i = next++) await op(i);
  }));
  return n / ((performance.now() - t0) / 1000);
}

interface Rates { create: number; update: number; get: number; list: number }

async function measure(b: StorageBackend): Promise<Rates> {
  const key = (i: number): string => `/registry/core/configmaps/ns${i % 20}/cm${i}`;
  const create = await rate(KEYS, (i) => b.create(key(i), VALUE));
  const update = await rate(KEYS, async (i) => {
    const cur = await b.get(key(i));
    if (cur) await b.update(key(i), VALUE, cur.modRevision);
  });
  const get = await rate(50_000, (i) => b.get(key((i * 7919) % KEYS)));
  const list = await rate(2000, (i) => b.list(`/registry/core/configmaps/ns${i % 20}/`)); // 100 objects each
  return { create, update, get, list };
}

export default async function bench(r: Reporter): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "kpki-bench-storage-"));
  const cluster = await startEtcd({ members: 1, baseDir: dir });
  // A generous deadline: this measures throughput, not failure detection.
  const opts = { endpoints: cluster.endpoints, caPem: cluster.caPem, certPem: cluster.certPem, keyPem: cluster.keyPem, requestTimeoutMs: 60_000 };
  try {
    const sqlite = openSqliteBackend(join(dir, "kpki.db"));
    const s = await measure(sqlite);
    await sqlite.close();
    const cached = await openEtcdBackend({ ...opts, prefix: "/cached" });
    const e = await measure(cached);
    await cached.close();
    const direct = await openEtcdBackend({ ...opts, prefix: "/direct", cache: false });
    const d = await measure(direct);
    await direct.close();
    const peer = { peerName: "SQLite", unit: "ops/s" };
    r.row({ name: `storage create, ${CONCURRENCY} in flight (etcd)`, ours: e.create, peer: s.create, ...peer });
    r.row({ name: `storage get+CAS update, ${CONCURRENCY} in flight (etcd)`, ours: e.update, peer: s.update, ...peer });
    r.row({ name: "storage get (etcd + watch cache)", ours: e.get, peer: s.get, ...peer });
    r.row({ name: "storage list 100 keys (etcd + watch cache)", ours: e.list, peer: s.list, ...peer });
    r.row({ name: "storage get (etcd, no cache)", ours: d.get, peer: s.get, ...peer, note: "every read a linearizable etcd range" });
    r.row({ name: "storage list 100 keys (etcd, no cache)", ours: d.list, peer: s.list, ...peer });
    r.note(`data on ${tmpdir()} for both; etcd ${cluster.certSource} certificates, mTLS on loopback; 1 KiB values, ${KEYS} keys`);
  } finally {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
