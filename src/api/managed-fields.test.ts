import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { applyManagedFields } from "./apply.ts";
import { ApiError } from "./errors.ts";
import { compareObjects, fieldSetFromV1, fieldSetOf, fieldSetToV1, pathString, type FieldSet } from "./field-sets.ts";
import { decodeManagedFields, printManager, updateManagedFields, type ManagerRequest } from "./managed-fields.ts";
import type { ManagedFieldsEntry } from "./meta.ts";
import { applyConfiguration } from "./smp.ts";
import type { JsonValue } from "./patch.ts";

const T0 = "2026-01-01T00:00:00Z";
const T1 = "2026-01-01T00:01:00Z";
const req = (manager: string, over: Partial<ManagerRequest> = {}): ManagerRequest => ({ manager, subresource: "", apiVersion: "v1", time: T1, statusSubresource: false, ...over });
const v1 = (set: FieldSet): JsonValue => fieldSetToV1(set);
const cm = (data: Record<string, string>, meta: Record<string, JsonValue> = {}): JsonValue => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", namespace: "default", uid: "u", resourceVersion: "5", ...meta }, data });
const withFields = (o: JsonValue, managedFields: ManagedFieldsEntry[]): JsonValue => {
  const obj = structuredClone(o) as { metadata: Record<string, unknown> };
  obj.metadata.managedFields = managedFields;
  return obj as JsonValue;
};
const entry = (manager: string, operation: "Apply" | "Update", fieldsV1: JsonValue, over: Partial<ManagedFieldsEntry> = {}): ManagedFieldsEntry => ({
  manager,
  operation,
  apiVersion: "v1",
  time: T0,
  fieldsType: "FieldsV1",
  fieldsV1,
  ...over,
});
const fieldsOf = (list: readonly ManagedFieldsEntry[], manager: string, operation = "Update"): unknown => list.find((e) => e.manager === manager && e.operation === operation)?.fieldsV1;

describe("field sets (FieldsV1)", () => {
  const pod = {
    metadata: { labels: { app: "web" }, finalizers: ["x/one"] },
    spec: {
      containers: [{ name: "nginx", image: "nginx", ports: [{ containerPort: 80 }], env: [{ name: "A", value: "1" }] }],
      rules: [{ verbs: ["get"] }],
    },
  };
  const cases: [string, JsonValue, JsonValue][] = [
    ["maps are not members; leaves are", { data: { a: "1" } }, { "f:data": { "f:a": {} } }],
    [
      "associative lists by key (ports default protocol TCP), set lists by value, other lists atomic",
      pod,
      {
        "f:metadata": { "f:finalizers": { 'v:"x/one"': {} }, "f:labels": { "f:app": {} } },
        "f:spec": {
          "f:containers": {
            'k:{"name":"nginx"}': {
              ".": {},
              "f:env": { 'k:{"name":"A"}': { ".": {}, "f:name": {}, "f:value": {} } },
              "f:image": {},
              "f:name": {},
              "f:ports": { 'k:{"containerPort":80,"protocol":"TCP"}': { ".": {}, "f:containerPort": {} } },
            },
          },
          "f:rules": {},
        },
      },
    ],
    ["empty maps and nulls name nothing", { data: {}, spec: null }, {}],
  ];
  for (const [name, config, want] of cases) {
    it(name, () => {
      const set = fieldSetOf(config);
      assert.deepEqual(v1(set), want);
      assert.ok(fieldSetFromV1(want)?.equals(set), "round trip");
    });
  }

  it("Update sets: created maps and list items carry '.'", () => {
    const c = compareObjects({}, { data: { a: "1" }, metadata: { finalizers: ["f"] } });
    assert.deepEqual(v1(c.added), { "f:data": { ".": {}, "f:a": {} }, "f:metadata": { ".": {}, "f:finalizers": { ".": {}, 'v:"f"': {} } } });
    const d = compareObjects({ data: { a: "1", b: "2" } }, { data: { a: "9" } });
    assert.deepEqual([v1(d.added), v1(d.modified), v1(d.removed)], [{}, { "f:data": { "f:a": {} } }, { "f:data": { "f:b": {} } }]);
  });

  it("paths print as fieldpath.Path.String()", () => {
    const cases: [string[], string][] = [
      [["f:data", "f:a"], ".data.a"],
      [["f:metadata", "f:labels", "f:app.kubernetes.io/name"], ".metadata.labels.app.kubernetes.io/name"],
      [["f:spec", "f:containers", 'k:{"name":"nginx"}', "f:image"], '.spec.containers[name="nginx"].image'],
      [["f:spec", "f:ports", 'k:{"port":80,"protocol":"TCP"}'], '.spec.ports[port=80,protocol="TCP"]'],
      [["f:metadata", "f:finalizers", 'v:"x"'], '.metadata.finalizers[="x"]'],
    ];
    for (const [p, want] of cases) assert.equal(pathString(p), want);
  });

  it("rejects what is not FieldsV1", () => {
    for (const bad of [[], { "x:a": {} }, "f:a", { "f:a": { q: {} } }]) assert.equal(fieldSetFromV1(bad), undefined, JSON.stringify(bad));
    assert.equal(decodeManagedFields([{ manager: "m", operation: "Delete" }]), undefined);
  });
});

