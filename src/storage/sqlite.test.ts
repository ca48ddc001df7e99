import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runBackendConformance, runStoreConformance, isStorageError } from "./conformance.ts";
import { openSqliteBackend } from "./sqlite/backend.ts";
import { createStore } from "./store.ts";

const dir = mkdtempSync(join(tmpdir(), "kpki-sqlite-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = (): string => join(dir, `db-${n++}.sqlite`);

runBackendConformance("sqlite", async () => openSqliteBackend(freshPath()));
runStoreConformance("sqlite", async () => openSqliteBackend(freshPath()));

describe("sqlite backend", () => {
  it("keeps pairs, revision and watch history across a reopen", async () => {
    const path = freshPath();
    const b1 = openSqliteBackend(path);
    const a = await b1.create("/r/a", new TextEncoder().encode("1"));
    const a2 = await b1.update("/r/a", new TextEncoder().encode("2"), a.modRevision);
    await b1.close();
    const b2 = openSqliteBackend(path);
    assert.equal(await b2.currentRevision(), a2.modRevision);
    assert.deepEqual(await b2.get("/r/a"), { ...a2, value: await b2.get("/r/a").then((kv) => kv?.value) });
    assert.equal(new TextDecoder().decode((await b2.get("/r/a"))?.value), "2");
    const next = await b2.create("/r/b", new Uint8Array([1]));
    assert.ok(next.modRevision > a2.modRevision, "revisions continue after a restart");
    const ac = new AbortController();
    const seen: string[] = [];
    for await (const e of b2.watch("/r/", a.modRevision, ac.signal)) {
      seen.push(e.type === "put" ? `${e.kv.key}@${e.kv.modRevision}` : e.key);
      if (seen.length === 2) ac.abort();
    }
    assert.deepEqual(seen, [`/r/a@${a2.modRevision}`, `/r/b@${next.modRevision}`]);
    await b2.close();
  });

  it("refuses a second open of a database in use", async () => {
    const path = freshPath();
    const b1 = openSqliteBackend(path);
    assert.throws(() => openSqliteBackend(path, { lockTimeoutMs: 0 }), (err: unknown) => isStorageError("unavailable")(err) && /in use by another kpki server/.test((err as Error).message));
    await b1.close();
    const b2 = openSqliteBackend(path);
    await b2.close();
  });

  it("compacts its event log to historyLimit, persistently", async () => {
    const path = freshPath();
    const b = openSqliteBackend(path, { historyLimit: 3 });
    const first = await b.create("/h/0", new Uint8Array([0]));
    for (let i = 1; i < 10; i++) await b.create(`/h/${i}`, new Uint8Array([i]));
    await b.close();
    const again = openSqliteBackend(path, { historyLimit: 3 });
    await assert.rejects(async () => {
      for await (const _ of again.watch("/h/", first.modRevision, AbortSignal.timeout(1000))) break;
    }, isStorageError("compacted"));
    await assert.rejects(again.list("/h/", { revision: first.modRevision }), isStorageError("compacted"));
    assert.equal((await again.list("/h/")).items.length, 10);
    await again.close();
  });

  it("serves Store reads from the file", async () => {
    const b = openSqliteBackend(freshPath());
    const s = createStore(b, { group: "", resource: "configmaps", namespaced: true });
    const made = await s.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x", namespace: "default" }, data: { k: "v" } });
    assert.deepEqual(await s.get("default", "x"), made);
    await b.close();
    await assert.rejects(s.get("default", "x"), isStorageError("unavailable"));
  });
});
