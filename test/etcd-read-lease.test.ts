// The etcd read lease (src/storage/etcd/read-lease.ts) on a real etcd: a lone replica answers
// consistent reads from its watch cache with no etcd round trip; when another replica comes, the
// other's first write waits for the lease to be given up and is then seen by the former holder's
// very next read; a holder killed with -9 blocks the others' writes for at most its lease's TTL.
import { after, describe, it } from "node:test";
import { execFileSync } from "node:child_process";
import { hostname } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";
import { utf8 } from "../src/base/index.ts";
import { openEtcdBackend } from "../src/storage/etcd/index.ts";
import type { EtcdBackendOptions } from "../src/storage/etcd/index.ts";
import { WatchCache } from "../src/storage/etcd/cache.ts";
import { READ_LEASE_KEY } from "../src/storage/etcd/read-lease.ts";
import { EtcdBackend } from "../src/storage/etcd/backend.ts";
import { connectEtcd } from "../src/storage/etcd/client.ts";
import type { StorageBackend } from "../src/storage/index.ts";
import { etcdAvailable, startEtcd } from "./helpers/etcd.ts";
import { assertBuilt, waitUntil } from "./helpers/kpki.ts";
import { spawnReplica } from "./helpers/replicas.ts";

const TTL_S = 2;
const text = (v: Uint8Array | undefined): string | undefined => (v === undefined ? undefined : new TextDecoder().decode(v));

function asCache(b: StorageBackend): WatchCache {
  assert.ok(b instanceof WatchCache, "openEtcdBackend returns the watch cache by default");
  return b;
}

