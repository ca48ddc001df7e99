// The Store<T> conformance suite: kube's object semantics over any StorageBackend.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { fixedClock, seededRandom } from "../base/index.ts";
import type { ApiObject } from "../api/index.ts";
import { StorageError } from "./types.ts";
import type { StorageBackend, Store, WatchEvent } from "./types.ts";
import { createStore } from "./store.ts";
import { manualTicker } from "./ticker.ts";
import { readWatch, take, uniqueName } from "./conformance-helpers.ts";

const isCode = (code: StorageError["code"]) => (err: unknown) => err instanceof StorageError && err.code === code;
const cm = (namespace: string, name: string, data: Record<string, string> = {}, labels?: Record<string, string>): ApiObject => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: labels ? { name, namespace, labels } : { name, namespace },
  data,
});
const rv = (o: ApiObject): number => Number(o.metadata.resourceVersion);
const summary = (events: WatchEvent[]): string[] => events.map((e) => `${e.type} ${e.object.metadata.name ?? ""}`);

export function runStoreConformance(name: string, makeBackend: () => Promise<StorageBackend>): void {
  describe(`Store conformance: ${name}`, () => {
    const open: StorageBackend[] = [];
    after(async () => {
      for (const b of open) await b.close();
    });
    const clock = fixedClock("2024-05-01T12:00:00.750Z");
    const setup = async (namespaced = true): Promise<{ s: Store; b: StorageBackend }> => {
      const b = await makeBackend();
      open.push(b);
      const resource = uniqueName("configmaps");
      return { b, s: createStore(b, { group: "", resource, namespaced, apiVersion: "v1", kind: "ConfigMap" }, { clock, random: seededRandom(7) }) };
    };

    it("creates with uid, creationTimestamp and resourceVersion; refuses duplicates", async () => {
      const { s } = await setup();
      const made = await s.create({ ...cm("default", "one"), metadata: { name: "one", namespace: "default", uid: "mine", resourceVersion: "5" } });
      assert.match(made.metadata.uid ?? "", /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.equal(made.metadata.creationTimestamp, "2024-05-01T12:00:00Z");
      assert.match(made.metadata.resourceVersion ?? "", /^\d+$/);
      assert.deepEqual(await s.get("default", "one"), made);
      assert.equal(await s.get("other", "one"), undefined);
      await assert.rejects(s.create(cm("default", "one")), (err: unknown) => isCode("exists")(err) && /"one" already exists/.test((err as Error).message));
      await assert.rejects(s.create(cm("default", "a/b")), isCode("invalid"));
      await assert.rejects(s.create(cm("", "x")), isCode("invalid"));
    });

    it("updates by compare-and-swap on resourceVersion", async () => {
      const { s } = await setup();
      const v1 = await s.create(cm("default", "x", { a: "1" }));
      const v2 = await s.update({ ...v1, data: { a: "2" } });
      assert.ok(rv(v2) > rv(v1));
      assert.equal(v2.metadata.uid, v1.metadata.uid);
      await assert.rejects(s.update({ ...v1, data: { a: "stale" } }), (err: unknown) => isCode("conflict")(err) && /the object has been modified/.test((err as Error).message));
      const { resourceVersion: _drop, uid: _u, creationTimestamp: _c, ...meta } = v2.metadata;
      const v3 = await s.update({ ...v2, metadata: meta, data: { a: "3" } });
      assert.ok(rv(v3) > rv(v2), "no resourceVersion = unconditional update");
      assert.equal(v3.metadata.uid, v1.metadata.uid, "uid kept from the stored object");
      assert.equal(v3.metadata.creationTimestamp, v1.metadata.creationTimestamp);
      const same = await s.update({ ...v3 });
      assert.equal(same.metadata.resourceVersion, v3.metadata.resourceVersion, "a no-op update keeps resourceVersion");
      await assert.rejects(s.update(cm("default", "missing")), isCode("not-found"));
      await assert.rejects(s.update({ ...v3, metadata: { ...v3.metadata, resourceVersion: "x1" } }), isCode("invalid"));
    });

    it("guaranteedUpdate retries lost races and loses nothing", async () => {
      const { s } = await setup();
      await s.create(cm("default", "n", { count: "0" }));
      const bump = (o: ApiObject): ApiObject => ({ ...o, data: { count: String(Number((o.data as Record<string, string>).count) + 1) } });
      await Promise.all(Array.from({ length: 20 }, () => s.guaranteedUpdate("default", "n", bump)));
      const final = await s.get("default", "n");
      assert.deepEqual(final?.data, { count: "20" });
      const unchanged = await s.guaranteedUpdate("default", "n", () => undefined);
      assert.equal(unchanged.metadata.resourceVersion, final?.metadata.resourceVersion);
      await assert.rejects(s.guaranteedUpdate("default", "ghost", bump), isCode("not-found"));
    });

    it("gets with kube's resourceVersion: \"\" and \"0\" and not-older-than N; a future N is \"too-new\"", async () => {
      const { s } = await setup();
      const v1 = await s.create(cm("default", "g", { a: "1" }));
      const v2 = await s.update({ ...v1, data: { a: "2" } });
      for (const resourceVersion of ["", "0", v1.metadata.resourceVersion, v2.metadata.resourceVersion]) {
        assert.deepEqual((await s.get("default", "g", { resourceVersion }))?.data, { a: "2" }, `resourceVersion "${resourceVersion}"`);
      }
      const future = String(rv(v2) + 1000);
      const tooNew = (err: unknown): boolean =>
        isCode("too-new")(err) && (err as StorageError).revision !== undefined && new RegExp(`^Too large resource version: ${future}, current: \\d+$`).test((err as Error).message);
      await assert.rejects(s.get("default", "g", { resourceVersion: future }), tooNew);
      await assert.rejects(s.get("default", "absent", { resourceVersion: future }), tooNew, "checked before \"not found\"");
      await assert.rejects(s.list({ namespace: "default", resourceVersion: future }), tooNew);
      await assert.rejects(s.get("default", "g", { resourceVersion: "x" }), isCode("invalid"));
      assert.equal((await s.list({ namespace: "default", resourceVersion: "0" })).items.length, 1);
    });

    it("deletes, with an optional resourceVersion precondition", async () => {
      const { s } = await setup();
      const v1 = await s.create(cm("default", "d", { a: "1" }));
      const v2 = await s.update({ ...v1, data: { a: "2" } });
      await assert.rejects(s.delete("default", "d", v1.metadata.resourceVersion), isCode("conflict"));
      const gone = await s.delete("default", "d", v2.metadata.resourceVersion);
      assert.deepEqual(gone.data, { a: "2" });
      assert.equal(await s.get("default", "d"), undefined);
      await assert.rejects(s.delete("default", "d"), (err: unknown) => isCode("not-found")(err) && /"d" not found/.test((err as Error).message));
    });

    it("stores cluster-scoped objects without a namespace", async () => {
      const { s } = await setup(false);
      const made = await s.create(cm("ignored", "node-1"));
      assert.equal(made.metadata.namespace, undefined);
      assert.equal((await s.get("", "node-1"))?.metadata.name, "node-1");
      assert.deepEqual((await s.list()).items.map((o) => o.metadata.name), ["node-1"]);
    });

    it("lists by namespace and filter, each item with its own resourceVersion", async () => {
      const { s } = await setup();
      for (const [ns, n, team] of [["a", "x", "red"], ["b", "y", "blue"], ["a", "z", "blue"], ["ab", "w", "red"]] as const) {
        await s.create(cm(ns, n, {}, { team }));
      }
      const all = await s.list();
      assert.deepEqual(all.items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`), ["a/x", "a/z", "ab/w", "b/y"]);
      assert.ok(all.items.every((o) => rv(o) <= Number(all.resourceVersion)));
      assert.deepEqual((await s.list({ namespace: "a" })).items.map((o) => o.metadata.name), ["x", "z"]);
      const red = await s.list({ filter: (o) => o.metadata.labels?.team === "red" });
      assert.deepEqual(red.items.map((o) => o.metadata.name), ["x", "w"]);
    });

    it("paginates one consistent snapshot with continue tokens", async () => {
      const { s } = await setup();
      for (const n of ["a", "b", "c", "d", "e", "f", "g"]) await s.create(cm("default", n, {}, { odd: String("aceg".includes(n)) }));
      const p1 = await s.list({ namespace: "default", limit: 3 });
      assert.deepEqual(p1.items.map((o) => o.metadata.name), ["a", "b", "c"]);
      assert.ok(p1.continue);
      await s.delete("default", "e");
      await s.create(cm("default", "dd"));
      const p2 = await s.list({ namespace: "default", limit: 3, continue: p1.continue });
      assert.deepEqual(p2.items.map((o) => o.metadata.name), ["d", "e", "f"], "later pages read the first page's revision");
      assert.equal(p2.resourceVersion, p1.resourceVersion);
      const p3 = await s.list({ namespace: "default", limit: 3, continue: p2.continue });
      assert.deepEqual(p3.items.map((o) => o.metadata.name), ["g"]);
      assert.equal(p3.continue, undefined);
      const odd = await s.list({ namespace: "default", limit: 2, filter: (o) => o.metadata.labels?.odd === "true" });
      assert.deepEqual(odd.items.map((o) => o.metadata.name), ["a", "c"]);
      const odd2 = await s.list({ namespace: "default", limit: 2, filter: (o) => o.metadata.labels?.odd === "true", continue: odd.continue });
      assert.deepEqual(odd2.items.map((o) => o.metadata.name), ["g"], "a fresh list reads the latest revision: e is gone");
      await assert.rejects(s.list({ continue: "not-a-token" }), isCode("invalid"));
      const exact = await s.list({ namespace: "default", resourceVersion: p1.resourceVersion, resourceVersionMatch: "Exact" });
      assert.deepEqual(exact.items.map((o) => o.metadata.name), ["a", "b", "c", "d", "e", "f", "g"]);
    });

    it("answers a continue token or watch from a compacted revision with \"compacted\"", async (t) => {
      const { s, b } = await setup();
      if (b.compact === undefined) return t.skip("backend has no compact()");
      for (const n of ["a", "b", "c"]) await s.create(cm("default", n));
      const p1 = await s.list({ namespace: "default", limit: 1 });
      await s.delete("default", "b");
      await b.compact(await b.currentRevision());
      await assert.rejects(s.list({ namespace: "default", limit: 1, continue: p1.continue }), isCode("compacted"));
      await assert.rejects(async () => {
        for await (const _ of s.watch({ resourceVersion: p1.resourceVersion, signal: AbortSignal.timeout(5000) })) break;
      }, isCode("compacted"));
    });

    it("watches from \"0\": current state as ADDED, then changes with resourceVersions", async () => {
      const { s } = await setup();
      await s.create(cm("default", "pre"));
      await s.create(cm("other", "elsewhere"));
      const w = readWatch((signal) => s.watch({ namespace: "default", resourceVersion: "0", signal }));
      try {
        assert.deepEqual(summary([await w.next()]), ["ADDED pre"]);
        const made = await s.create(cm("default", "live"));
        await s.create(cm("other", "not-seen"));
        const changed = await s.update({ ...made, data: { k: "v" } });
        const gone = await s.delete("default", "live");
        const events = await take(w, 3);
        assert.deepEqual(summary(events), ["ADDED live", "MODIFIED live", "DELETED live"]);
        assert.equal(events[0]?.object.metadata.resourceVersion, made.metadata.resourceVersion);
        assert.equal(events[1]?.object.metadata.resourceVersion, changed.metadata.resourceVersion);
        assert.ok(rv(events[2]!.object) > rv(changed), "DELETED carries the delete revision");
        assert.deepEqual(events[2]?.object.data, gone.data);
      } finally {
        w.close();
      }
    });

    it("watches from a resourceVersion: only later changes", async () => {
      const { s } = await setup();
      const a = await s.create(cm("default", "a"));
      await s.create(cm("default", "b"));
      await s.update({ ...a, data: { x: "1" } });
      const w = readWatch((signal) => s.watch({ resourceVersion: a.metadata.resourceVersion, signal }));
      try {
        assert.deepEqual(summary(await take(w, 2)), ["ADDED b", "MODIFIED a"]);
      } finally {
        w.close();
      }
    });

    it("turns objects leaving or entering a filtered watch into DELETED and ADDED", async () => {
      const { s } = await setup();
      const { resourceVersion } = await s.list();
      const w = readWatch((signal) => s.watch({ resourceVersion, signal, filter: (o) => o.metadata.labels?.team === "red" }));
      try {
        const x = await s.create(cm("default", "x", {}, { team: "blue" }));
        const x2 = await s.update({ ...x, metadata: { ...x.metadata, labels: { team: "red" } } });
        const x3 = await s.update({ ...x2, data: { k: "v" } });
        const x4 = await s.update({ ...x3, metadata: { ...x3.metadata, labels: { team: "blue" } } });
        await s.delete("default", "x");
        const events = await take(w, 3);
        assert.deepEqual(summary(events), ["ADDED x", "MODIFIED x", "DELETED x"]);
        assert.equal(events[2]?.object.metadata.resourceVersion, x4.metadata.resourceVersion);
        assert.equal(events[2]?.object.metadata.labels?.team, "red", "DELETED carries the last matching state");
      } finally {
        w.close();
      }
    });

    it("emits BOOKMARK events with the newest delivered revision on each tick", async () => {
      const { s } = await setup();
      const ticker = manualTicker();
      const w = readWatch((signal) => s.watch({ resourceVersion: "0", signal, bookmarks: ticker }));
      try {
        const made = await s.create(cm("default", "m"));
        assert.deepEqual(summary([await w.next()]), ["ADDED m"]);
        ticker.tick();
        const bm = await w.next();
        assert.equal(bm.type, "BOOKMARK");
        assert.equal(bm.object.kind, "ConfigMap");
        assert.equal(bm.object.metadata.resourceVersion, made.metadata.resourceVersion);
      } finally {
        w.close();
      }
    });

    it("keeps resources with a common name stem apart", async () => {
      const b = await makeBackend();
      open.push(b);
      const stem = uniqueName("widgets");
      const one = createStore(b, { group: "example.com", resource: stem, namespaced: true });
      const two = createStore(b, { group: "example.com", resource: `${stem}x`, namespaced: true });
      await one.create(cm("default", "a"));
      await two.create(cm("default", "b"));
      assert.deepEqual((await one.list()).items.map((o) => o.metadata.name), ["a"]);
      assert.equal(await one.get("default", "b"), undefined);
    });
  });
}
