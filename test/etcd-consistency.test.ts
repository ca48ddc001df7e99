// Linearizable reads across replicas (kube-apiserver's consistent reads from cache, KEP-2340): two
// watch caches on one real etcd; whatever replica A acknowledged, replica B's very next get and
// list see. Before B learned etcd's revision first, about 1 read in 300 here was stale (B's watch
// had not delivered A's event yet). Also: concurrent reads share revision fetches.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { utf8 } from "../src/base/index.ts";
import { openEtcdBackend } from "../src/storage/etcd/index.ts";
import type { EtcdBackendOptions } from "../src/storage/etcd/index.ts";
import { WatchCache } from "../src/storage/etcd/cache.ts";
import { createStore } from "../src/storage/index.ts";
import type { StorageBackend } from "../src/storage/index.ts";
import { etcdAvailable, startEtcd } from "./helpers/etcd.ts";

const ROUNDS = 300;
const text = (v: Uint8Array | undefined): string | undefined => (v === undefined ? undefined : new TextDecoder().decode(v));

function asCache(b: StorageBackend): WatchCache {
  assert.ok(b instanceof WatchCache, "openEtcdBackend returns the watch cache by default");
  return b;
}

describe("consistent reads across replicas on one etcd", { skip: !etcdAvailable() && "etcd is not installed" }, async () => {
  const cluster = etcdAvailable() ? await startEtcd({ members: 1 }) : undefined;
  after(() => cluster?.stop());
  const options = (): EtcdBackendOptions => {
    assert.ok(cluster);
    return { endpoints: cluster.endpoints, caPem: cluster.caPem, certPem: cluster.certPem, keyPem: cluster.keyPem, prefix: "/kpki-consistency" };
  };

  it(`B reads what A just wrote, ${ROUNDS} times in a row (get and list)`, { timeout: 60_000 }, async () => {
    const [a, b] = [await openEtcdBackend(options()), await openEtcdBackend(options())];
    try {
      const stale: string[] = [];
      let kv = await a.create("/registry/core/configmaps/ns/x", utf8("0"));
      for (let i = 1; i <= ROUNDS; i++) {
        kv = await a.update("/registry/core/configmaps/ns/x", utf8(String(i)), kv.modRevision);
        const got = await b.get("/registry/core/configmaps/ns/x");
        if (text(got?.value) !== String(i)) stale.push(`get #${i}: ${String(text(got?.value))} at ${String(got?.modRevision)} (written at ${kv.modRevision})`);
        const made = await a.create(`/registry/core/configmaps/ns/y${i}`, utf8(String(i)));
        const page = await b.list("/registry/core/configmaps/ns/");
        if (page.revision < made.modRevision || !page.items.some((item) => item.key.endsWith(`/y${i}`))) {
          stale.push(`list #${i}: read at ${page.revision}, ${page.items.length} items (y${i} created at ${made.modRevision})`);
        }
      }
      assert.deepEqual(stale, [], `${stale.length} stale reads of ${2 * ROUNDS}`);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("answers promptly when etcd's newest revision was written outside the cache's range", async () => {
    const b = await openEtcdBackend(options());
    const other = await openEtcdBackend({ ...options(), prefix: "/someone-else", cache: false });
    try {
      await b.create("/registry/core/configmaps/ns/mine", utf8("1"));
      const t0 = performance.now();
      for (let i = 0; i < 20; i++) {
        await other.create(`/elsewhere-${i}-${Date.now()}`, utf8("x")); // no event reaches b's watch
        assert.equal(text((await b.get("/registry/core/configmaps/ns/mine"))?.value), "1");
      }
      // Waiting out the 3 s cache timeout each time would take a minute.
      const ms = performance.now() - t0;
      assert.ok(ms < 5000, `20 reads took ${ms.toFixed(0)} ms`);
    } finally {
      await b.close();
      await other.close();
    }
  });

  it("coalesces the revision fetches of concurrent reads (≤ 2 for a burst)", async () => {
    const [a, b] = [await openEtcdBackend(options()), await openEtcdBackend(options())];
    try {
      const cache = asCache(b);
      await a.create("/registry/core/configmaps/ns/burst", utf8("1"));
      const before = cache.revisionFetches;
      const reads = await Promise.all(Array.from({ length: 64 }, (_, i) =>
        i % 2 === 0 ? b.get("/registry/core/configmaps/ns/burst") : b.list("/registry/core/configmaps/ns/"),
      ));
      const fetches = cache.revisionFetches - before;
      assert.ok(fetches >= 1 && fetches <= 2, `${fetches} revision fetches for 64 concurrent reads`);
      assert.equal(text((reads[0] as Awaited<ReturnType<StorageBackend["get"]>>)?.value), "1");
      // Sequential reads each need a fetch begun after they arrived: one each.
      const start = cache.revisionFetches;
      for (let i = 0; i < 5; i++) await b.get("/registry/core/configmaps/ns/burst");
      assert.equal(cache.revisionFetches - start, 5);
      // kube's resourceVersion "0" (any) and NotOlderThan N: answered from memory, no fetch.
      const rv = (await b.list("/registry/core/configmaps/ns/")).revision;
      const quiet = cache.revisionFetches;
      for (const notOlderThan of [0, rv]) {
        const page = await b.list("/registry/core/configmaps/ns/", { notOlderThan });
        assert.ok(page.items.some((kv) => kv.key.endsWith("/burst")));
        assert.ok(page.revision >= rv);
      }
      for (const notOlderThan of [0, rv]) assert.equal(text((await b.get("/registry/core/configmaps/ns/burst", { notOlderThan }))?.value), "1");
      assert.equal(cache.revisionFetches, quiet, "RV=0 / NotOlderThan lists and gets fetch no revision");
      // A Store update starts from the cached object (kube's GuaranteedUpdate): no fetch when it is current.
      const store = createStore(b, { group: "", resource: "configmaps", namespaced: true });
      await store.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "upd", namespace: "ns" }, data: { k: "1" } });
      const beforeUpdate = cache.revisionFetches;
      const updated = await store.guaranteedUpdate("ns", "upd", (o) => ({ ...o, data: { k: "2" } }));
      assert.deepEqual(updated.data, { k: "2" });
      assert.equal(cache.revisionFetches, beforeUpdate, "an update whose cached object is current fetches no revision");
      for (const resourceVersion of ["0", updated.metadata.resourceVersion]) assert.deepEqual((await store.get("ns", "upd", { resourceVersion }))?.data, { k: "2" });
      assert.equal(cache.revisionFetches, beforeUpdate, "GET at 0 or at the object's own resourceVersion fetches no revision");
    } finally {
      await a.close();
      await b.close();
    }
  });
});
