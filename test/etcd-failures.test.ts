// etcd failures against real etcd processes: a dead etcd gives StorageError "unavailable" within a
// bounded time (never a hang) and the same backend works again once etcd is back; a 3-member
// cluster keeps serving (reads, writes, an open watch) with one member killed -9.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { StorageError } from "../src/storage/index.ts";
import type { BackendEvent, StorageBackend } from "../src/storage/index.ts";
import { openEtcdBackend } from "../src/storage/etcd/index.ts";
import type { WatchCache } from "../src/storage/etcd/cache.ts";
import type { EtcdBackendOptions } from "../src/storage/etcd/index.ts";
import { readWatch, take } from "../src/storage/conformance-helpers.ts";
import { freezeMember, startEtcd } from "./helpers/etcd.ts";
import type { EtcdCluster } from "./helpers/etcd.ts";

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const optionsFor = (c: EtcdCluster): EtcdBackendOptions => ({
  endpoints: c.endpoints, caPem: c.caPem, certPem: c.certPem, keyPem: c.keyPem, requestTimeoutMs: 1500, dialTimeoutMs: 1000,
});

/** Runs `op` and returns how long it took to fail with `code` (fails the test otherwise). */
async function failsWith(code: StorageError["code"], op: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await assert.rejects(op, (err: unknown) => err instanceof StorageError && err.code === code);
  return performance.now() - t0;
}

