import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { RevisionFetcher, hasOrderedProgress } from "./consistent.ts";
import type { FetcherClock } from "./consistent.ts";

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

/** A clock the test moves by hand; `soon` is the real setImmediate (an event-loop turn, not time). */
function manualClock(): FetcherClock & { advance(ms: number): void; readonly timers: number } {
  let now = 0;
  let timers: { at: number; fn: () => void }[] = [];
  return {
    now: () => now,
    after: (ms, fn) => {
      const t = { at: now + ms, fn };
      timers.push(t);
      return () => (timers = timers.filter((x) => x !== t));
    },
    soon: (fn) => setImmediate(fn),
    advance(ms) {
      now += ms;
      const due = timers.filter((t) => t.at <= now);
      timers = timers.filter((t) => t.at > now);
      for (const t of due) t.fn();
    },
    get timers() {
      return timers.length;
    },
  };
}

function setup(): { m: ReturnType<typeof manualFetch>; clock: ReturnType<typeof manualClock>; f: RevisionFetcher } {
  const m = manualFetch();
  const clock = manualClock();
  return { m, clock, f: new RevisionFetcher(m.fetch, { lingerMs: 2, clock }) };
}

describe("RevisionFetcher", () => {
  it("serves every read that arrives while idle with one fetch, sent at the end of the turn", async () => {
    const { m, f } = setup();
    const reads = Array.from({ length: 50 }, () => f.next());
    assert.equal(f.fetches, 0, "not sent before the turn ends: later reads of this turn may join");
    await tick();
    assert.equal(f.fetches, 1);
    assert.equal(m.pending, 1);
    m.settle(7);
    assert.deepEqual(new Set(await Promise.all(reads)), new Set([7]));
  });

  it("makes reads that arrive during a fetch wait for a later one, never the one in flight", async () => {
    const { m, clock, f } = setup();
    const early = f.next();
    await tick(); // the fetch is sent
    const late = Array.from({ length: 50 }, () => f.next());
    assert.equal(f.fetches, 1, "the next fetch is not sent while one is in flight");
    m.settle(10);
    assert.equal(await early, 10);
    await tick();
    assert.equal(f.fetches, 1, "it waits (a bounded time) for the reader just answered");
    clock.advance(2);
    await tick();
    assert.equal(f.fetches, 2);
    assert.equal(m.pending, 1);
    m.settle(12);
    assert.deepEqual(new Set(await Promise.all(late)), new Set([12]), "late readers get the later fetch, not the one begun before them");
    assert.equal(f.fetches, 2);
  });

  it("merges the cohort just answered with the queued one instead of alternating fetches", async () => {
    const { m, clock, f } = setup();
    const a = Array.from({ length: 8 }, () => f.next());
    await tick();
    const b = Array.from({ length: 8 }, () => f.next()); // arrive during the fetch
    m.settle(3);
    await Promise.all(a);
    await tick();
    assert.equal(f.fetches, 1, "waiting for cohort a to come back");
    const again = Array.from({ length: 8 }, () => f.next()); // cohort a's next reads
    await tick();
    assert.equal(f.fetches, 2, "sent as soon as the expected readers are there, without the linger");
    assert.equal(clock.timers, 0);
    m.settle(4);
    assert.deepEqual(new Set(await Promise.all([...b, ...again])), new Set([4]));
  });

  it("sends a lone sequential reader's fetch at once", async () => {
    const { m, clock, f } = setup();
    for (let i = 1; i <= 3; i++) {
      const read = f.next();
      await tick();
      assert.equal(f.fetches, i);
      assert.equal(clock.timers, 0);
      m.settle(i);
      assert.equal(await read, i);
    }
  });

  it("starts afresh after a failed fetch, and the queued readers still get a fetch of their own", async () => {
    const { m, clock, f } = setup();
    const first = f.next();
    await tick();
    const queued = f.next();
    m.fail();
    await assert.rejects(first, /etcd down/);
    clock.advance(2);
    await tick();
    assert.equal(f.fetches, 2);
    m.settle(5);
    assert.equal(await queued, 5);
    const again = f.next();
    await tick();
    assert.equal(f.fetches, 3);
    m.settle(6);
    assert.equal(await again, 6);
  });

  it("turns a synchronous throw of the fetch into a rejected read", async () => {
    const f = new RevisionFetcher(() => {
      throw new Error("no connection");
    });
    await assert.rejects(f.next(), /no connection/);
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
