// LeaseValidity: when a read-lease holder must stop answering from memory. etcd counts a lease's
// TTL from when it receives the renewal, so the holder counts from when the renewal was SENT
// (never later than etcd's receipt), minus a margin; with several keepalives on one stream, an
// answer is credited to the oldest one still unanswered.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { LeaseValidity } from "./read-lease.ts";

type Step = readonly ["sent" | "answered" | "reset" | "lost", number, number?];

const cases: ReadonlyArray<{ name: string; steps: readonly Step[]; at: number; valid: boolean }> = [
  { name: "nothing granted yet", steps: [], at: 0, valid: false },
  { name: "granted: valid until sent + TTL − margin", steps: [["sent", 100], ["answered", 180, 5]], at: 4099, valid: true },
  { name: "granted: not at sent + TTL − margin", steps: [["sent", 100], ["answered", 180, 5]], at: 4100, valid: false },
  { name: "counts from the send, not the (late) answer", steps: [["sent", 100], ["answered", 3000, 5]], at: 4200, valid: false },
  { name: "a renewal extends it", steps: [["sent", 0], ["answered", 10, 5], ["sent", 2000], ["answered", 2010, 5]], at: 5500, valid: true },
  { name: "an answer is the oldest unanswered request's", steps: [["sent", 0], ["answered", 1, 5], ["sent", 1000], ["sent", 3000], ["answered", 3100, 5]], at: 4500, valid: true },
  { name: "… so it does not reach the newer request's window", steps: [["sent", 0], ["answered", 1, 5], ["sent", 1000], ["sent", 3000], ["answered", 3100, 5]], at: 5000, valid: false },
  { name: "an answer with TTL ≤ 0 (expired on etcd) ends it", steps: [["sent", 0], ["answered", 1, 5], ["sent", 100], ["answered", 101, 0]], at: 200, valid: false },
  { name: "lost ends it", steps: [["sent", 0], ["answered", 1, 5], ["lost", 50]], at: 100, valid: false },
  { name: "a new stream drops unanswered sends", steps: [["sent", 0], ["answered", 1, 5], ["sent", 500], ["reset", 600], ["sent", 2000], ["answered", 2001, 5]], at: 5500, valid: true },
];

describe("LeaseValidity", () => {
  for (const c of cases) {
    it(c.name, () => {
      const v = new LeaseValidity(1000);
      for (const [what, now, ttl] of c.steps) {
        if (what === "sent") v.sent(now);
        else if (what === "answered") v.answered(now, ttl ?? 0);
        else if (what === "reset") v.resetPending();
        else v.lost();
      }
      assert.equal(v.validAt(c.at), c.valid);
    });
  }
});
