// Leader election on the memory backend with a fake clock and fake sleeps (no wall-clock waits):
// takeover after the lease duration, fast takeover after a release, a leader that cannot renew
// steps down within the renew deadline, and racing candidates produce exactly one leader.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { fixedClock, seededRandom } from "../base/index.ts";
import { createMemoryBackend, createStore, StorageError } from "../storage/index.ts";
import type { Store } from "../storage/index.ts";
import { LEASE_RESOURCE, microTime, runLeaderElection } from "./leaderelection.ts";
import type { Lease, LeaderElectionConfig } from "./leaderelection.ts";

/** A clock plus sleeps that end only when the test advances the clock past them. */
function fakeTime() {
  const clock = fixedClock("2025-01-01T00:00:00Z");
  let sleepers: { at: number; wake: () => void }[] = [];
  const flush = async (): Promise<void> => {
    for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
  };
  return {
    clock,
    sleep(ms: number, signal: AbortSignal): Promise<void> {
      return new Promise((resolve) => {
        sleepers.push({ at: clock.now().getTime() + ms, wake: resolve });
        signal.addEventListener("abort", () => resolve());
      });
    },
    /** Moves time forward in 100 ms steps, waking due sleepers and letting the work they start run. */
    async advance(ms: number): Promise<void> {
      await flush();
      for (let t = 0; t < ms; t += 100) {
        clock.advance(100);
        const now = clock.now().getTime();
        const due = sleepers.filter((s) => s.at <= now);
        sleepers = sleepers.filter((s) => s.at > now);
        for (const s of due) s.wake();
        await flush();
      }
    },
  };
}

interface Candidate {
  leading: boolean;
  starts: number;
  stops: number;
  readonly ac: AbortController;
  readonly done: Promise<void>;
}

function candidate(store: Store<Lease>, identity: string, t: ReturnType<typeof fakeTime>, extra: Partial<LeaderElectionConfig> = {}): Candidate {
  const ac = new AbortController();
  const c = { leading: false, starts: 0, stops: 0, ac } as Candidate & { done: Promise<void> };
  c.done = runLeaderElection(
    {
      store, name: "kpki-controllers", identity, clock: t.clock, sleep: t.sleep,
      onStartedLeading: (signal) => {
        c.leading = true;
        c.starts++;
        signal.addEventListener("abort", () => (c.leading = false));
      },
      onStoppedLeading: () => c.stops++,
      ...extra,
    },
    ac.signal,
  );
  return c;
}

const leaseStore = (): Store<Lease> => createStore<Lease>(createMemoryBackend(), LEASE_RESOURCE, { clock: fixedClock("2025-01-01T00:00:00Z"), random: seededRandom(1) });

describe("leader election", () => {
  it("hands over to the other candidate only after the lease duration when the leader stops renewing", async () => {
    const t = fakeTime();
    const store = leaseStore();
    const a = candidate(store, "a", t, { releaseOnCancel: false });
    await t.advance(100);
    const b = candidate(store, "b", t);
    await t.advance(10_000);
    assert.equal(a.leading, true);
    assert.equal(b.leading, false);
    const held = await store.get("kube-system", "kpki-controllers");
    assert.equal(held?.spec?.holderIdentity, "a");
    assert.equal(held?.spec?.leaseDurationSeconds, 15);
    assert.equal(held?.spec?.leaseTransitions, 0);
    a.ac.abort(); // a crashes: no release
    await a.done;
    await t.advance(13_000);
    assert.equal(b.leading, false, "b must wait out a's lease");
    await t.advance(4000);
    assert.equal(b.leading, true, "b leads within lease duration + one retry period");
    const taken = await store.get("kube-system", "kpki-controllers");
    assert.equal(taken?.spec?.holderIdentity, "b");
    assert.equal(taken?.spec?.leaseTransitions, 1);
    assert.equal(taken?.spec?.acquireTime, taken?.spec?.renewTime);
    assert.match(taken?.spec?.renewTime ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    b.ac.abort();
    await b.done;
    assert.equal(b.stops, 1);
  });

  it("told to stop while its acquiring write was in flight: returns without leading, and releases", async () => {
    const t = fakeTime();
    const store = leaseStore();
    const self: { c?: Candidate } = {};
    // The stop arrives between sending the acquiring create and its answer.
    const racing = new Proxy(store, {
      get(target, prop) {
        if (prop === "create") return async (obj: Lease) => (self.c?.ac.abort(), target.create(obj));
        const v: unknown = Reflect.get(target, prop, target);
        return typeof v === "function" ? v.bind(target) : v; // the store keeps #private state
      },
    });
    const c = (self.c = candidate(racing, "a", t));
    let finished = false;
    void c.done.then(() => (finished = true));
    await t.advance(10_000);
    assert.equal(finished, true, "the election ended instead of renewing forever");
    assert.equal(c.starts, 0, "it never started leading");
    assert.equal((await store.get("kube-system", "kpki-controllers"))?.spec?.holderIdentity, "");
  });

  it("lets the next candidate in at once after a release", async () => {
    const t = fakeTime();
    const store = leaseStore();
    const a = candidate(store, "a", t);
    await t.advance(100);
    const b = candidate(store, "b", t);
    await t.advance(4000);
    a.ac.abort();
    await a.done;
    assert.equal((await store.get("kube-system", "kpki-controllers"))?.spec?.holderIdentity, "");
    await t.advance(2100);
    assert.equal(b.leading, true);
    b.ac.abort();
    await b.done;
  });

  it("steps down within the renew deadline when renewals fail, and campaigns again", async () => {
    const t = fakeTime();
    const inner = leaseStore();
    let broken = false;
    const flaky: Store<Lease> = {
      ...inner,
      get: (ns, name) => (broken ? Promise.reject(new StorageError("unavailable", "etcd down")) : inner.get(ns, name)),
      update: (obj) => (broken ? Promise.reject(new StorageError("unavailable", "etcd down")) : inner.update(obj)),
      create: (obj) => inner.create(obj),
    };
    const a = candidate(flaky, "a", t);
    await t.advance(100);
    assert.equal(a.leading, true);
    broken = true;
    await t.advance(9000);
    assert.equal(a.leading, true, "still within the renew deadline");
    await t.advance(3000);
    assert.equal(a.leading, false, "stopped leading before the 15 s lease could expire");
    assert.equal(a.stops, 1);
    broken = false;
    await t.advance(2100);
    assert.equal(a.leading, true, "campaigns again and re-acquires its own lease");
    assert.equal(a.starts, 2);
    a.ac.abort();
    await a.done;
  });

  it("elects exactly one of several racing candidates", async () => {
    const t = fakeTime();
    const store = leaseStore();
    const cs = ["a", "b", "c", "d"].map((id) => candidate(store, id, t));
    for (let i = 0; i < 5; i++) {
      await t.advance(2000);
      assert.equal(cs.filter((c) => c.leading).length, 1);
    }
    for (const c of cs) c.ac.abort();
    await Promise.all(cs.map((c) => c.done));
  });

  it("writes MicroTime with six fractional digits", () => {
    assert.equal(microTime(new Date("2025-01-01T00:00:01.234Z")), "2025-01-01T00:00:01.234000Z");
  });
});
