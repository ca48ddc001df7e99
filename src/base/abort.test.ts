import { test } from "node:test";
import assert from "node:assert/strict";
import { abortableSleep, whenAborted } from "./abort.ts";

test("whenAborted runs for an abort to come, at once for one that came, and not after removal", () => {
  const calls: string[] = [];
  const later = new AbortController();
  whenAborted(later.signal, () => calls.push("later"));
  const removed = new AbortController();
  whenAborted(removed.signal, () => calls.push("removed"))();
  const already = new AbortController();
  already.abort();
  whenAborted(already.signal, () => calls.push("already"));
  assert.deepEqual(calls, ["already"]);
  later.abort();
  removed.abort();
  later.abort();
  assert.deepEqual(calls, ["already", "later"]);
});

test("abortableSleep ends at once on an already aborted signal (an hour-long sleep would hang a test)", async () => {
  const ac = new AbortController();
  ac.abort();
  await abortableSleep(3_600_000, ac.signal);
  const live = new AbortController();
  const p = abortableSleep(3_600_000, live.signal);
  live.abort();
  await p;
});
