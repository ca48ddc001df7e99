import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { runBackendConformance, runStoreConformance, isStorageError } from "./conformance.ts";
import { createMemoryBackend } from "./memory.ts";

runBackendConformance("memory", async () => createMemoryBackend());
runStoreConformance("memory", async () => createMemoryBackend());

describe("memory backend history", () => {
  it("compacts beyond historyLimit: old watches fail, recent ones replay", async () => {
    const b = createMemoryBackend({ historyLimit: 4 });
    const first = await b.create("/k/0", new Uint8Array([0]));
    for (let i = 1; i < 20; i++) await b.create(`/k/${i}`, new Uint8Array([i]));
    await assert.rejects(async () => {
      for await (const _ of b.watch("/k/", first.modRevision, AbortSignal.timeout(1000))) break;
    }, isStorageError("compacted"));
    const now = await b.currentRevision();
    const ac = new AbortController();
    const seen: number[] = [];
    for await (const e of b.watch("/k/", now - 3, ac.signal)) {
      seen.push(e.type === "put" ? e.kv.modRevision : e.revision);
      if (seen.length === 3) ac.abort();
    }
    assert.deepEqual(seen, [now - 2, now - 1, now]);
    await b.close();
  });

  it("ends a watcher that falls too far behind with \"compacted\"", async () => {
    const b = createMemoryBackend({ historyLimit: 3 });
    const it = b.watch("/k/", await b.currentRevision(), AbortSignal.timeout(5000))[Symbol.asyncIterator]();
    const first = it.next();
    for (let i = 0; i < 10; i++) await b.create(`/k/${i}`, new Uint8Array([i]));
    assert.equal((await first).done, false);
    await assert.rejects(async () => {
      for (;;) if ((await it.next()).done) break;
    }, isStorageError("compacted"));
    await b.close();
  });
});
