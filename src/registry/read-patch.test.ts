import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ApiError, type ApiObject } from "../api/index.ts";
import type { WatchEvent } from "../storage/index.ts";
import { cm, harness } from "./testing.ts";

const names = (items: readonly ApiObject[]): string[] => items.map((o) => o.metadata.name ?? "");

describe("list, selectors, pagination", () => {
  it("filters by label and field selectors", async () => {
    const t = await harness();
    const h = t.h("", "configmaps");
    await h.create(t.ctx(), "default", cm("a", {}, { app: "web", tier: "fe" }));
    await h.create(t.ctx(), "default", cm("b", {}, { app: "db" }));
    await h.create(t.ctx(), "kube-system", cm("c", {}, { app: "web" }));
    const cases: [string, string, string, string[]][] = [
      ["default", "app=web", "", ["a"]],
      ["", "app=web", "", ["c", "a"].sort()],
      ["default", "app in (web,db)", "", ["a", "b"]],
      ["default", "app notin (web)", "", ["b"]],
      ["default", "tier", "", ["a"]],
      ["default", "!tier", "", ["b"]],
      ["default", "app!=web", "", ["b"]],
      ["", "", "metadata.name=b", ["b"]],
      ["", "", "metadata.namespace=kube-system", ["c"]],
      ["", "app==web", "metadata.namespace!=kube-system", ["a"]],
    ];
    for (const [ns, labelSelector, fieldSelector, want] of cases) {
      const l = await h.list(t.ctx(), ns, { labelSelector, fieldSelector });
      assert.deepEqual(names(l.items).sort(), want, `${labelSelector} ${fieldSelector}`);
      assert.equal(l.kind, "ConfigMapList");
    }
  });

  it("rejects unknown field labels and malformed selectors with BadRequest", async () => {
    const t = await harness();
    const h = t.h("", "configmaps");
    await assert.rejects(h.list(t.ctx(), "", { fieldSelector: "spec.foo=x" }), (e: unknown) => e instanceof ApiError && e.code === "BadRequest" && e.message === "field label not supported: spec.foo");
    await assert.rejects(h.list(t.ctx(), "", { labelSelector: "a b" }), (e: unknown) => e instanceof ApiError && e.code === "BadRequest");
    assert.throws(() => h.watch(t.ctx(), "", { labelSelector: "a b" }, new AbortController().signal), (e: unknown) => e instanceof ApiError && e.code === "BadRequest");
    const ev = t.h("", "events");
    const l = await ev.list(t.ctx(), "", { fieldSelector: "involvedObject.name=x,involvedObject.namespace=,involvedObject.kind=CertificateSigningRequest" });
    assert.equal(l.items.length, 0);
  });

  it("pages with limit/continue", async () => {
    const t = await harness();
    const h = t.h("", "configmaps");
    for (const n of ["a", "b", "c", "d", "e"]) await h.create(t.ctx(), "default", cm(n));
    const seen: string[] = [];
    let cont: string | undefined;
    do {
      const page = await h.list(t.ctx(), "default", { limit: 2, ...(cont ? { continue: cont } : {}) });
      assert.ok(page.items.length <= 2);
      seen.push(...names(page.items));
      cont = page.metadata.continue;
    } while (cont);
    assert.deepEqual(seen, ["a", "b", "c", "d", "e"]);
  });

  it("watch from a list's resourceVersion sees only later changes, filtered by name", async () => {
    const t = await harness();
    const h = t.h("", "configmaps");
    await h.create(t.ctx(), "default", cm("a"));
    const l = await h.list(t.ctx(), "default", {});
    const ac = new AbortController();
    const events: WatchEvent[] = [];
    const done = (async () => {
      for await (const e of h.watch(t.ctx(), "default", { resourceVersion: l.metadata.resourceVersion ?? "", fieldSelector: "metadata.name=b" }, ac.signal)) {
        events.push(e);
        if (events.length === 2) ac.abort();
      }
    })();
    await h.create(t.ctx(), "default", cm("c"));
    await h.create(t.ctx(), "default", cm("b"));
    await h.delete(t.ctx(), "default", "b", {});
    await done;
    assert.deepEqual(events.map((e) => `${e.type} ${e.object.metadata.name}`), ["ADDED b", "DELETED b"]);
  });
});

