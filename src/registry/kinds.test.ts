import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { harness } from "./testing.ts";

describe("per-kind defaulting", () => {
  it("pods start Pending with spec defaults", async () => {
    const t = await harness();
    const p = await t.h("", "pods").create(t.ctx(), "default", { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: { containers: [{ name: "c", image: "nginx", ports: [{ containerPort: 80 }] }] } });
    const spec = p.spec as { restartPolicy: string; containers: { imagePullPolicy: string; ports: { protocol: string }[] }[] };
    assert.equal(spec.restartPolicy, "Always");
    assert.equal(spec.containers[0]?.imagePullPolicy, "Always");
    assert.equal(spec.containers[0]?.ports[0]?.protocol, "TCP");
    assert.deepEqual(p.status, { phase: "Pending", qosClass: "BestEffort" });
  });

  it("services get a type, a stable cluster IP that survives updates, and port defaults", async () => {
    const t = await harness();
    const h = t.h("", "services");
    const s = await h.create(t.ctx(), "default", { apiVersion: "v1", kind: "Service", metadata: { name: "web" }, spec: { selector: { app: "web" }, ports: [{ port: 80 }] } });
    const spec = s.spec as { type: string; clusterIP: string; ports: { protocol: string; targetPort: number }[] };
    assert.equal(spec.type, "ClusterIP");
    assert.match(spec.clusterIP, /^10\.(9[6-9]|10\d|11[01])\.\d+\.\d+$/);
    assert.deepEqual(spec.ports[0], { protocol: "TCP", targetPort: 80, port: 80 });
    const u = await h.update(t.ctx(), "default", "web", { ...s, spec: { selector: { app: "x" }, ports: [{ port: 81 }] } });
    assert.equal((u.spec as { clusterIP: string }).clusterIP, spec.clusterIP);
  });

  it("secrets fold stringData into data", async () => {
    const t = await harness();
    const s = await t.h("", "secrets").create(t.ctx(), "default", { apiVersion: "v1", kind: "Secret", metadata: { name: "s" }, stringData: { pw: "hi" } });
    assert.deepEqual(s.data, { pw: "aGk=" });
    assert.equal(s.type, "Opaque");
    assert.equal(s.stringData, undefined);
  });

  it("namespaces are Active with the kubernetes finalizer in spec", async () => {
    const t = await harness();
    const n = await t.h("", "namespaces").create(t.ctx(), "", { apiVersion: "v1", kind: "Namespace", metadata: { name: "x" } });
    assert.deepEqual(n.spec, { finalizers: ["kubernetes"] });
    assert.deepEqual(n.status, { phase: "Active" });
  });

  it("validates workload selectors and pod containers with kube's messages", async () => {
    const t = await harness();
    const bad = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d" }, spec: { selector: { matchLabels: { app: "x" } }, template: { metadata: { labels: { app: "y" } }, spec: { containers: [{ name: "c" }] } } } };
    await assert.rejects(t.h("apps", "deployments").create(t.ctx(), "default", bad), (e: unknown) =>
      e instanceof Error && e.message === 'Deployment.apps "d" is invalid: [spec.template.metadata.labels: Invalid value: "app=y": `selector` does not match template `labels`, spec.template.spec.containers[0].image: Required value]');
    await assert.rejects(t.h("", "pods").create(t.ctx(), "default", { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: {} }), (e: unknown) =>
      e instanceof Error && e.message === 'Pod "p" is invalid: spec.containers: Required value');
  });
});
