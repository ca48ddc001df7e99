// The strategy lifecycle hooks (types.ts beginCreate / beginUpdate / afterDelete): when the generic
// handler calls them and what each write's finish is told.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ApiError, findResource, type ApiObject } from "../api/index.ts";
import { seededRandom } from "../base/index.ts";
import { createResourceHandler } from "./handler.ts";
import { namespaceCascade } from "./registry.ts";
import { cm, harness, type Harness } from "./testing.ts";
import type { ResourceHandler, ResourceStrategy } from "./types.ts";

const CONFIGMAPS = findResource("", "v1", "configmaps");
const NAMESPACES = findResource("", "v1", "namespaces");
assert.ok(CONFIGMAPS && NAMESPACES);

/** A strategy that records every hook call; beginCreate/beginUpdate stamp a label on what is stored. */
function recorder(onBeginUpdate?: () => Promise<void>): { strategy: ResourceStrategy; log: string[] } {
  const log: string[] = [];
  const stamp = (o: ApiObject, v: string): ApiObject => ({ ...o, metadata: { ...o.metadata, labels: { ...o.metadata.labels, hook: v } } });
  const strategy: ResourceStrategy = {
    beginCreate: async (o, ctx) => {
      log.push(`beginCreate ${o.metadata.name ?? ""}${ctx.dryRun ? " dry" : ""}`);
      return { obj: stamp(o, "created"), finish: async (ok) => void log.push(`finish ${ok}`) };
    },
    beginUpdate: async (next, _cur, _ctx, sub) => {
      log.push(`beginUpdate ${next.metadata.name ?? ""} "${sub}"`);
      await onBeginUpdate?.();
      return { obj: stamp(next, "updated"), finish: async (ok) => void log.push(`finish ${ok}`) };
    },
    afterDelete: async (o) => void log.push(`afterDelete ${o.metadata.name ?? ""}`),
  };
  return { strategy, log };
}

function handlerWith(t: Harness, strategy: ResourceStrategy): ResourceHandler {
  if (!CONFIGMAPS || !NAMESPACES) throw new Error("resource table");
  return createResourceHandler(CONFIGMAPS, { store: t.stores(CONFIGMAPS), namespaces: t.stores(NAMESPACES), strategy, clock: t.clock, random: seededRandom(1) });
}

describe("strategy lifecycle hooks", () => {
  it("create: the hook's object is stored; finish(true) after the write, finish(false) when it fails or is a dry run", async () => {
    const t = await harness();
    const { strategy, log } = recorder();
    const h = handlerWith(t, strategy);
    const a = await h.create(t.ctx(), "default", cm("a"));
    assert.equal(a.metadata.labels?.hook, "created");
    await assert.rejects(h.create(t.ctx(), "default", cm("a")), (e: unknown) => e instanceof ApiError && e.code === "AlreadyExists");
    const dry = await h.create(t.ctx(undefined, { dryRun: true }), "default", cm("b"));
    assert.equal(dry.metadata.labels?.hook, "created");
    assert.equal(await t.stores(CONFIGMAPS).get("default", "b"), undefined);
    // Validation fails before the hook: nothing begun.
    await assert.rejects(h.create(t.ctx(), "default", cm("Bad_Name")), (e: unknown) => e instanceof ApiError && e.code === "Invalid");
    assert.deepEqual(log, ["beginCreate a", "finish true", "beginCreate a", "finish false", "beginCreate b dry", "finish false"]);
  });

  it("update, patch and /status each begin once with their subresource", async () => {
    const t = await harness();
    const { strategy, log } = recorder();
    const h = handlerWith(t, strategy);
    const a = await h.create(t.ctx(), "default", cm("a"));
    log.length = 0;
    const u = await h.update(t.ctx(), "default", "a", { ...a, data: { k: "v" } });
    assert.equal(u.metadata.labels?.hook, "updated");
    await h.patch(t.ctx(), "default", "a", "merge", { data: { k: "w" } }, {});
    await h.patch(t.ctx(undefined, { dryRun: true }), "default", "a", "merge", { data: { k: "x" } }, {});
    assert.deepEqual(log, ['beginUpdate a ""', "finish true", 'beginUpdate a ""', "finish true", 'beginUpdate a ""', "finish false"]);
  });

  it("a patch retried after a conflict finishes the lost attempt (false) before beginning again", async () => {
    const t = await harness();
    let races = 1;
    const { strategy, log } = recorder(async () => {
      // A concurrent writer moves the object on between this attempt's read and its write.
      if (races-- <= 0) return;
      const live = await t.stores(CONFIGMAPS!).get("default", "a");
      if (live) await t.stores(CONFIGMAPS!).update({ ...live, data: { raced: "yes" } });
    });
    const h = handlerWith(t, strategy);
    await h.create(t.ctx(), "default", cm("a"));
    log.length = 0;
    const p = await h.patch(t.ctx(), "default", "a", "merge", { data: { k: "v" } }, {});
    assert.deepEqual(p.data, { raced: "yes", k: "v" });
    assert.deepEqual(log, ['beginUpdate a ""', "finish false", 'beginUpdate a ""', "finish true"]);
  });

  it("afterDelete: on delete and deletecollection, when the last finalizer goes, never on dry run or while finalizers hold", async () => {
    const t = await harness();
    const { strategy, log } = recorder();
    const h = handlerWith(t, strategy);
    await h.create(t.ctx(), "default", cm("a"));
    await h.create(t.ctx(), "default", { ...cm("held"), metadata: { name: "held", finalizers: ["x/y"] } });
    log.length = 0;
    await h.delete(t.ctx(undefined, { dryRun: true }), "default", "a", {});
    await h.delete(t.ctx(), "default", "a", {});
    const marked = await h.delete(t.ctx(), "default", "held", {});
    assert.ok(marked.metadata.deletionTimestamp);
    await h.patch(t.ctx(), "default", "held", "merge", { metadata: { finalizers: null } }, {});
    await h.create(t.ctx(), "default", cm("c1"));
    await h.create(t.ctx(), "default", cm("c2"));
    await h.deleteCollection(t.ctx(), "default", {});
    assert.deepEqual(log.filter((l) => l.startsWith("afterDelete")), ["afterDelete a", "afterDelete held", "afterDelete c1", "afterDelete c2"]);
  });

  it("the namespace cascade calls each deleted object's afterDelete", async () => {
    const t = await harness();
    const { strategy, log } = recorder();
    for (const n of ["x", "y"]) await t.stores(CONFIGMAPS!).create({ ...cm(n), metadata: { name: n, namespace: "kube-public" } });
    await namespaceCascade(t.stores, (i) => (i === CONFIGMAPS ? strategy : undefined))("kube-public", t.ctx());
    assert.deepEqual(log, ["afterDelete x", "afterDelete y"]);
    assert.equal((await t.stores(CONFIGMAPS!).list({ namespace: "kube-public" })).items.length, 0);
  });
});
