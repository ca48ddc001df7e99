import { test } from "node:test";
import assert from "node:assert/strict";
import { fixedClock, seededRandom, DAY } from "../base/index.ts";
import { DEFAULT_CLUSTER, currentIdentity, parseKubeconfig } from "../config/index.ts";
import { applyPlan, clusterCertSpecs, loadExisting, planClusterPki, type PkiSink, type PkiSource } from "./index.ts";

/** An in-memory DIR: the sink writes into it, the source reads from it. */
function memoryDir() {
  const files = new Map<string, { data: string; mode: number }>();
  const sink: PkiSink = {
    mkdirp: async () => undefined,
    writeFileAtomic: async (p, d, o) => void files.set(p, { data: typeof d === "string" ? d : Buffer.from(d).toString(), mode: o?.mode ?? 0o644 }),
  };
  const readText = async (p: string): Promise<string | undefined> => files.get(`d/${p}`)?.data;
  const source: PkiSource = {
    readText,
    async readKubeconfigCredentials(p) {
      const text = await readText(p);
      if (text === undefined) return undefined;
      const { user } = currentIdentity(await parseKubeconfig(text, p), p);
      return { certPem: user.certPem, keyPem: user.keyPem };
    },
  };
  return { files, sink, source };
}

const SERVER = "https://192.168.10.100:6443";

async function initOnce(at: string) {
  const m = memoryDir();
  const clock = fixedClock(at);
  const existing = await loadExisting(clusterCertSpecs(DEFAULT_CLUSTER), m.source);
  const plan = planClusterPki(DEFAULT_CLUSTER, existing, { now: clock.now(), server: SERVER });
  await applyPlan(plan, { dir: "d", sink: m.sink, existing, clock, random: seededRandom(7) });
  return m;
}

test("empty dir: every step is create; keys and kubeconfigs are 0600", async () => {
  const plan = planClusterPki(DEFAULT_CLUSTER, new Map(), { now: new Date("2026-01-01T00:00:00Z"), server: SERVER });
  assert.ok(plan.steps.every((s) => s.action === "create"));
  assert.equal(plan.steps.length, 22);
  const m = await initOnce("2026-01-01T00:00:00Z");
  assert.equal(m.files.get("d/pki/ca.key")?.mode, 0o600);
  assert.equal(m.files.get("d/admin.conf")?.mode, 0o600);
  assert.equal(m.files.get("d/pki/ca.crt")?.mode, 0o644);
  assert.equal(m.files.size, 42);
});

test("re-plan over its own output keeps everything; later than a leaf's expiry re-issues leaves only", async () => {
  const m = await initOnce("2026-01-01T00:00:00Z");
  const existing = await loadExisting(clusterCertSpecs(DEFAULT_CLUSTER), m.source);
  const same = planClusterPki(DEFAULT_CLUSTER, existing, { now: new Date("2026-06-01T00:00:00Z"), server: SERVER });
  assert.ok(same.steps.every((s) => s.action === "keep"), JSON.stringify(same.steps.filter((s) => s.action !== "keep").map((s) => s.reason)));
  const later = planClusterPki(DEFAULT_CLUSTER, existing, { now: new Date(Date.parse("2026-01-01T00:00:00Z") + 400 * DAY), server: SERVER });
  for (const s of later.steps) {
    if (s.kind === "cert" && s.spec.isCa) assert.equal(s.action, "keep", s.spec.name);
    else if (s.kind === "cert") assert.match(`${s.action} ${s.reason}`, /^reissue expired/, s.spec.name);
  }
});

test("a changed node IP re-issues that node's serving certificate; a new CA re-issues its leaves", async () => {
  const m = await initOnce("2026-01-01T00:00:00Z");
  const existing = await loadExisting(clusterCertSpecs(DEFAULT_CLUSTER), m.source);
  const spec = { ...DEFAULT_CLUSTER, workers: [{ name: "node-0", ips: ["10.9.9.9"] }, DEFAULT_CLUSTER.workers[1]!] };
  const plan = planClusterPki(spec, existing, { now: new Date("2026-02-01T00:00:00Z"), server: SERVER });
  assert.deepEqual(plan.steps.filter((s) => s.action !== "keep").map((s) => (s.kind === "cert" ? s.spec.name : s.kind)), ["kubelet-serving-node-0"]);
  const withoutEtcdCa = new Map(existing);
  withoutEtcdCa.delete("etcd-ca");
  const p2 = planClusterPki(DEFAULT_CLUSTER, withoutEtcdCa, { now: new Date("2026-02-01T00:00:00Z"), server: SERVER });
  assert.deepEqual(
    p2.steps.filter((s) => s.action !== "keep").map((s) => (s.kind === "cert" ? s.spec.name : s.kind)),
    ["etcd-ca", "etcd-server", "etcd-peer", "etcd-healthcheck-client", "apiserver-etcd-client"],
  );
});

test("a CA whose key does not match refuses to plan (never silently replaced)", async () => {
  const a = await initOnce("2026-01-01T00:00:00Z");
  const b = await initOnce("2026-01-01T00:00:00Z");
  a.files.set("d/pki/ca.key", b.files.get("d/pki/etcd/ca.key")!);
  const existing = await loadExisting(clusterCertSpecs(DEFAULT_CLUSTER), a.source);
  assert.throws(() => planClusterPki(DEFAULT_CLUSTER, existing, { now: new Date("2026-02-01T00:00:00Z"), server: SERVER }), /CA "ca": pki\/ca\.key does not match pki\/ca\.crt/);
});
