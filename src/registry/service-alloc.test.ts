import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ApiError, findResource, type ApiObject } from "../api/index.ts";
import { ensureKubernetesService } from "./bootstrap.ts";
import { allocateClusterIp, parseServiceIpRange, type ServiceIpRange } from "./service-ip.ts";
import { candidateIps, repairServiceIpReservations, SERVICE_IP_RESERVATIONS } from "./service-ip-reservations.ts";
import { seededRandom } from "../base/index.ts";
import { createResourceHandler } from "./handler.ts";
import { serviceIpAllocator } from "./service-alloc.ts";
import { serviceStrategy } from "./service.ts";
import { harness, type Harness } from "./testing.ts";
import type { ResourceStrategy } from "./types.ts";

function range(text: string): ServiceIpRange {
  const r = parseServiceIpRange(text);
  if (!r.ok) throw new Error(`${text} ${r.reason}`);
  return r.range;
}

const R24 = range("10.32.0.0/24");
const svc = (name: string, spec: Record<string, unknown> = {}): ApiObject => ({ apiVersion: "v1", kind: "Service", metadata: { name }, spec: { ports: [{ port: 80 }], ...spec } });
const ipOf = (o: ApiObject): string => String((o.spec as { clusterIP?: unknown }).clusterIP);
const reserved = async (t: Harness): Promise<string[]> => (await t.stores(SERVICE_IP_RESERVATIONS).list()).items.map((r) => r.metadata.name ?? "").sort();
const taken = (name: string, ip: string) => (e: unknown): boolean =>
  e instanceof ApiError && e.code === "Invalid" &&
  e.message === `Service "${name}" is invalid: spec.clusterIPs: Invalid value: []string{"${ip}"}: failed to allocate IP ${ip}: provided IP is already allocated` &&
  e.details?.causes?.[0]?.field === "spec.clusterIPs";