describe("Update attribution", () => {
  it("create: every tracked field to the manager, server metadata never", () => {
    const out = updateManagedFields(undefined, cm({ a: "1" }, { labels: { x: "y" }, creationTimestamp: T0 }), req("kubectl-create"));
    assert.deepEqual(out, [entry("kubectl-create", "Update", { "f:data": { ".": {}, "f:a": {} }, "f:metadata": { "f:labels": { ".": {}, "f:x": {} } } }, { time: T1 })]);
  });

  it("an update owns only what it changed and takes it from the others", () => {
    const live = withFields(cm({ a: "1", b: "2" }), [entry("kubectl", "Apply", { "f:data": { "f:a": {}, "f:b": {} } })]);
    const next = withFields(cm({ a: "changed", b: "2" }, { labels: { l: "v" } }), [entry("kubectl", "Apply", { "f:data": { "f:a": {}, "f:b": {} } })]);
    const out = updateManagedFields(live, next, req("kubectl-patch"));
    assert.deepEqual(fieldsOf(out, "kubectl", "Apply"), { "f:data": { "f:b": {} } });
    assert.deepEqual(fieldsOf(out, "kubectl-patch"), { "f:data": { "f:a": {} }, "f:metadata": { "f:labels": { ".": {}, "f:l": {} } } });
    assert.deepEqual(out.map((e) => [e.manager, e.time]), [["kubectl", T0], ["kubectl-patch", T1]], "Apply entries sort first; untouched time kept");
  });

  it("removing a field drops it everywhere; an entry left empty goes; a no-op keeps the time", () => {
    const live = withFields(cm({ a: "1" }), [entry("a", "Update", { "f:data": { "f:a": {} } }), entry("b", "Update", { "f:data": { ".": {} } })]);
    const out = updateManagedFields(live, cm({}), req("b"));
    assert.deepEqual(out, [entry("b", "Update", { "f:data": {} })], "a member without children serializes as {}");
    assert.deepEqual(updateManagedFields(live, live, req("a")).map((e) => [e.manager, e.time]), [["a", T0], ["b", T0]]);
  });

  it("status is not the main resource's when the kind has /status; /status writes are their own manager", () => {
    const live = { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: { n: 1 }, status: { phase: "A" } };
    const next = { ...live, spec: { n: 2 }, status: { phase: "B" } };
    const main = updateManagedFields(live, next, req("m", { statusSubresource: true }));
    assert.deepEqual(fieldsOf(main, "m"), { "f:spec": { "f:n": {} } });
    const status = updateManagedFields(live, next, req("m", { statusSubresource: true, subresource: "status" }));
    assert.deepEqual(status.map((e) => [e.subresource, e.fieldsV1]), [["status", { "f:status": { "f:phase": {} } }]]);
  });

  it("managedFields sent by the request are taken as given; [] and [{}] reset them", () => {
    const live = withFields(cm({ a: "1" }), [entry("kubectl-client-side-apply", "Update", { "f:data": { "f:a": {} } })]);
    const migrated = [entry("kubectl", "Apply", { "f:data": { "f:a": {} } })];
    assert.deepEqual(updateManagedFields(live, withFields(cm({ a: "1" }), migrated), req("kubectl")), migrated);
    for (const reset of [[], [{}]] as ManagedFieldsEntry[][]) assert.deepEqual(updateManagedFields(live, withFields(cm({ a: "1" }), reset), req("x")), []);
    assert.deepEqual(updateManagedFields(live, withFields(cm({ a: "1" }), [{ operation: "bogus" }]), req("x")), (live as { metadata: { managedFields: unknown } }).metadata.managedFields);
  });
});

