import { test } from "node:test";
import assert from "node:assert/strict";
import { fixedClock, seededRandom } from "../base/index.ts";
import { DEFAULT_CLUSTER } from "../config/index.ts";
import { applyPlan, clusterCertSpecs, planClusterPki, type ClusterSpec, type PkiSink } from "./index.ts";

type Written = { path: string; data: string | Uint8Array; mode?: number };

/** A staging sink whose adds finish a few event-loop turns later (as libuv's do), recording how many
 *  of those turns had run when each batch arrived, how many batches were in flight at once, and
 *  which files are visible (only after commit). */
function slowBatchSink(turns: number) {
  const files = new Map<string, Written>();
  const staged = new Map<string, Written>();
  const starts: number[] = [];
  const progress = { inFlight: 0, maxInFlight: 0, ticks: 0, commits: 0, aborts: 0 };
  const later = (): Promise<void> => new Promise((r) => setImmediate(r));
  const sink: PkiSink = {
    mkdirp: async () => undefined,
    writeFileAtomic: async () => assert.fail("the staged form is used when the sink has it"),
    stageFiles: () => ({
      async add(batch) {
        starts.push(progress.ticks);
        progress.maxInFlight = Math.max(progress.maxInFlight, ++progress.inFlight);
        for (let i = 0; i < turns; i++) {
          await later();
          progress.ticks++;
        }
        for (const f of batch) {
          assert.ok(!staged.has(f.path), `${f.path} written once`);
          staged.set(f.path, f);
        }
        progress.inFlight--;
      },
      async commit() {
        progress.commits++;
        for (const [k, v] of staged) files.set(k, v);
      },
      async abort() {
        progress.aborts++;
        assert.equal(progress.inFlight, 0, "no add still in flight when the stage is aborted");
        staged.clear();
      },
    }),
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
  assert.deepEqual([m.progress.commits, m.progress.aborts], [1, 0], "one commit makes every file visible");
  assert.ok(m.progress.maxInFlight <= 3, `CA batch + at most two leaf batches in flight (${m.progress.maxInFlight})`);
  // Pipelining: the batch writes made progress (their event-loop turns ran) while leaves were being
  // signed, instead of all waiting for the last signature.
  assert.ok(turnsWhileIssuing >= 10, `writes progressed during issuance (${turnsWhileIssuing} turns)`);
});

test("applyPlan: a failing batch write fails the apply, aborts the stage after the writes in flight, shows no file", async () => {
  const spec = nodes(200);
  const clock = fixedClock("2026-01-01T00:00:00Z");
  const plan = planClusterPki(spec, new Map(), { now: clock.now(), server: "https://10.0.0.1:6443" });
  const m = slowBatchSink(3);
  const stage = m.sink.stageFiles!.bind(m.sink);
  let calls = 0;
  const sink: PkiSink = {
    ...m.sink,
    stageFiles() {
      const inner = stage();
      return { ...inner, add: async (files) => (++calls === 2 ? Promise.reject(new Error("disk full")) : inner.add(files)) };
    },
  };
  await assert.rejects(() => applyPlan(plan, { dir: "d", sink, existing: new Map(), clock, random: seededRandom(3) }), /disk full/);
  assert.deepEqual([m.progress.commits, m.progress.aborts, m.files.size], [0, 1, 0]);
});