describe("ClusterIP reservations", () => {
  it("a requested address another Service holds is 422 Invalid with kube's text; the holder keeps it", async () => {
    const t = await harness({ serviceIpRange: R24 });
    const h = t.h("", "services");
    await h.create(t.ctx(), "default", svc("a", { clusterIP: "10.32.0.50" }));
    await assert.rejects(h.create(t.ctx(), "kube-system", svc("b", { clusterIP: "10.32.0.50" })), taken("b", "10.32.0.50"));
    await assert.rejects(h.create(t.ctx(), "default", svc("c", { clusterIPs: ["10.32.0.50"] })), taken("c", "10.32.0.50"));
    await assert.rejects(h.create(t.ctx(undefined, { dryRun: true }), "default", svc("d", { clusterIP: "10.32.0.50" })), taken("d", "10.32.0.50"));
    assert.deepEqual(await reserved(t), ["10.32.0.50"]);
  });

  it("automatic allocation starts at the hashed address and moves past reserved ones, wrapping", async () => {
    const t = await harness({ serviceIpRange: R24 });
    const h = t.h("", "services");
    const first = allocateClusterIp(R24, "default", "web");
    const order = [...candidateIps(R24.cidrs[0], first)];
    assert.equal(order.length, 253);
    assert.equal(order[0], first);
    for (const ip of order.slice(0, 3)) await h.create(t.ctx(), "kube-system", svc(`pin-${ip.replaceAll(".", "-")}`, { clusterIP: ip }));
    const web = await h.create(t.ctx(), "default", svc("web"));
    assert.equal(ipOf(web), order[3]);
    assert.deepEqual((web.spec as { clusterIPs: string[] }).clusterIPs, [order[3]]);
    assert.ok((await reserved(t)).includes(order[3] ?? ""));
    // Wrapping: from the last usable address the next one is network + 2.
    assert.deepEqual([...candidateIps(R24.cidrs[0], "10.32.0.254")].slice(0, 2), ["10.32.0.254", "10.32.0.2"]);
  });

  it("a full range is 500 InternalError with kube's text and reserves nothing more", async () => {
    const small = range("192.168.7.0/29"); // usable: .2 – .6
    const t = await harness({ serviceIpRange: small });
    const h = t.h("", "services");
    const got = new Set<string>();
    for (let i = 0; i < 5; i++) got.add(ipOf(await h.create(t.ctx(), "default", svc(`s${i}`))));
    assert.deepEqual([...got].sort(), ["192.168.7.2", "192.168.7.3", "192.168.7.4", "192.168.7.5", "192.168.7.6"]);
    await assert.rejects(h.create(t.ctx(), "default", svc("s5")), (e: unknown) =>
      e instanceof ApiError && e.code === "InternalError" && e.message === "Internal error occurred: failed to allocate a serviceIP: range is full");
    assert.equal((await reserved(t)).length, 5);
  });

  it("deleting a Service releases its address; a re-create with it succeeds", async () => {
    const t = await harness({ serviceIpRange: R24 });
    const h = t.h("", "services");
    await h.create(t.ctx(), "default", svc("a", { clusterIP: "10.32.0.50" }));
    await h.delete(t.ctx(undefined, { dryRun: true }), "default", "a", {});
    assert.deepEqual(await reserved(t), ["10.32.0.50"]);
    await h.delete(t.ctx(), "default", "a", {});
    assert.deepEqual(await reserved(t), []);
    assert.equal(ipOf(await h.create(t.ctx(), "default", svc("b", { clusterIP: "10.32.0.50" }))), "10.32.0.50");
    // deletecollection releases too.
    await h.deleteCollection(t.ctx(), "default", {});
    assert.deepEqual(await reserved(t), []);
  });

  it("deleting the namespace releases its Services' addresses", async () => {
    const t = await harness({ serviceIpRange: R24 });
    await t.h("", "namespaces").create(t.ctx(), "", { apiVersion: "v1", kind: "Namespace", metadata: { name: "team" } });
    await t.h("", "services").create(t.ctx(), "team", svc("a", { clusterIP: "10.32.0.60" }));
    await t.h("", "namespaces").delete(t.ctx(), "", "team", {});
    assert.deepEqual(await reserved(t), []);
  });

  it("ExternalName and headless Services hold no address; a dry run reserves nothing", async () => {
    const t = await harness({ serviceIpRange: R24 });
    const h = t.h("", "services");
    await h.create(t.ctx(), "default", svc("ext", { type: "ExternalName", externalName: "example.com" }));
    await h.create(t.ctx(), "default", svc("db", { clusterIP: "None" }));
    const dry = await h.create(t.ctx(undefined, { dryRun: true }), "default", svc("web"));
    assert.equal(ipOf(dry), allocateClusterIp(R24, "default", "web"));
    assert.deepEqual(await reserved(t), []);
  });

  it("a create that fails after reserving gives the address back", async () => {
    const t = await harness({ serviceIpRange: R24 });
    const h = t.h("", "services");
    const a = await h.create(t.ctx(), "default", svc("a"));
    await assert.rejects(h.create(t.ctx(), "default", svc("a")), (e: unknown) => e instanceof ApiError && e.code === "AlreadyExists");
    await assert.rejects(h.create(t.ctx(), "default", svc("a", { clusterIP: "10.32.0.70" })), (e: unknown) => e instanceof ApiError && e.code === "AlreadyExists");
    assert.deepEqual(await reserved(t), [ipOf(a)]);
  });

  it("two concurrent creates asking for one address: exactly one succeeds", async () => {
    const t = await harness({ serviceIpRange: R24 });
    const h = t.h("", "services");
    const results = await Promise.allSettled(["x", "y", "z"].map((n) => h.create(t.ctx(), "default", svc(n, { clusterIP: "10.32.0.80" }))));
    assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
    for (const r of results) if (r.status === "rejected") assert.match(String(r.reason), /provided IP is already allocated/);
    assert.deepEqual(await reserved(t), ["10.32.0.80"]);
  });

  it("turning a Service ExternalName releases its address; turning it back reserves a new one", async () => {
    const t = await harness({ serviceIpRange: R24 });
    const h = t.h("", "services");
    const s = await h.create(t.ctx(), "default", svc("a", { clusterIP: "10.32.0.90" }));
    const ext = await h.update(t.ctx(), "default", "a", { ...s, spec: { ...(s.spec as object), type: "ExternalName", externalName: "example.com" } });
    assert.equal((ext.spec as { clusterIP?: string }).clusterIP, undefined);
    assert.deepEqual(await reserved(t), []);
    const back = await h.patch(t.ctx(), "default", "a", "merge", { spec: { type: "ClusterIP", externalName: null } }, {});
    assert.deepEqual(await reserved(t), [ipOf(back)]);
  });
});

