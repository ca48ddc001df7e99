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
