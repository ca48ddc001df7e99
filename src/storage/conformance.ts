// The StorageBackend conformance suite (DESIGN.md rule 13): one node:test suite that every backend
// — memory, sqlite, etcd — must pass unchanged. It assumes only etcd semantics: revisions are global
// and increasing (not from 1, not contiguous per key), and other writers may share the backend.
//   runBackendConformance("etcd", () => openEtcdBackend(...))
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { StorageError } from "./types.ts";
import type { BackendEvent, KeyValue, StorageBackend } from "./types.ts";
import { dec, enc, readWatch, take, uniqueName } from "./conformance-helpers.ts";

export { runStoreConformance } from "./store-conformance.ts";

export function isStorageError(code: StorageError["code"]): (err: unknown) => boolean {
  return (err) => err instanceof StorageError && err.code === code;
}

const revOf = (e: BackendEvent): number => (e.type === "put" ? e.kv.modRevision : e.revision);
const keyOf = (e: BackendEvent): string => (e.type === "put" ? e.kv.key : e.key);

export function runBackendConformance(name: string, makeBackend: () => Promise<StorageBackend>): void {
  describe(`StorageBackend conformance: ${name}`, () => {
    const open: StorageBackend[] = [];
    after(async () => {
      for (const b of open) await b.close();
    });
    /** A backend plus a key space of its own. */
    const setup = async (): Promise<{ b: StorageBackend; p: string }> => {
      const b = await makeBackend();
      open.push(b);
      return { b, p: `/conformance/${uniqueName("t")}/` };
    };

    it("gives every write a new, increasing global revision", async () => {
      const { b, p } = await setup();
      const r0 = await b.currentRevision();
      const a = await b.create(`${p}a`, enc("1"));
      assert.ok(a.modRevision > r0);
      assert.equal(a.createRevision, a.modRevision);
      const c = await b.create(`${p}c`, enc("1"));
      assert.ok(c.modRevision > a.modRevision);
      const a2 = await b.update(`${p}a`, enc("2"), a.modRevision);
      assert.ok(a2.modRevision > c.modRevision);
      assert.equal(a2.createRevision, a.createRevision);
      assert.ok((await b.currentRevision()) >= a2.modRevision);
      const got = await b.get(`${p}a`);
      assert.equal(got?.modRevision, a2.modRevision);
      assert.equal(got?.createRevision, a.createRevision);
      assert.equal(dec(got.value), "2");
      assert.equal(await b.get(`${p}missing`), undefined);
    });

    it("keeps values byte-exact", async () => {
      const { b, p } = await setup();
      const bytes = new Uint8Array([0, 1, 2, 255, 0, 10, 13, 0x80]);
      await b.create(`${p}bin`, bytes);
      assert.deepEqual([...((await b.get(`${p}bin`))?.value ?? [])], [...bytes]);
    });

    it("refuses to create an existing key", async () => {
      const { b, p } = await setup();
      await b.create(`${p}x`, enc("first"));
      await assert.rejects(b.create(`${p}x`, enc("second")), isStorageError("exists"));
      assert.equal(dec((await b.get(`${p}x`))?.value ?? enc("")), "first");
    });

    it("compare-and-swaps updates and deletes on modRevision", async () => {
      const { b, p } = await setup();
      const v1 = await b.create(`${p}k`, enc("v1"));
      const v2 = await b.update(`${p}k`, enc("v2"), v1.modRevision);
      await assert.rejects(b.update(`${p}k`, enc("stale"), v1.modRevision), isStorageError("conflict"));
      await assert.rejects(b.delete(`${p}k`, v1.modRevision), isStorageError("conflict"));
      assert.equal(dec((await b.get(`${p}k`))?.value ?? enc("")), "v2");
      await assert.rejects(b.update(`${p}nope`, enc("x"), v2.modRevision), isStorageError("not-found"));
      await assert.rejects(b.delete(`${p}nope`), isStorageError("not-found"));
      const gone = await b.delete(`${p}k`, v2.modRevision);
      assert.equal(dec(gone.value), "v2");
      assert.equal(gone.modRevision, v2.modRevision);
      assert.equal(await b.get(`${p}k`), undefined);
      await assert.rejects(b.delete(`${p}k`), isStorageError("not-found"));
      const again = await b.create(`${p}k`, enc("v3"));
      assert.ok(again.createRevision > v2.modRevision, "a re-created key starts a new life");
      await b.delete(`${p}k`);
    });

    it("creates a contended key exactly once", async () => {
      const { b, p } = await setup();
      const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => b.create(`${p}once`, enc(String(i)))));
      assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
      for (const r of results) if (r.status === "rejected") assert.ok(isStorageError("exists")(r.reason));
    });

    it("loses no update under concurrent compare-and-swap writers", async () => {
      const { b, p } = await setup();
      await b.create(`${p}counter`, enc("0"));
      const bump = async (): Promise<void> => {
        for (;;) {
          const cur = (await b.get(`${p}counter`)) as KeyValue;
          try {
            await b.update(`${p}counter`, enc(String(Number(dec(cur.value)) + 1)), cur.modRevision);
            return;
          } catch (err) {
            if (!isStorageError("conflict")(err)) throw err;
          }
        }
      };
      await Promise.all(Array.from({ length: 8 }, async () => { for (let i = 0; i < 10; i++) await bump(); }));
      assert.equal(dec((await b.get(`${p}counter`))?.value ?? enc("")), "80");
    });

    it("lists a prefix in key order, isolated from neighbouring prefixes", async () => {
      const { b, p } = await setup();
      for (const k of ["c", "a", "e", "b", "d"]) await b.create(`${p}ns/${k}`, enc(k));
      await b.create(`${p}ns`, enc("no slash")); // the prefix without its "/"
      await b.create(`${p}nsx/a`, enc("sibling"));
      await b.create(`${p}n`, enc("shorter"));
      const all = await b.list(`${p}ns/`);
      assert.deepEqual(all.items.map((kv) => kv.key.slice(p.length)), ["ns/a", "ns/b", "ns/c", "ns/d", "ns/e"]);
      assert.equal(all.more, false);
      assert.ok(all.revision >= Math.max(...all.items.map((kv) => kv.modRevision)));
      assert.deepEqual((await b.list(`${p}zz/`)).items, []);
    });

    it("paginates with startAfter and limit", async () => {
      const { b, p } = await setup();
      const keys = ["k1", "k2", "k3", "k4", "k5", "k6", "k7"].map((k) => `${p}${k}`);
      for (const k of [...keys].reverse()) await b.create(k, enc(k));
      const seen: string[] = [];
      let startAfter: string | undefined;
      let pages = 0;
      for (;;) {
        const page = await b.list(p, { limit: 3, startAfter });
        pages++;
        seen.push(...page.items.map((kv) => kv.key));
        assert.ok(page.items.length <= 3);
        if (!page.more) break;
        startAfter = page.items.at(-1)?.key;
      }
      assert.deepEqual(seen, keys);
      assert.equal(pages, 3);
      const exact = await b.list(p, { limit: 7 });
      assert.equal(exact.items.length, 7);
      assert.equal(exact.more, false);
    });

    it("lists the snapshot at a past revision (consistent pages)", async () => {
      const { b, p } = await setup();
      const a = await b.create(`${p}a`, enc("a1"));
      await b.create(`${p}b`, enc("b1"));
      const c = await b.create(`${p}c`, enc("c1"));
      const first = await b.list(p, { limit: 1 });
      await b.update(`${p}a`, enc("a2"), a.modRevision);
      await b.delete(`${p}c`, c.modRevision);
      await b.create(`${p}bb`, enc("new"));
      await b.create(`${p}0`, enc("before a"));
      const rest = await b.list(p, { startAfter: `${p}a`, revision: first.revision });
      assert.equal(rest.revision, first.revision);
      assert.deepEqual(rest.items.map((kv) => [kv.key.slice(p.length), dec(kv.value)]), [["b", "b1"], ["c", "c1"]]);
      const page = await b.list(p, { limit: 1, revision: first.revision });
      assert.deepEqual(page.items.map((kv) => dec(kv.value)), ["a1"]);
      assert.equal(page.more, true);
      const now = await b.list(p);
      assert.deepEqual(now.items.map((kv) => dec(kv.value)), ["before a", "a2", "b1", "new"]);
    });

    it("watches from a revision: later events only, in order, with prev values", async () => {
      const { b, p } = await setup();
      const a1 = await b.create(`${p}a`, enc("a1"));
      const b1 = await b.create(`${p}b`, enc("b1"));
      const a2 = await b.update(`${p}a`, enc("a2"), a1.modRevision);
      await b.create(`/elsewhere-${uniqueName("x")}`, enc("not mine"));
      await b.delete(`${p}b`);
      const w = readWatch((signal) => b.watch(p, a1.modRevision, signal));
      try {
        const [e1, e2, e3] = await take(w, 3);
        assert.ok(e1?.type === "put" && e1.kv.key === `${p}b` && e1.prev === undefined);
        assert.equal(e1.kv.modRevision, b1.modRevision);
        assert.ok(e2?.type === "put" && dec(e2.kv.value) === "a2" && dec(e2.prev?.value ?? enc("")) === "a1");
        assert.equal(e2.kv.modRevision, a2.modRevision);
        assert.equal(e2.kv.createRevision, a1.createRevision);
        assert.ok(e3?.type === "delete" && e3.key === `${p}b` && dec(e3.prev?.value ?? enc("")) === "b1");
        assert.ok(e3.revision > a2.modRevision);
      } finally {
        w.close();
      }
    });

    it("delivers live events in revision order, only for its prefix", async () => {
      const { b, p } = await setup();
      const start = await b.currentRevision();
      const w = readWatch((signal) => b.watch(`${p}in/`, start, signal));
      try {
        const writes = await Promise.all(
          Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? b.create(`${p}in/${i}`, enc("v")) : b.create(`${p}out/${i}`, enc("v")))),
        );
        const events = await take(w, 10);
        const revs = events.map(revOf);
        assert.deepEqual(revs, [...revs].sort((x, y) => x - y));
        assert.equal(new Set(revs).size, 10);
        assert.ok(events.every((e) => keyOf(e).startsWith(`${p}in/`)));
        const expected = writes.filter((kv) => kv.key.startsWith(`${p}in/`)).map((kv) => kv.modRevision);
        assert.deepEqual(revs, expected.sort((x, y) => x - y));
      } finally {
        w.close();
      }
    });

    it("waits for a future revision before delivering", async () => {
      const { b, p } = await setup();
      const from = (await b.currentRevision()) + 2;
      const w = readWatch((signal) => b.watch(p, from, signal));
      try {
        for (const k of ["1", "2", "3"]) await b.create(`${p}${k}`, enc(k));
        const revs: number[] = [];
        for (;;) {
          const e = await w.next();
          revs.push(revOf(e));
          if (keyOf(e) === `${p}3`) break;
        }
        assert.ok(revs.every((r) => r > from), `delivered revisions ${revs.join(",")} not after ${from}`);
      } finally {
        w.close();
      }
    });

    it("ends a watch when its signal aborts", async () => {
      const { b, p } = await setup();
      const ac = new AbortController();
      const it = b.watch(p, await b.currentRevision(), ac.signal)[Symbol.asyncIterator]();
      const pending = it.next();
      ac.abort();
      const deadline = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), 5000).unref());
      const r = await Promise.race([pending, deadline]);
      assert.notEqual(r, "timeout", "watch did not end after abort");
      assert.equal((r as IteratorResult<BackendEvent>).done, true);
    });

    it("refuses watches and lists from compacted revisions", async (t) => {
      const { b, p } = await setup();
      if (b.compact === undefined) return t.skip("backend has no compact()");
      const r1 = await b.create(`${p}a`, enc("1"));
      await b.update(`${p}a`, enc("2"), r1.modRevision);
      const r3 = (await b.create(`${p}b`, enc("1"))).modRevision;
      await b.compact(r3);
      await assert.rejects(async () => {
        for await (const _ of b.watch(p, r1.modRevision, AbortSignal.timeout(5000))) break;
      }, isStorageError("compacted"));
      await assert.rejects(b.list(p, { revision: r1.modRevision }), isStorageError("compacted"));
      assert.equal((await b.list(p, { revision: r3 })).items.length, 2);
      const later = await b.create(`${p}c`, enc("1"));
      const w = readWatch((signal) => b.watch(p, r3, signal));
      try {
        const e = await w.next();
        assert.equal(revOf(e), later.modRevision);
      } finally {
        w.close();
      }
    });
  });
}
