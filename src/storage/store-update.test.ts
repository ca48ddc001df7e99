// Updates start from a possibly stale first read (a watch cache answering from memory, as kube's
// GuaranteedUpdate starts from the cached object) and must still answer from the latest state.
// staleReadsBackend serves "any revision" reads from a frozen snapshot to make the staleness real.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fixedClock, seededRandom } from "../base/index.ts";
import type { ApiObject } from "../api/index.ts";
import { createMemoryBackend } from "./memory.ts";
import { createStore } from "./store.ts";
import { StorageError } from "./types.ts";
import type { Store } from "./types.ts";
import { staleReadsBackend, type StaleReadsBackend } from "./stale-reads.ts";

const cm = (name: string, data: Record<string, string>): ApiObject => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "default" }, data });

function setup(): { b: StaleReadsBackend; s: Store } {
  const b = staleReadsBackend(createMemoryBackend());
  const s = createStore(b, { group: "", resource: "configmaps", namespaced: true }, { clock: fixedClock("2024-05-01T12:00:00Z"), random: seededRandom(3) });
  return { b, s };
}

/** Freezes the stale view of `name` at its current value, then runs `later` on the latest state. */
async function staleAfter(b: StaleReadsBackend, s: Store, name: string, later: () => Promise<unknown>): Promise<void> {
  b.freeze();
  await s.get("default", name, { resourceVersion: "0" });
  await later();
}

test("an update whose first read is current costs that read and the write, no consistent read", async () => {
  const { b, s } = setup();
  const v1 = await s.create(cm("a", { k: "1" }));
  b.reads.latest = 0;
  const v2 = await s.update({ ...v1, data: { k: "2" } });
  await s.guaranteedUpdate("default", "a", (o) => ({ ...o, data: { k: "3" } }));
  assert.ok(Number(v2.metadata.resourceVersion) > Number(v1.metadata.resourceVersion));
  assert.equal(b.reads.latest, 0);
  assert.equal(b.reads.stale, 2);
});

const cases: [string, (b: StaleReadsBackend, s: Store) => Promise<void>][] = [
  ["a resourceVersion the stale read has not seen yet is not a conflict", async (b, s) => {
    const v1 = await s.create(cm("a", { k: "1" }));
    let v2: ApiObject = v1;
    await staleAfter(b, s, "a", async () => (v2 = await s.update({ ...v1, data: { k: "2" } })));
    const v3 = await s.update({ ...v2, data: { k: "3" } });
    assert.deepEqual(v3.data, { k: "3" });
  }],
  ["an object the stale read does not have yet is updated, not \"not found\"", async (b, s) => {
    b.freeze();
    assert.equal(await s.get("default", "late", { resourceVersion: "0" }), undefined);
    await s.create(cm("late", { k: "1" }));
    const out = await s.guaranteedUpdate("default", "late", (o) => ({ ...o, data: { k: "2" } }));
    assert.deepEqual(out.data, { k: "2" });
    await assert.rejects(s.guaranteedUpdate("default", "never", (o) => o), (err: unknown) => err instanceof StorageError && err.code === "not-found");
  }],
  ["a change the stale read already shows is still written over the latest state", async (b, s) => {
    const v1 = await s.create(cm("a", { k: "1" }));
    await s.update({ ...v1, data: { k: "2" } });
    await staleAfter(b, s, "a", () => s.guaranteedUpdate("default", "a", (o) => ({ ...o, data: { k: "1" } })));
    // the stale view says k=2; making it k=2 again looks like a no-op there, but the latest is k=1
    const out = await s.guaranteedUpdate("default", "a", (o) => ({ ...o, data: { k: "2" } }));
    assert.deepEqual(out.data, { k: "2" });
    b.thaw();
    assert.deepEqual((await s.get("default", "a"))?.data, { k: "2" });
  }],
  ["a no-op answers with the latest object and resourceVersion", async (b, s) => {
    const v1 = await s.create(cm("a", { k: "1" }));
    let v2: ApiObject = v1;
    await staleAfter(b, s, "a", async () => (v2 = await s.update({ ...v1, data: { k: "2" } })));
    const same = await s.guaranteedUpdate("default", "a", () => undefined);
    assert.equal(same.metadata.resourceVersion, v2.metadata.resourceVersion);
    const unconditional = { ...v2, metadata: { ...v2.metadata, resourceVersion: undefined } };
    assert.equal((await s.update(unconditional)).metadata.resourceVersion, v2.metadata.resourceVersion);
  }],
  ["a stale resourceVersion is still a conflict once the latest state confirms it", async (b, s) => {
    const v1 = await s.create(cm("a", { k: "1" }));
    await staleAfter(b, s, "a", () => s.update({ ...v1, data: { k: "2" } }));
    // the stale view still shows v1: the CAS on it fails, and with a resourceVersion given that is final
    await assert.rejects(s.update({ ...v1, data: { k: "x" } }), (err: unknown) => err instanceof StorageError && err.code === "conflict");
  }],
  ["a lost compare-and-swap on a stale read is retried on the latest state", async (b, s) => {
    await s.create(cm("n", { count: "0" }));
    const bump = (o: ApiObject): ApiObject => ({ ...o, data: { count: String(Number((o.data as Record<string, string>).count) + 1) } });
    await staleAfter(b, s, "n", () => s.guaranteedUpdate("default", "n", bump));
    const out = await s.guaranteedUpdate("default", "n", bump);
    assert.deepEqual(out.data, { count: "2" });
  }],
];
for (const [name, run] of cases) {
  test(name, async () => {
    const { b, s } = setup();
    await run(b, s);
  });
}