describe("patch", () => {
  const base = (): ApiObject => ({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "d", labels: { a: "1" }, finalizers: ["x/one"] },
    spec: { replicas: 1, selector: { matchLabels: { app: "x" } }, template: { metadata: { labels: { app: "x" } }, spec: { containers: [{ name: "web", image: "nginx:1" }, { name: "side", image: "busybox" }] } } },
  });

  it("applies JSON, merge and strategic merge patches", async () => {
    const t = await harness();
    const h = t.h("apps", "deployments");
    await h.create(t.ctx(), "default", base());
    const j = await h.patch(t.ctx(), "default", "d", "json", [{ op: "replace", path: "/spec/replicas", value: 3 }, { op: "add", path: "/metadata/labels/b", value: "2" }], {});
    assert.equal((j.spec as { replicas: number }).replicas, 3);
    assert.deepEqual(j.metadata.labels, { a: "1", b: "2" });
    const m = await h.patch(t.ctx(), "default", "d", "merge", { metadata: { labels: { a: null } } }, {});
    assert.deepEqual(m.metadata.labels, { b: "2" });
    const s = await h.patch(t.ctx(), "default", "d", "strategic", {
      metadata: { finalizers: ["x/two"] },
      spec: { template: { spec: { containers: [{ name: "web", image: "nginx:2" }, { name: "side", $patch: "delete" }] } } },
    }, {});
    const spec = s.spec as { template: { spec: { containers: { name: string; image: string }[] } } };
    assert.deepEqual(spec.template.spec.containers.map((c) => [c.name, c.image]), [["web", "nginx:2"]]);
    assert.deepEqual(s.metadata.finalizers, ["x/one", "x/two"]);
    assert.equal(s.metadata.generation, 3);
  });

  it("JSON patch test failure is 422, unknown type is 415, missing object 404", async () => {
    const t = await harness();
    const h = t.h("apps", "deployments");
    await h.create(t.ctx(), "default", base());
    await assert.rejects(h.patch(t.ctx(), "default", "d", "json", [{ op: "test", path: "/spec/replicas", value: 9 }], {}), (e: unknown) => e instanceof ApiError && e.code === "Invalid");
    await assert.rejects(h.patch(t.ctx(), "default", "d", "bogus" as "json", {}, {}), (e: unknown) => e instanceof ApiError && e.code === "UnsupportedMediaType");
    await assert.rejects(h.patch(t.ctx(), "default", "zz", "merge", {}, {}), (e: unknown) => e instanceof ApiError && e.code === "NotFound");
    await assert.rejects(h.patch(t.ctx(), "default", "d", "merge", { metadata: { resourceVersion: "1" } }, {}), (e: unknown) => e instanceof ApiError && e.code === "Conflict");
  });

  it("server-side apply creates, merges, records the manager and drops fields it no longer applies", async () => {
    const t = await harness();
    const h = t.h("", "configmaps");
    const ctx = t.ctx(undefined, { fieldManager: "kubectl" });
    const cfg = (data: Record<string, string>) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a" }, data });
    const c = await h.patch(ctx, "default", "a", "apply", cfg({ x: "1" }), { force: false });
    assert.deepEqual(c.data, { x: "1" });
    const u = await h.patch(ctx, "default", "a", "apply", cfg({ x: "1", y: "2" }), {});
    assert.deepEqual(u.data, { x: "1", y: "2" });
    assert.equal(u.metadata.managedFields?.find((e) => e.manager === "kubectl")?.operation, "Apply");
    const v = await h.patch(ctx, "default", "a", "apply", cfg({ y: "2" }), {});
    assert.deepEqual(v.data, { y: "2" }, "x was only kubectl's: dropped");
    // A field another manager also wrote survives.
    await h.patch(t.ctx(undefined, { fieldManager: "editor" }), "default", "a", "merge", { data: { w: "0" } }, {});
    await h.patch(ctx, "default", "a", "apply", cfg({ y: "2", w: "0" }), {});
    const w = await h.patch(ctx, "default", "a", "apply", cfg({ y: "2" }), {});
    assert.deepEqual(w.data, { y: "2", w: "0" });
  });

  it("server-side apply: a value another manager changed is a 409 unless force; updates own only what they change", async () => {
    const t = await harness();
    const h = t.h("", "configmaps");
    const kubectl = t.ctx(undefined, { fieldManager: "kubectl" });
    const cfg = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "s" }, data: { a: "1", b: "2" } };
    await h.patch(kubectl, "default", "s", "apply", cfg, {});
    const p = await h.patch(t.ctx(undefined, { fieldManager: "kubectl-patch" }), "default", "s", "strategic", { data: { a: "changed" } }, {});
    assert.deepEqual(p.metadata.managedFields?.find((e) => e.manager === "kubectl-patch")?.fieldsV1, { "f:data": { "f:a": {} } });
    await assert.rejects(h.patch(kubectl, "default", "s", "apply", cfg, { force: false }), (e: unknown) => {
      assert.ok(e instanceof ApiError && e.code === "Conflict");
      assert.equal(e.message, 'Apply failed with 1 conflict: conflict with "kubectl-patch" using v1: .data.a');
      return true;
    });
    const forced = await h.patch(kubectl, "default", "s", "apply", cfg, { force: true });
    assert.deepEqual(forced.data, { a: "1", b: "2" });
    assert.deepEqual(forced.metadata.managedFields?.map((e) => e.manager), ["kubectl"], "kubectl-patch lost its only field");
  });
});
