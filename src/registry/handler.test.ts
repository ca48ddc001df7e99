import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ApiError, type ApiObject } from "../api/index.ts";
import { createMemoryBackend, staleReadsBackend } from "../storage/index.ts";
import { cm, harness } from "./testing.ts";

/** A valid Deployment spec (selector matching the template, one container). */
function dspec(replicas: number) {
  return { replicas, selector: { matchLabels: { app: "x" } }, template: { metadata: { labels: { app: "x" } }, spec: { containers: [{ name: "c", image: "i" }] } } };
}

function rejectsWith(code: string, message?: string | RegExp) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof ApiError, `expected ApiError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (typeof message === "string") assert.equal(err.message, message);
    else if (message) assert.match(err.message, message);
    return true;
  };
}

describe("generic handler: create/get/update/delete", () => {
  it("creates with server fields and reads it back", async () => {
    const t = await harness();
    const h = t.h("", "configmaps");
    const created = await h.create(t.ctx(), "default", cm("a", { k: "v" }));
    assert.equal(created.metadata.namespace, "default");
    assert.ok(created.metadata.uid && created.metadata.resourceVersion && created.metadata.creationTimestamp);
    assert.equal(created.metadata.managedFields?.[0]?.manager, "test");
    const got = await h.get(t.ctx(), "default", "a");
    assert.deepEqual(got.data, { k: "v" });
  });

  const badCreates: [string, string, ApiObject, string, string | RegExp][] = [
    ["namespace mismatch", "default", { ...cm("a"), metadata: { name: "a", namespace: "other" } }, "BadRequest", "the namespace of the provided object does not match the namespace sent on the request"],
    ["missing namespace", "nope", cm("a"), "NotFound", 'namespaces "nope" not found'],
    ["kind mismatch", "default", { ...cm("a"), kind: "Secret" }, "BadRequest", /the kind in the data \(Secret\) does not match the expected kind \(ConfigMap\)/],
    ["apiVersion mismatch", "default", { ...cm("a"), apiVersion: "apps/v1" }, "BadRequest", "the API version in the data (apps/v1) does not match the expected API version (v1)"],
    ["invalid name", "default", cm("Bad_Name"), "Invalid", /^ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of/],
    ["no name", "default", { apiVersion: "v1", kind: "ConfigMap", metadata: {} }, "Invalid", 'ConfigMap "" is invalid: metadata.name: Required value: name or generateName is required'],
    ["wrongly typed name", "default", { ...cm("a"), metadata: { name: 5 } } as unknown as ApiObject, "BadRequest", 'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ObjectMeta.metadata.name of type string'],
  ];
  for (const [what, ns, obj, code, msg] of badCreates) {
    it(`rejects a create: ${what}`, async () => {
      const t = await harness();
      await assert.rejects(t.h("", "configmaps").create(t.ctx(), ns, obj), rejectsWith(code, msg));
    });
  }

  it("answers AlreadyExists and NotFound with kube's messages", async () => {
    const t = await harness();
    const h = t.h("", "configmaps");
    await h.create(t.ctx(), "default", cm("a"));
    await assert.rejects(h.create(t.ctx(), "default", cm("a")), rejectsWith("AlreadyExists", 'configmaps "a" already exists'));
    await assert.rejects(h.get(t.ctx(), "default", "zz"), rejectsWith("NotFound", 'configmaps "zz" not found'));
    await assert.rejects(t.h("apps", "deployments").get(t.ctx(), "default", "zz"), rejectsWith("NotFound", 'deployments.apps "zz" not found'));
  });

  it("generates names from generateName", async () => {
    const t = await harness();
    const o = await t.h("", "configmaps").create(t.ctx(), "default", { apiVersion: "v1", kind: "ConfigMap", metadata: { generateName: "job-" } });
    assert.match(o.metadata.name ?? "", /^job-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  it("update is compare-and-swap on resourceVersion and bumps generation on spec change", async () => {
    const t = await harness();
    const h = t.h("apps", "deployments");
    const d = await h.create(t.ctx(), "default", { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d" }, spec: dspec(1) });
    assert.equal(d.metadata.generation, 1);
    const u = await h.update(t.ctx(), "default", "d", { ...d, spec: dspec(2) });
    assert.equal(u.metadata.generation, 2);
    await assert.rejects(
      h.update(t.ctx(), "default", "d", { ...d, spec: dspec(3) }),
      rejectsWith("Conflict", 'Operation cannot be fulfilled on deployments.apps "d": the object has been modified; please apply your changes to the latest version and try again'),
    );
    const same = await h.update(t.ctx(), "default", "d", { ...u, metadata: { ...u.metadata, labels: { a: "b" } } });
    assert.equal(same.metadata.generation, 2);
  });

  it("concurrent updates without resourceVersion are retried on the new state (kube's GuaranteedUpdate); pinned ones conflict", async () => {
    const t = await harness();
    const h = t.h("", "configmaps");
    const made = await h.create(t.ctx(), "default", cm("race", { n: "0" }));
    const { resourceVersion: _rv, ...meta } = made.metadata;
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => h.update(t.ctx(), "default", "race", { ...made, metadata: meta, data: { n: String(i + 1) } })));
    assert.deepEqual(results.filter((r) => r.status === "rejected"), [], "no unconditional PUT lost to another");
    const pinned = await Promise.allSettled(Array.from({ length: 4 }, (_, i) => h.update(t.ctx(), "default", "race", { ...made, data: { n: `p${i}` } })));
    assert.ok(pinned.every((r) => r.status === "rejected" && r.reason instanceof ApiError && r.reason.code === "Conflict"), "a stale resourceVersion stays a conflict");
  });

  it("update of a missing object: NotFound, or create for kinds that allow it", async () => {
    const t = await harness();
    await assert.rejects(t.h("", "configmaps").update(t.ctx(), "default", "x", cm("x")), rejectsWith("NotFound"));
    const lease = { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name: "l" }, spec: { holderIdentity: "me" } };
    const created = await t.h("coordination.k8s.io", "leases").update(t.ctx(), "kube-system", "l", lease);
    assert.equal(created.metadata.namespace, "kube-system");
  });

  it("name in body vs URL must agree on update", async () => {
    const t = await harness();
    const h = t.h("", "configmaps");
    await h.create(t.ctx(), "default", cm("a"));
    await assert.rejects(h.update(t.ctx(), "default", "a", cm("b")), rejectsWith("BadRequest", "the name of the object (b) does not match the name on the URL (a)"));
  });

  it("status subresource: main update keeps status, /status update keeps spec", async () => {
    const t = await harness();
    const h = t.h("apps", "deployments");
    const d = await h.create(t.ctx(), "default", { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d" }, spec: dspec(1), status: { replicas: 9 } });
    assert.equal(d.status, undefined);
    const s = await h.update(t.ctx(), "default", "d", { ...d, spec: dspec(5), status: { readyReplicas: 1 } }, "status");
    assert.equal((s.spec as { replicas: number }).replicas, 1);
    assert.deepEqual(s.status, { readyReplicas: 1 });
    const m = await h.update(t.ctx(), "default", "d", { ...s, status: { readyReplicas: 7 } });
    assert.deepEqual(m.status, { readyReplicas: 1 });
  });

  it("scale subresource reads and sets replicas", async () => {
    const t = await harness();
    const h = t.h("apps", "deployments");
    await h.create(t.ctx(), "default", { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d" }, spec: dspec(2) });
    const sc = await h.get(t.ctx(), "default", "d", "scale");
    assert.equal(sc.kind, "Scale");
    assert.deepEqual(sc.spec, { replicas: 2 });
    assert.deepEqual(sc.status, { replicas: 0, selector: "app=x" });
    const patched = await h.patch(t.ctx(), "default", "d", "merge", { spec: { replicas: 5 } }, {}, "scale");
    assert.deepEqual(patched.spec, { replicas: 5 });
    const parent = await h.get(t.ctx(), "default", "d");
    assert.equal((parent.spec as { replicas: number }).replicas, 5);
    // kube's ScaleHandler: the /scale writer owns .spec.replicas as an Update with subresource "scale".
    const scaled = parent.metadata.managedFields?.find((e) => e.subresource === "scale");
    assert.deepEqual(scaled && { manager: scaled.manager, operation: scaled.operation, apiVersion: scaled.apiVersion, fieldsV1: scaled.fieldsV1 },
      { manager: "test", operation: "Update", apiVersion: "apps/v1", fieldsV1: { "f:spec": { "f:replicas": {} } } });
    await assert.rejects(h.get(t.ctx(), "default", "d", "nope"), rejectsWith("NotFound"));
  });

  it("delete returns the object, honours preconditions, and protects default namespaces", async () => {
    const t = await harness();
    const h = t.h("", "configmaps");
    const a = await h.create(t.ctx(), "default", cm("a"));
    await assert.rejects(h.delete(t.ctx(), "default", "a", { preconditions: { uid: "x" } }), rejectsWith("Conflict", /Precondition failed: UID in precondition: x/));
    const gone = await h.delete(t.ctx(), "default", "a", {});
    assert.equal(gone.metadata.uid, a.metadata.uid);
    await assert.rejects(h.get(t.ctx(), "default", "a"), rejectsWith("NotFound"));
    await assert.rejects(
      t.h("", "namespaces").delete(t.ctx(), "", "default", {}),
      rejectsWith("Forbidden", 'namespaces "default" is forbidden: this namespace may not be deleted'),
    );
  });

  it("finalizers delay deletion until they are removed", async () => {
    const t = await harness();
    const h = t.h("", "configmaps");
    await h.create(t.ctx(), "default", { ...cm("f"), metadata: { name: "f", finalizers: ["example.com/x"] } });
    const marked = await h.delete(t.ctx(), "default", "f", {});
    assert.ok(marked.metadata.deletionTimestamp);
    const cur = await h.get(t.ctx(), "default", "f");
    await h.update(t.ctx(), "default", "f", { ...cur, metadata: { ...cur.metadata, finalizers: [] } });
    await assert.rejects(h.get(t.ctx(), "default", "f"), rejectsWith("NotFound"));
  });

  it("namespace delete cascades to its objects only", async () => {
    const t = await harness();
    await t.h("", "namespaces").create(t.ctx(), "", { apiVersion: "v1", kind: "Namespace", metadata: { name: "team" } });
    await t.h("", "configmaps").create(t.ctx(), "team", cm("a"));
    await t.h("", "configmaps").create(t.ctx(), "default", cm("a"));
    await t.h("", "pods").create(t.ctx(), "team", { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: { containers: [{ name: "c", image: "x" }] } });
    const ns = await t.h("", "namespaces").delete(t.ctx(), "", "team", {});
    assert.equal(ns.metadata.name, "team");
    assert.equal((await t.h("", "configmaps").list(t.ctx(), "team", {})).items.length, 0);
    assert.equal((await t.h("", "pods").list(t.ctx(), "team", {})).items.length, 0);
    assert.equal((await t.h("", "configmaps").list(t.ctx(), "default", {})).items.length, 1);
  });

  it("namespace delete: Terminating first; a finalizer keeps it Terminating and closed to new content", async () => {
    const t = await harness();
    const nsH = t.h("", "namespaces");
    await nsH.create(t.ctx(), "", { apiVersion: "v1", kind: "Namespace", metadata: { name: "held", finalizers: ["x.io/hold"] } });
    await t.h("", "configmaps").create(t.ctx(), "held", cm("a"));
    const ns = await nsH.delete(t.ctx(), "", "held", {});
    assert.equal((ns.status as { phase?: string } | undefined)?.phase, "Terminating");
    assert.ok(ns.metadata.deletionTimestamp);
    assert.equal((await t.h("", "configmaps").list(t.ctx(), "held", {})).items.length, 0);
    await assert.rejects(
      t.h("", "configmaps").create(t.ctx(), "held", cm("b")),
      rejectsWith("Forbidden", 'configmaps "b" is forbidden: unable to create new content in namespace held because it is being terminated'),
    );
  });

  it("a patch may not rename the object or move it to another namespace (patch.go checkName)", async () => {
    const t = await harness();
    const h = t.h("", "configmaps");
    await h.create(t.ctx(), "default", cm("a"));
    await assert.rejects(h.patch(t.ctx(), "default", "a", "merge", { metadata: { name: "b" } }, {}), rejectsWith("BadRequest", "the name of the object (b) does not match the name on the URL (a)"));
    await assert.rejects(
      h.patch(t.ctx(), "default", "a", "merge", { metadata: { namespace: "kube-system" } }, {}),
      rejectsWith("BadRequest", "the namespace of the object (kube-system) does not match the namespace on the request (default)"),
    );
  });

  it("dryRun never persists but still validates", async () => {
    const t = await harness();
    const h = t.h("", "configmaps");
    const dry = await h.create(t.ctx(undefined, { dryRun: true }), "default", cm("a"));
    assert.ok(dry.metadata.uid);
    await assert.rejects(h.get(t.ctx(), "default", "a"), rejectsWith("NotFound"));
    await assert.rejects(h.create(t.ctx(undefined, { dryRun: true }), "default", cm("BAD")), rejectsWith("Invalid"));
    await h.create(t.ctx(), "default", cm("a", { k: "1" }));
    await h.patch(t.ctx(undefined, { dryRun: true }), "default", "a", "merge", { data: { k: "2" } }, {});
    await h.delete(t.ctx(undefined, { dryRun: true }), "default", "a", {});
    assert.deepEqual((await h.get(t.ctx(), "default", "a")).data, { k: "1" });
  });

  it("fieldValidation Strict rejects unknown fields, Warn records warnings", async () => {
    const t = await harness();
    const h = t.h("apps", "deployments");
    const body = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d" }, spec: { ...dspec(1), foo: 1 }, bar: 2 };
    await assert.rejects(
      h.create(t.ctx(undefined, { fieldValidation: "Strict" }), "default", body),
      rejectsWith("BadRequest", 'strict decoding error: unknown field "bar", unknown field "spec.foo"'),
    );
    const ctx = t.ctx(undefined, { fieldValidation: "Warn" });
    const saved = await h.create(ctx, "default", body);
    assert.deepEqual(ctx.warnings, ['unknown field "bar"', 'unknown field "spec.foo"']);
    assert.equal(saved.bar, undefined, "unknown fields are dropped, as kube's decoder does");
    assert.equal((saved.spec as { foo?: number }).foo, undefined);
    const roles = t.h("rbac.authorization.k8s.io", "roles");
    const role = { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata: { name: "r" }, rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get"], verb: ["x"] }] };
    await assert.rejects(roles.create(t.ctx(undefined, { fieldValidation: "Strict" }), "default", role), rejectsWith("BadRequest", 'strict decoding error: unknown field "rules[0].verb"'));
    const r = await roles.create(t.ctx(), "default", role);
    assert.deepEqual(r.rules, [{ apiGroups: [""], resources: ["pods"], verbs: ["get"] }]);
  });
});

describe("PUT and PATCH start from the cached object (kube's GuaranteedUpdate)", () => {
  const setup = async () => {
    const c = staleReadsBackend(createMemoryBackend());
    const t = await harness({ backend: c });
    const h = t.h("", "configmaps");
    const v1 = await h.create(t.ctx(), "default", cm("x", { a: "1" }));
    c.freeze();
    assert.deepEqual((await h.get(t.ctx(), "default", "x", undefined, { resourceVersion: "0" })).data, { a: "1" }, "the stale view holds v1");
    const v2 = await h.update(t.ctx(), "default", "x", { ...v1, data: { a: "2" } });
    return { c, t, h, v1, v2 };
  };

  it("a PUT pinned to the latest resourceVersion succeeds though the cached copy is older; one pinned to the old one is 409", async () => {
    const { t, h, v1, v2 } = await setup();
    const v3 = await h.update(t.ctx(), "default", "x", { ...v2, data: { a: "3" } });
    assert.deepEqual(v3.data, { a: "3" });
    await assert.rejects(h.update(t.ctx(), "default", "x", { ...v1, data: { a: "old" } }), rejectsWith("Conflict"));
  });

  it("a PATCH applies to the latest state, not the cached copy", async () => {
    const { t, h } = await setup();
    const out = await h.patch(t.ctx(), "default", "x", "merge", { data: { b: "B" } }, {});
    assert.deepEqual(out.data, { a: "2", b: "B" });
  });

  it("an object the cached copy lacks is updated, not 404", async () => {
    const { c, t, h } = await setup();
    c.freeze();
    await assert.rejects(h.get(t.ctx(), "default", "late", undefined, { resourceVersion: "0" }), rejectsWith("NotFound"));
    const made = await h.create(t.ctx(), "default", cm("late", { a: "1" }));
    const out = await h.update(t.ctx(), "default", "late", { ...made, data: { a: "2" } });
    assert.deepEqual(out.data, { a: "2" });
  });

  it("costs no read of the latest state when the cached copy is current", async () => {
    const c = staleReadsBackend(createMemoryBackend());
    const t = await harness({ backend: c });
    const h = t.h("", "configmaps");
    const v1 = await h.create(t.ctx(), "default", cm("y", { a: "1" }));
    const before = c.reads.latest;
    const v2 = await h.update(t.ctx(), "default", "y", { ...v1, data: { a: "2" } });
    await h.patch(t.ctx(), "default", "y", "merge", { data: { b: "B" } }, {});
    assert.ok(Number(v2.metadata.resourceVersion) > Number(v1.metadata.resourceVersion));
    assert.equal(c.reads.latest - before, 0);
  });
});
