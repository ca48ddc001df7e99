// WorkQueue: de-duplication, no concurrent processing of a key, back-off on failure (fake timers).
import { test } from "node:test";
import assert from "node:assert/strict";
import { WorkQueue } from "./queue.ts";
import type { Schedule } from "./queue.ts";

function fakeTimers(): { schedule: Schedule; fire(): void; delays: number[] } {
  const pending: (() => void)[] = [];
  const delays: number[] = [];
  return {
    delays,
    schedule: (fn, ms) => {
      pending.push(fn);
      delays.push(ms);
      return () => undefined;
    },
    fire: () => pending.splice(0).forEach((f) => f()),
  };
}

test("a key is queued once", async () => {
  const q = new WorkQueue();
  q.add("a");
  q.add("a");
  q.add("b");
  assert.equal(q.length, 2);
  const seen: string[] = [];
  while (await q.processOne(async (k) => void seen.push(k)));
  assert.deepEqual(seen, ["a", "b"]);
});

test("a key added while processing is processed again afterwards, never concurrently", async () => {
  const q = new WorkQueue();
  let running = 0;
  let runs = 0;
  q.add("a");
  await q.processOne(async () => {
    running++;
    runs++;
    q.add("a"); // arrives during processing
    assert.equal(q.length, 0, "not queued while processing");
    running--;
  });
  assert.equal(q.length, 1);
  await q.processOne(async () => void runs++);
  assert.equal(runs, 2);
  assert.equal(running, 0);
});

test("failures back off exponentially and success forgets", async () => {
  const t = fakeTimers();
  const q = new WorkQueue({ baseDelayMs: 200, maxDelayMs: 1000, schedule: t.schedule });
  let fail = 4;
  q.add("k");
  for (let i = 0; i < 4; i++) {
    await q.processOne(async () => {
      if (fail-- > 0) throw new Error("boom");
    });
    assert.equal(q.length, 0);
    t.fire();
    assert.equal(q.length, 1);
  }
  assert.deepEqual(t.delays, [200, 400, 800, 1000]);
  await q.processOne(async () => undefined);
  assert.equal(q.failures("k"), 0);
});

test("run() stops when the signal aborts", async () => {
  const q = new WorkQueue();
  const ac = new AbortController();
  const seen: string[] = [];
  const done = q.run(async (k) => void seen.push(k), ac.signal);
  q.add("x");
  await new Promise((r) => setImmediate(r));
  ac.abort();
  await done;
  assert.deepEqual(seen, ["x"]);
});

/** A promise and its resolver, so a test decides when each handler call finishes. */
function gate(): { promise: Promise<void>; open(): void } {
  let open: () => void = () => undefined;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

test("N workers process N distinct keys at the same time", async () => {
  for (const workers of [1, 3, 5]) {
    const q = new WorkQueue();
    const ac = new AbortController();
    const release = gate();
    let running = 0;
    let peak = 0;
    const done = q.run(async () => {
      peak = Math.max(peak, ++running);
      await release.promise;
      running--;
    }, ac.signal, { workers });
    for (let i = 0; i < 8; i++) q.add(`k${i}`);
    for (let i = 0; i < 5; i++) await turn();
    assert.equal(peak, workers, `${workers} workers`);
    assert.equal(q.length, 8 - workers, "the rest wait in the queue");
    release.open();
    for (let i = 0; i < 5 && q.length > 0; i++) await turn();
    ac.abort();
    await done;
    assert.equal(running, 0);
  }
});

test("with several workers one key is never processed twice at once; a re-add runs after Done", async () => {
  const q = new WorkQueue();
  const ac = new AbortController();
  const gates = [gate(), gate(), gate()];
  const log: string[] = [];
  const active = new Set<string>();
  let calls = 0;
  const done = q.run(async (k) => {
    assert.ok(!active.has(k), `${k} handed to a second worker while still processing`);
    active.add(k);
    const n = calls++;
    log.push(`start ${k}#${n}`);
    await gates[Math.min(n, 2)]!.promise;
    log.push(`done ${k}#${n}`);
    active.delete(k);
  }, ac.signal, { workers: 5 });
  q.add("a");
  await turn();
  q.add("a"); // while "a" is processing: marked dirty, not given to one of the 4 idle workers
  q.add("a");
  await turn();
  assert.deepEqual(log, ["start a#0"]);
  assert.equal(q.length, 0);
  gates[0]!.open();
  for (let i = 0; i < 5; i++) await turn();
  assert.deepEqual(log, ["start a#0", "done a#0", "start a#1"], "re-queued once after Done");
  gates[1]!.open();
  gates[2]!.open();
  for (let i = 0; i < 5; i++) await turn();
  assert.deepEqual(log.slice(3), ["done a#1"], "the two re-adds collapsed into one run");
  ac.abort();
  await done;
});

test("aborting wakes every idle worker", async () => {
  const q = new WorkQueue();
  const ac = new AbortController();
  const done = q.run(async () => undefined, ac.signal, { workers: 4 });
  await turn();
  ac.abort();
  await done; // hangs (test timeout) if an idle worker was never woken
});