describe("at most 10 Update managers (kube's capManagersManager)", () => {
  const at = (minute: number): string => `2026-01-01T00:${String(minute).padStart(2, "0")}:00Z`;
  it("the oldest Updates of a version merge into 'ancient-changes' with the newest merged time; Apply entries never count", () => {
    // 11 Update managers u0..u10 (u0 oldest), each owning its own key, plus an Apply manager.
    const entries = [
      entry("applier", "Apply", { "f:data": { "f:z": {} } }, { time: at(0) }),
      ...Array.from({ length: 11 }, (_, i) => entry(`u${i}`, "Update", { "f:data": { [`f:k${i}`]: {} } }, { time: at(i) })),
    ];
    const data = Object.fromEntries([["z", "1"], ...Array.from({ length: 12 }, (_, i) => [`k${i}`, "1"])]);
    const live = withFields(cm(data), entries);
    // u11 adds k11: 12 updaters; u0 and u1 merge (u0 first of v1, u1 into the bucket), then u2 → 10 left.
    const out = updateManagedFields(live, withFields(cm({ ...data, k11: "2" }), entries), req("u11", { time: at(20) }));
    const updaters = out.filter((e) => e.operation === "Update");
    assert.equal(updaters.length, 10, JSON.stringify(out.map((e) => e.manager)));
    assert.ok(out.some((e) => e.manager === "applier" && e.operation === "Apply"));
    const bucket = out.find((e) => e.manager === "ancient-changes");
    assert.deepEqual(bucket && [bucket.apiVersion, bucket.time, bucket.fieldsV1], ["v1", at(2), { "f:data": { "f:k0": {}, "f:k1": {}, "f:k2": {} } }]);
    assert.deepEqual(out.filter((e) => /^u[012]$/.test(e.manager ?? "")), []);
  });

  it("ten or fewer Update managers are left alone", () => {
    const entries = Array.from({ length: 9 }, (_, i) => entry(`u${i}`, "Update", { "f:data": { [`f:k${i}`]: {} } }, { time: at(i) }));
    const data = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, "1"]));
    const out = updateManagedFields(withFields(cm(data), entries), withFields(cm({ ...data, k9: "2" }), entries), req("u9", { time: at(20) }));
    assert.deepEqual(out.map((e) => e.manager), [...entries.map((e) => e.manager), "u9"]);
  });
});

