// The storage conformance suites, unchanged, against a real etcd (Debian's etcd-server 3.4 with
// client TLS and client-cert-auth): the backend straight on etcd and behind the watch cache;
// then two replicas (two caches) on one etcd, and leader election between them.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { systemClock, systemRandom } from "../src/base/index.ts";
import { createStore } from "../src/storage/index.ts";
import { isStorageError, runBackendConformance, runStoreConformance } from "../src/storage/conformance.ts";
import { readWatch, take } from "../src/storage/conformance-helpers.ts";
import { LEASE_RESOURCE, runLeaderElection } from "../src/controllers/leaderelection.ts";
import type { Lease } from "../src/controllers/leaderelection.ts";
import { openEtcdBackend } from "../src/storage/etcd/index.ts";
import type { EtcdBackendOptions } from "../src/storage/etcd/index.ts";
import { startEtcd } from "./helpers/etcd.ts";

const cluster = await startEtcd({ members: 1 });
after(() => cluster.stop());
const options: EtcdBackendOptions = { endpoints: cluster.endpoints, caPem: cluster.caPem, certPem: cluster.certPem, keyPem: cluster.keyPem };

runBackendConformance("etcd", () => openEtcdBackend({ ...options, cache: false }));
runBackendConformance("etcd + watch cache", () => openEtcdBackend({ ...options, cache: true }));
runStoreConformance("etcd", () => openEtcdBackend({ ...options, cache: false }));
runStoreConformance("etcd + watch cache", () => openEtcdBackend({ ...options, cache: true }));

describe("several replicas on one etcd", () => {
  it("a write through one replica's cache reaches another replica's reads and watches", async () => {
    const [a, b] = [await openEtcdBackend(options), await openEtcdBackend(options)];
    try {
      const start = await b.currentRevision();
      const w = readWatch((signal) => b.watch("/replicas/", start, signal));
      const made = await a.create("/replicas/x", new TextEncoder().encode("1"));
      const [e] = await take(w, 1);
      assert.ok(e?.type === "put" && e.kv.modRevision === made.modRevision);
      assert.equal((await b.get("/replicas/x"))?.modRevision, made.modRevision, "b's cache applied the event before delivering it");
      await assert.rejects(b.update("/replicas/x", new TextEncoder().encode("2"), made.modRevision - 1), isStorageError("conflict"));
      w.close();
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("reads at a revision made by writes outside its prefix without waiting out the timeout (progress requests)", async () => {
    const cached = await openEtcdBackend({ ...options, prefix: `/kpki-progress-${Date.now()}` });
    const other = await openEtcdBackend({ ...options, prefix: "/someone-else", cache: false });
    try {
      await cached.create("/a", new TextEncoder().encode("1"));
      const kv = await other.create(`/x-${Date.now()}`, new TextEncoder().encode("1"));
      const t0 = performance.now();
      const page = await cached.list("/", { revision: kv.modRevision });
      assert.equal(page.revision, kv.modRevision);
      assert.equal(page.items.length, 1);
      assert.ok(performance.now() - t0 < 1000, `took ${(performance.now() - t0).toFixed(0)} ms`);
    } finally {
      await cached.close();
      await other.close();
    }
  });

  it("elects one leader across replicas and hands over when it stops renewing", async () => {
    // Real timers with short periods (this is an end-to-end check; the logic is unit-tested with a fake clock).
    const replicas = [await openEtcdBackend(options), await openEtcdBackend(options)];
    const stores = replicas.map((r) => createStore<Lease>(r, LEASE_RESOURCE, { clock: systemClock, random: systemRandom }));
    const name = `lease-${Date.now()}`;
    const leading = [false, false];
    const acs = [new AbortController(), new AbortController()];
    const runs = stores.map((store, i) =>
      runLeaderElection({
        store, name, identity: `replica-${i}`, clock: systemClock, leaseDurationMs: 1500, renewDeadlineMs: 1000, retryPeriodMs: 200, releaseOnCancel: false,
        onStartedLeading: (signal) => {
          leading[i] = true;
          signal.addEventListener("abort", () => (leading[i] = false));
        },
      }, acs[i]!.signal));
    try {
      const until = async (cond: () => boolean, ms: number): Promise<void> => {
        const end = Date.now() + ms;
        while (!cond()) {
          if (Date.now() > end) throw new Error("condition not reached in time");
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      await until(() => leading.includes(true), 3000);
      const first = leading.indexOf(true);
      assert.equal(leading.filter(Boolean).length, 1);
      acs[first]!.abort(); // stops renewing without releasing, like a crashed replica
      await until(() => leading[1 - first] === true, 1500 + 1000);
      const lease = await stores[0]!.get("kube-system", name);
      assert.equal(lease?.spec?.holderIdentity, `replica-${1 - first}`);
      assert.equal(lease?.spec?.leaseTransitions, 1);
    } finally {
      for (const ac of acs) ac.abort();
      await Promise.all(runs);
      for (const r of replicas) await r.close();
    }
  });
});
