import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { RevisionFetcher, hasOrderedProgress } from "./consistent.ts";

/** A fetch the test settles by hand: no timers, no wall clock. */
function manualFetch(): { fetch: () => Promise<number>; settle(revision: number): void; fail(): void; readonly pending: number } {
  const waiting: { resolve: (n: number) => void; reject: (e: Error) => void }[] = [];
  return {
    fetch: () => new Promise<number>((resolve, reject) => waiting.push({ resolve, reject })),
    settle: (revision) => waiting.shift()?.resolve(revision),
    fail: () => waiting.shift()?.reject(new Error("etcd down")),
    get pending() {
      return waiting.length;
    },
  };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe("RevisionFetcher", () => {
  it("serves every read that arrives while idle with one fetch", async () => {
    const m = manualFetch();
    const f = new RevisionFetcher(m.fetch);
    const reads = Array.from({ length: 50 }, () => f.next());
    assert.equal(f.fetches, 1);
    await tick();
    assert.equal(m.pending, 1);
    m.settle(7);
    assert.deepEqual(new Set(await Promise.all(reads)), new Set([7]));
  });

  it("makes reads that arrive during a fetch wait for the next one (≤ 2 fetches for a burst)", async () => {
    const m = manualFetch();
    const f = new RevisionFetcher(m.fetch);
    const early = f.next();
    await tick(); // the fetch is sent
    const late = Array.from({ length: 50 }, () => f.next());
    assert.equal(f.fetches, 1, "the next fetch starts only when the current one settles");
    m.settle(10);
    assert.equal(await early, 10);
    await tick();
    assert.equal(f.fetches, 2);
    assert.equal(m.pending, 1);
    m.settle(12);
    assert.deepEqual(new Set(await Promise.all(late)), new Set([12]), "late readers get the later fetch, not the one begun before them");
    assert.equal(f.fetches, 2);
  });

  it("starts afresh after a failed fetch, and the queued readers still get a fetch of their own", async () => {
    const m = manualFetch();
    const f = new RevisionFetcher(m.fetch);
    const first = f.next();
    await tick();
    const queued = f.next();
    m.fail();
    await assert.rejects(first, /etcd down/);
    await tick();
    m.settle(5);
    assert.equal(await queued, 5);
    const again = f.next();
    assert.equal(f.fetches, 3);
    await tick();
    m.settle(6);
    assert.equal(await again, 6);
  });
});

describe("hasOrderedProgress", () => {
  const cases: [string, boolean][] = [
    ["3.4.23", false], // Debian's etcd-server: etcd-io/etcd#15220 unfixed
    ["3.4.30", false],
    ["3.4.31", true],
    ["3.5.12", false],
    ["3.5.13", true],
    ["3.5.17", true],
    ["3.6.0", true],
    ["v3.6.4", true],
    ["3.3.27", false],
    ["4.0.0", true],
    ["2.3.8", false],
    ["", false],
    ["garbage", false],
  ];
  for (const [version, want] of cases) {
    it(`${version || "(empty)"} → ${want}`, () => assert.equal(hasOrderedProgress(version), want));
  }
});