describe("Apply ownership and conflicts", () => {
  const cfg = (data: Record<string, string>, labels?: Record<string, string>): JsonValue => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", ...(labels ? { labels } : {}) }, data });
  const apply = (live: JsonValue | undefined, config: JsonValue, manager = "kubectl", force = false, over: Partial<ManagerRequest> = {}) =>
    applyManagedFields(live, applyConfiguration(live, config), config, req(manager, over), force);
  const conflictOf = (f: () => unknown): ApiError => {
    try {
      f();
    } catch (e) {
      if (e instanceof ApiError) return e;
      throw e;
    }
    throw new Error("no conflict");
  };
  const patched = withFields(cm({ a: "changed", b: "2" }), [
    entry("kubectl", "Apply", { "f:data": { "f:a": {}, "f:b": {} } }),
    entry("kubectl-patch", "Update", { "f:data": { "f:a": {} } }),
  ]);

  it("one conflict: kube's message and cause", () => {
    const e = conflictOf(() => apply(patched, cfg({ a: "1", b: "2" })));
    assert.equal(e.code, "Conflict");
    assert.equal(e.message, 'Apply failed with 1 conflict: conflict with "kubectl-patch" using v1: .data.a');
    assert.deepEqual(e.details, { causes: [{ reason: "FieldManagerConflict", message: 'conflict with "kubectl-patch" using v1', field: ".data.a" }] });
  });

  it("several conflicts: managers sorted, Apply managers without a version, subresources named", () => {
    const live = withFields({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d", labels: { team: "a" } }, spec: { replicas: 3, paused: true } }, [
      entry("kubectl-client-side-apply", "Update", { "f:metadata": { "f:labels": { "f:team": {} } }, "f:spec": { "f:replicas": {} } }, { apiVersion: "apps/v1" }),
      entry("ctl", "Update", { "f:spec": { "f:paused": {} } }, { apiVersion: "apps/v1", subresource: "scale" }),
      entry("argo", "Apply", { "f:spec": { "f:minReadySeconds": {} } }, { apiVersion: "apps/v1" }),
    ]);
    const config = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d", labels: { team: "b" } }, spec: { replicas: 1, paused: false, minReadySeconds: 0 } };
    const live2 = structuredClone(live) as { spec: Record<string, unknown> };
    live2.spec.minReadySeconds = 5;
    const e = conflictOf(() => applyManagedFields(live2 as JsonValue, applyConfiguration(live2, config), config, req("kubectl", { apiVersion: "apps/v1" }), false));
    assert.equal(
      e.message,
      [
        'Apply failed with 4 conflicts: conflicts with "argo":',
        "- .spec.minReadySeconds",
        'conflicts with "ctl" with subresource "scale" using apps/v1:',
        "- .spec.paused",
        'conflicts with "kubectl-client-side-apply" using apps/v1:',
        "- .metadata.labels.team",
        "- .spec.replicas",
      ].join("\n"),
    );
    assert.deepEqual(e.details?.causes?.map((c) => c.field), [".spec.minReadySeconds", ".spec.paused", ".metadata.labels.team", ".spec.replicas"]);
  });

  it("force moves the conflicting paths to the applier", () => {
    const out = apply(patched, cfg({ a: "1", b: "2" }), "kubectl", true);
    assert.deepEqual((out.object as { data: unknown }).data, { a: "1", b: "2" });
    assert.deepEqual(out.managedFields, [entry("kubectl", "Apply", { "f:data": { "f:a": {}, "f:b": {} } }, { time: T1 })]);
  });

  it("equal values are shared ownership: no conflict, both keep the path", () => {
    const out = apply(patched, cfg({ a: "changed" }), "other");
    assert.deepEqual(fieldsOf(out.managedFields, "other", "Apply"), { "f:data": { "f:a": {} } });
    assert.deepEqual(fieldsOf(out.managedFields, "kubectl-patch"), { "f:data": { "f:a": {} } });
  });

  it("prunes what the applier dropped unless another manager owns it; keeps others' fields", () => {
    const live = withFields(cm({ a: "1", b: "2", c: "3", mine: "x" }), [
      entry("kubectl", "Apply", { "f:data": { "f:a": {}, "f:b": {}, "f:mine": {} } }),
      entry("editor", "Update", { "f:data": { "f:b": {}, "f:c": {} } }),
    ]);
    const out = apply(live, cfg({ a: "1" }));
    assert.deepEqual((out.object as { data: unknown }).data, { a: "1", b: "2", c: "3" });
    assert.deepEqual(fieldsOf(out.managedFields, "editor"), { "f:data": { "f:b": {}, "f:c": {} } }, "removal by pruning is not the editor's loss");
    assert.equal(out.managedFields.find((e) => e.operation === "Apply")?.time, T1);
  });

  it("list items are owned by key; a no-op apply keeps the entry's time; create by apply owns the config", () => {
    const first = apply(undefined, { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: { containers: [{ name: "a", image: "x" }] } });
    assert.deepEqual(first.managedFields[0]?.fieldsV1, { "f:spec": { "f:containers": { 'k:{"name":"a"}': { ".": {}, "f:image": {}, "f:name": {} } } } });
    const live = withFields(first.object, first.managedFields.map((e) => ({ ...e, time: T0 })));
    const again = apply(live, { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: { containers: [{ name: "a", image: "x" }] } });
    assert.equal(again.managedFields[0]?.time, T0);
    const moved = apply(live, { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: { containers: [{ name: "b", image: "y" }] } });
    assert.deepEqual((moved.object as { spec: unknown }).spec, { containers: [{ name: "b", image: "y" }] }, "container a pruned");
  });

  it("printManager", () => {
    assert.equal(printManager(entry("kubectl", "Apply", {})), '"kubectl"');
    assert.equal(printManager(entry("k", "Update", {}, { subresource: "status" })), '"k" with subresource "status" using v1');
  });
});
