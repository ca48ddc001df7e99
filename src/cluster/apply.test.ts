import { test } from "node:test";
import assert from "node:assert/strict";
import { fixedClock, seededRandom } from "../base/index.ts";
import { DEFAULT_CLUSTER } from "../config/index.ts";
import { applyPlan, clusterCertSpecs, planClusterPki, type ClusterSpec, type PkiSink } from "./index.ts";

type Written = { path: string; data: string | Uint8Array; mode?: number };

/** A batch sink whose writes finish a few event-loop turns later (as libuv's do), recording how many
 *  of those turns had run when each batch arrived and how many batches were in flight at once. */
function slowBatchSink(turns: number) {
  const files = new Map<string, Written>();
  const starts: number[] = [];
  const progress = { inFlight: 0, maxInFlight: 0, ticks: 0 };
  const later = (): Promise<void> => new Promise((r) => setImmediate(r));
  const sink: PkiSink = {
    mkdirp: async () => undefined,
    writeFileAtomic: async () => assert.fail("the batch form is used when the sink has it"),
    async writeFilesAtomic(batch) {
      starts.push(progress.ticks);
      progress.maxInFlight = Math.max(progress.maxInFlight, ++progress.inFlight);
      for (let i = 0; i < turns; i++) {
        await later();
        progress.ticks++;
      }
      for (const f of batch) {
        assert.ok(!files.has(f.path), `${f.path} written once`);
        files.set(f.path, f);
      }
      progress.inFlight--;
    },
  };
  return { files, starts, progress, sink };
}

const nodes = (n: number): ClusterSpec => ({
  ...DEFAULT_CLUSTER,
  workers: Array.from({ length: n }, (_, i) => ({ name: `w-${i}`, ips: [`10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`] })),
});

test("applyPlan writes every file once, in batches that overlap issuance, at most two in flight", async () => {
  const spec = nodes(300);
  const clock = fixedClock("2026-01-01T00:00:00Z");
  const plan = planClusterPki(spec, new Map(), { now: clock.now(), server: "https://10.0.0.1:6443" });
  const m = slowBatchSink(5);
  // Serials are drawn per certificate: the sink's turns counted at the last draw ran during issuance.
  const seeded = seededRandom(3);
  let turnsWhileIssuing = 0;
  const random = { bytes: (n: number) => ((turnsWhileIssuing = m.progress.ticks), seeded.bytes(n)) };
  const written = await applyPlan(plan, { dir: "d", sink: m.sink, existing: new Map(), clock, random });
  // 3 CAs + 1 leaf with .crt/.key each, 5 kubeconfigs, per node .crt/.key ×2 + a kubeconfig, sa.key/.pub.
  const specs = clusterCertSpecs(spec);
  const want = specs.reduce((n, s) => n + (s.files ? 2 : 0) + (s.kubeconfig ? 1 : 0), 2);
  assert.equal(written.length, want);
  assert.equal(m.files.size, want);
  assert.deepEqual(new Set(written.map((f) => `d/${f}`)), new Set(m.files.keys()));
  for (const [path, f] of m.files) assert.equal(f.mode, /\.(key|conf)$/.test(path) ? 0o600 : 0o644, path);
  assert.ok(m.starts.length >= 4, `several batches (${m.starts.length})`);
  assert.ok(m.progress.maxInFlight <= 3, `CA batch + at most two leaf batches in flight (${m.progress.maxInFlight})`);
  // Pipelining: the batch writes made progress (their event-loop turns ran) while leaves were being
  // signed, instead of all waiting for the last signature.
  assert.ok(turnsWhileIssuing >= 10, `writes progressed during issuance (${turnsWhileIssuing} turns)`);
});

test("applyPlan: a failing batch write fails the apply", async () => {
  const spec = nodes(200);
  const clock = fixedClock("2026-01-01T00:00:00Z");
  const plan = planClusterPki(spec, new Map(), { now: clock.now(), server: "https://10.0.0.1:6443" });
  let calls = 0;
  const sink: PkiSink = {
    mkdirp: async () => undefined,
    writeFileAtomic: async () => undefined,
    writeFilesAtomic: async () => {
      if (++calls === 2) throw new Error("disk full");
    },
  };
  await assert.rejects(() => applyPlan(plan, { dir: "d", sink, existing: new Map(), clock, random: seededRandom(3) }), /disk full/);
});