describe("ClusterIP reservations through the lifecycle hooks", () => {
  const services = findResource("", "v1", "services");
  const namespaces = findResource("", "v1", "namespaces");
  assert.ok(services && namespaces);

  it("a patch that loses a race gives back what the lost attempt reserved and holds one address", async () => {
    const t = await harness({ serviceIpRange: R24 });
    const store = t.stores(services);
    const base = serviceStrategy(R24, serviceIpAllocator(R24, t.stores(SERVICE_IP_RESERVATIONS)));
    let races = 1;
    // The first attempt's write conflicts: another writer moves the Service on after it reserved.
    const strategy: ResourceStrategy = {
      ...base,
      beginUpdate: async (next, cur, ctx, sub) => {
        const claim = await base.beginUpdate?.(next, cur, ctx, sub);
        const live = races-- > 0 ? await store.get("default", "a") : undefined;
        if (live) await store.update({ ...live, metadata: { ...live.metadata, labels: { raced: "yes" } } });
        return claim;
      },
    };
    const h = createResourceHandler(services, { store, namespaces: t.stores(namespaces), strategy, clock: t.clock, random: seededRandom(3) });
    await h.create(t.ctx(), "default", svc("a", { type: "ExternalName", externalName: "example.com" }));
    const back = await h.patch(t.ctx(), "default", "a", "merge", { spec: { type: "ClusterIP", externalName: null } }, {});
    assert.equal(back.metadata.labels?.raced, "yes");
    assert.deepEqual(await reserved(t), [ipOf(back)]);
  });
});

describe("repairServiceIpReservations", () => {
  const services = findResource("", "v1", "services");
  assert.ok(services);

  it("reserves Services stored without a record, once; reports duplicates; orphans go after the grace period", async () => {
    const t = await harness({ serviceIpRange: R24 });
    const store = t.stores(services);
    for (const [name, ip] of [["a", "10.32.0.5"], ["b", "10.32.0.6"], ["c", "10.32.0.6"]] as const) {
      await store.create({ ...svc(name, { clusterIP: ip, clusterIPs: [ip], type: "ClusterIP" }), metadata: { name, namespace: "default" } });
    }
    await store.create({ ...svc("ext", { type: "ExternalName", clusterIP: "10.32.0.7" }), metadata: { name: "ext", namespace: "default" } });
    // An orphan: its Service is gone; a young one may be a create in flight elsewhere.
    await t.stores(SERVICE_IP_RESERVATIONS).create({ apiVersion: "networking.k8s.io/v1", kind: "IPAddress", metadata: { name: "10.32.0.9" }, spec: {} });
    const first = await repairServiceIpReservations(t.stores, { now: t.clock.now() });
    assert.deepEqual(first, { reserved: ["10.32.0.5", "10.32.0.6"], released: [], duplicates: ["10.32.0.6"] });
    t.clock.advance(61_000);
    const again = await repairServiceIpReservations(t.stores, { now: t.clock.now() });
    assert.deepEqual(again, { reserved: [], released: ["10.32.0.9"], duplicates: ["10.32.0.6"] });
    assert.deepEqual(await reserved(t), ["10.32.0.5", "10.32.0.6"]);
    await assert.rejects(t.h("", "services").create(t.ctx(), "default", svc("d", { clusterIP: "10.32.0.5" })), taken("d", "10.32.0.5"));
  });

  it("ensureKubernetesService reserves the kubernetes Service's address", async () => {
    const t = await harness({ serviceIpRange: R24 });
    await ensureKubernetesService(t.stores, { securePort: 6443, serviceIpRange: R24 });
    assert.deepEqual(await reserved(t), ["10.32.0.1"]);
    await assert.rejects(t.h("", "services").create(t.ctx(), "default", svc("x", { clusterIP: "10.32.0.1" })), taken("x", "10.32.0.1"));
    await ensureKubernetesService(t.stores, { securePort: 6443, serviceIpRange: R24 });
    assert.deepEqual(await reserved(t), ["10.32.0.1"]);
  });
});