/** Retries `op` until it succeeds or `ms` pass (recovery happens on etcd's schedule, not ours). */
async function eventually<T>(ms: number, op: () => Promise<T>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      return await op();
    } catch (err) {
      if (Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

const keyOf = (e: BackendEvent): string => (e.type === "put" ? e.kv.key : e.key);

describe("etcd down and back", () => {
  for (const cache of [true, false]) {
    it(`answers "unavailable" quickly and recovers without a restart (cache: ${cache})`, async () => {
      const c = await startEtcd({ members: 1 });
      let b: StorageBackend | undefined;
      try {
        b = await openEtcdBackend({ ...optionsFor(c), cache });
        const first = await b.create("/down/a", enc("1"));
        const w = readWatch((signal) => b!.watch("/down/", first.modRevision, signal));
        await c.kill(0);
        const writeMs = await failsWith("unavailable", () => b!.create("/down/b", enc("1")));
        const readMs = await failsWith("unavailable", () => b!.list("/down/x/"));
        assert.ok(writeMs < 4000 && readMs < 4000, `failed after ${writeMs.toFixed(0)} / ${readMs.toFixed(0)} ms`);
        await c.restart(0);
        const after = await eventually(15_000, () => b!.create("/down/c", enc("1")));
        assert.equal((await b.get("/down/c"))?.modRevision, after.modRevision, "reads its own write after recovery");
        if (cache) {
          // The cache's watch resumed: a watch opened before the outage sees the later write.
          const [e] = await take(w, 1);
          assert.equal(e && keyOf(e), "/down/c");
        }
        w.close();
      } finally {
        await b?.close();
        await c.stop();
      }
    });
  }
});

describe("a frozen etcd (SIGSTOP: connections stay open, nothing answers)", () => {
  it("fails cached reads and writes within one request deadline, then recovers on SIGCONT", async () => {
    const c = await startEtcd({ members: 1 });
    let b: StorageBackend | undefined;
    const etcd = c.members[0]?.process;
    try {
      // Without the read lease: every read fetches etcd's revision (with it, see the next test).
      b = await openEtcdBackend({ ...optionsFor(c), cache: true, requestTimeoutMs: 3000, readLease: false });
      await b.create("/frozen/a", enc("1"));
      await freezeMember(c.members[0]!);
      // One deadline (3 s) each: a read must not wait for the revision fetch and then for etcd again.
      const readMs = await failsWith("unavailable", () => b!.get("/frozen/a"));
      const writeMs = await failsWith("unavailable", () => b!.create("/frozen/b", enc("1")));
      assert.ok(readMs < 3900 && writeMs < 3900, `failed after ${readMs.toFixed(0)} / ${writeMs.toFixed(0)} ms`);
      etcd?.kill("SIGCONT");
      const kv = await eventually(15_000, () => b!.create("/frozen/c", enc("1")));
      assert.equal((await b.get("/frozen/c"))?.modRevision, kv.modRevision);
    } finally {
      etcd?.kill("SIGCONT");
      await b?.close();
      await c.stop();
    }
  });
  it("under the read lease, answers from memory only while the lease surely lives, then fails within one deadline", async () => {
    const c = await startEtcd({ members: 1 });
    let b: StorageBackend | undefined;
    const etcd = c.members[0]?.process;
    const TTL_S = 2;
    try {
      b = await openEtcdBackend({ ...optionsFor(c), cache: true, requestTimeoutMs: 3000, readLeaseTtlSeconds: TTL_S });
      const cache = b as WatchCache;
      await b.create("/frozen/a", enc("1"));
      await eventually(5000, async () => assert.ok(cache.holdsReadLease, "the lone replica holds the read lease"));
      await freezeMember(c.members[0]!);
      const frozenAt = performance.now();
      // Linearizable while the lease lives (no other replica can write); not past it.
      let served = 0;
      const failMs = await failsWith("unavailable", async () => {
        for (;;) {
          assert.equal(new TextDecoder().decode((await b!.get("/frozen/a"))?.value), "1");
          served++;
          await new Promise((r) => setTimeout(r, 50));
        }
      });
      assert.ok(served > 0, "reads were answered from memory while the lease lived");
      assert.ok(failMs < TTL_S * 1000 + 3900, `reads failed ${(performance.now() - frozenAt).toFixed(0)} ms after the freeze`);
      etcd?.kill("SIGCONT");
      await eventually(15_000, () => b!.create("/frozen/c", enc("1")));
      await eventually(15_000, async () => assert.ok(cache.holdsReadLease, "the lease is taken again once etcd answers"));
    } finally {
      etcd?.kill("SIGCONT");
      await b?.close();
      await c.stop();
    }
  });
});

describe("3-member etcd cluster", () => {
  it("keeps reading, writing and watching with the raft leader killed -9", async () => {
    const c = await startEtcd({ members: 3 });
    let b: StorageBackend | undefined;
    try {
      // The default 5 s budget: after the leader dies, writes wait for etcd's own election (≈1–2 s).
      b = await openEtcdBackend({ ...optionsFor(c), requestTimeoutMs: 5000 });
      const start = await b.currentRevision();
      const w = readWatch((signal) => b!.watch("/ha/", start, signal));
      for (let i = 0; i < 5; i++) await b.create(`/ha/before-${i}`, enc("v"));
      await c.kill(await c.leaderIndex());
      // The client may have been talking to the dead member; it re-sends the call to another
      // member, so every call must succeed.
      for (let i = 0; i < 20; i++) {
        const t0 = performance.now();
        const kv = await b.create(`/ha/after-${i}`, enc("v"));
        assert.ok(performance.now() - t0 < 5000);
        assert.equal((await b.get(kv.key))?.modRevision, kv.modRevision);
      }
      assert.equal((await b.list("/ha/")).items.length, 25);
      const events = await take(w, 25);
      assert.equal(new Set(events.map(keyOf)).size, 25, "the watch saw every write exactly once");
      w.close();
    } finally {
      await b?.close();
      await c.stop();
    }
  });
});

describe("a value over etcd's request limit", () => {
  it('is StorageError "too-large" (→ 413), not a 503, and the backend keeps working', async () => {
    const c = await startEtcd({ members: 1 });
    let b: StorageBackend | undefined;
    try {
      b = await openEtcdBackend(optionsFor(c));
      // etcd's default --max-request-bytes is 1.5 MiB (etcd's own check); gRPC's is 512 KiB above it.
      for (const size of [1.6, 2.5]) {
        const ms = await failsWith("too-large", () => b!.create("/big/a", new Uint8Array(size * 1024 * 1024).fill(0x61)));
        assert.ok(ms < 4000, `${size} MiB: failed after ${ms.toFixed(0)} ms`);
      }
      const kv = await b.create("/big/b", enc("small"));
      assert.equal((await b.get("/big/b"))?.modRevision, kv.modRevision);
    } finally {
      await b?.close();
      await c.stop();
    }
  });
});