describe("the etcd read lease", { skip: !etcdAvailable() && "etcd is not installed" }, async () => {
  const cluster = etcdAvailable() ? await startEtcd({ members: 1 }) : undefined;
  after(() => cluster?.stop());
  const options = (prefix: string): EtcdBackendOptions => {
    assert.ok(cluster);
    return { endpoints: cluster.endpoints, caPem: cluster.caPem, certPem: cluster.certPem, keyPem: cluster.keyPem, prefix, readLeaseTtlSeconds: TTL_S };
  };

  it("a lone replica reads from memory; a newcomer's writes wait for it to give the lease up, and it sees them at once", { timeout: 60_000 }, async () => {
    const a = asCache(await openEtcdBackend(options("/lease-handover")));
    try {
      await waitUntil(() => a.holdsReadLease, 5000, "the lone replica to take the read lease");
      let kv = await a.create("/registry/core/configmaps/ns/x", utf8("0"));
      const fetches = a.revisionFetches;
      for (let i = 1; i <= 50; i++) {
        kv = await a.update("/registry/core/configmaps/ns/x", utf8(String(i)), kv.modRevision);
        assert.equal(text((await a.get("/registry/core/configmaps/ns/x"))?.value), String(i));
        assert.equal((await a.list("/registry/core/configmaps/ns/")).items.length, 1);
      }
      assert.equal(a.revisionFetches, fetches, "reads under the lease fetch no revision from etcd");

      for (let round = 0; round < 5; round++) {
        await waitUntil(() => a.holdsReadLease, 3000 + TTL_S * 1000, `round ${round}: the lone replica to take the lease (again)`);
        const b = await openEtcdBackend({ ...options("/lease-handover"), cache: round % 2 === 0 });
        try {
          const made = await b.create(`/registry/core/configmaps/ns/b${round}`, utf8(String(round)));
          // B's write committed, so A cannot be answering from memory any more, and must see it.
          assert.equal(text((await a.get(`/registry/core/configmaps/ns/b${round}`))?.value), String(round), `round ${round}: A's get after B's create`);
          assert.ok((await a.list("/registry/core/configmaps/ns/")).revision >= made.modRevision);
          assert.equal(a.holdsReadLease, false, "the holder gave the lease up for the newcomer");
        } finally {
          await b.close(); // revokes B's etcd lease: its presence goes, and A takes the lease again
        }
      }
    } finally {
      await a.close();
    }
  });

  it("no stale read across handovers while the holder reads and writes concurrently", { timeout: 60_000 }, async () => {
    const prefix = "/lease-concurrent";
    const a = asCache(await openEtcdBackend(options(prefix)));
    const K = "/registry/core/configmaps/ns/k";
    const stale: string[] = [];
    let acked = 0; // the newest value another replica's write has acknowledged
    let stop = false;
    let underLease = 0;
    try {
      await a.create(K, utf8("0"));
      // Readers on the holder: a read begun after an acknowledged write must see it (or newer).
      const readers = Array.from({ length: 4 }, async () => {
        while (!stop) {
          const floor = acked;
          if (a.holdsReadLease) underLease++;
          const got = Number(text((await a.get(K))?.value));
          if (got < floor) stale.push(`read ${got} after ${floor} was acknowledged`);
          await new Promise((r) => setImmediate(r));
        }
      });
      // The holder's own writes race the handovers (their guard changes under them).
      const writer = (async () => {
        let w = await a.create("/registry/core/configmaps/ns/a", utf8("0"));
        for (let i = 1; !stop; i++) w = await a.update("/registry/core/configmaps/ns/a", utf8(String(i)), w.modRevision);
      })();
      let n = 0;
      for (let round = 0; round < 4; round++) {
        await waitUntil(() => a.holdsReadLease, 3000 + TTL_S * 1000, `round ${round}: the holder to take the lease again`);
        const b = await openEtcdBackend({ ...options(prefix), cache: round % 2 === 0 });
        try {
          for (let i = 0; i < 10; i++) {
            const cur = await b.get(K);
            await b.update(K, utf8(String(++n)), cur?.modRevision ?? 0);
            acked = n;
          }
        } finally {
          await b.close();
        }
      }
      stop = true;
      await Promise.all([...readers, writer]);
      assert.deepEqual(stale.slice(0, 5), [], `${stale.length} stale reads`);
      assert.ok(underLease > 0, "some reads were answered under the lease");
    } finally {
      stop = true;
      await a.close();
    }
  });

  it("a replica told not to hold the lease (--etcd-read-lease=false) fetches, and still guards its writes", async () => {
    const a = asCache(await openEtcdBackend({ ...options("/lease-off"), readLease: false }));
    try {
      await a.create("/registry/core/configmaps/ns/off", utf8("1"));
      await new Promise((r) => setTimeout(r, 300));
      const before = a.revisionFetches;
      assert.equal(text((await a.get("/registry/core/configmaps/ns/off"))?.value), "1");
      assert.equal(a.holdsReadLease, false);
      assert.equal(a.revisionFetches, before + 1, "a consistent read fetches etcd's revision");
      // A holder joining later gives the lease up for it, so the non-holder's writes land.
      const h = asCache(await openEtcdBackend(options("/lease-off")));
      try {
        await a.create("/registry/core/configmaps/ns/off2", utf8("2"));
        assert.equal(text((await h.get("/registry/core/configmaps/ns/off2"))?.value), "2");
        assert.equal(h.holdsReadLease, false, "not alone: the other replica registered");
      } finally {
        await h.close();
      }
    } finally {
      await a.close();
    }
  });

  it("two replicas both fetch (neither holds the lease), as kube's consistent reads do", async () => {
    const [a, b] = [asCache(await openEtcdBackend(options("/lease-pair"))), asCache(await openEtcdBackend(options("/lease-pair")))];
    try {
      await b.create("/registry/core/configmaps/ns/p", utf8("1"));
      await waitUntil(() => !a.holdsReadLease && !b.holdsReadLease, 3000, "both to share");
      const before = a.revisionFetches;
      assert.equal(text((await a.get("/registry/core/configmaps/ns/p"))?.value), "1");
      assert.equal(a.revisionFetches, before + 1);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("kill -9 of the holder: the survivor's writes wait at most the lease TTL, then it takes the lease", { timeout: 60_000 }, async () => {
    assert.ok(cluster);
    assertBuilt();
    const prefix = "/lease-crash";
    const holder = await spawnReplica(cluster.dir, cluster, ["--etcd-prefix", prefix]);
    // A bare backend: reads etcd, never registers (a replica would make the holder give the lease up).
    const probe = new EtcdBackend(await connectEtcd(options(prefix)), prefix);
    let b: StorageBackend | undefined;
    try {
      await waitUntil(async () => (await probe.get(READ_LEASE_KEY)) !== undefined, 10_000, "the spawned replica to take the read lease");
      // docs/operations.md §3's etcdctl line names the holder.
      const pki = (f: string): string => join(cluster.dir, "pki", f);
      const holderId = execFileSync("etcdctl", ["--endpoints", cluster.endpoints[0] ?? "", "--cacert", pki("etcd/ca.crt"), "--cert", pki("apiserver-etcd-client.crt"), "--key", pki("apiserver-etcd-client.key"), "get", `${prefix}.read-lease`, "--print-value-only"], { env: { ...process.env, ETCDCTL_API: "3" }, encoding: "utf8" }).trim();
      assert.match(holderId, new RegExp(`^${hostname()}-${holder.proc.child.pid ?? 0}-[0-9a-f]{6}$`));
      await holder.kill();
      b = await openEtcdBackend(options(prefix));
      const t0 = performance.now();
      await b.create("/registry/core/configmaps/ns/after-crash", utf8("1"));
      const waited = performance.now() - t0;
      // The serve process's lease has the default TTL (5 s); the write needs it gone.
      assert.ok(waited < 5000 + 3000, `the write waited ${waited.toFixed(0)} ms`);
      assert.equal(text((await probe.get("/registry/core/configmaps/ns/after-crash"))?.value), "1");
      await waitUntil(() => asCache(b as StorageBackend).holdsReadLease, 10_000, "the survivor to take the lease once the dead replica's presence lapsed");
      assert.equal(text((await b.get("/registry/core/configmaps/ns/after-crash"))?.value), "1");
    } finally {
      await holder.kill();
      await b?.close();
      await probe.close();
    }
  });
});
