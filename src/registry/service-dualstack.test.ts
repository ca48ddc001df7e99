import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ApiError, findResource, type ApiObject } from "../api/index.ts";
import { ensureKubernetesService } from "./bootstrap.ts";
import { allocateClusterIp, ipAt, offsetOf, parseServiceIpRange, rangeContains, type ServiceIpRange } from "./service-ip.ts";
import { candidateIps, SERVICE_IP_RESERVATIONS } from "./service-ip-reservations.ts";
import { harness, type Harness } from "./testing.ts";

function range(text: string): ServiceIpRange {
  const r = parseServiceIpRange(text);
  if (!r.ok) throw new Error(`${text} ${r.reason}`);
  return r.range;
}

const V4 = range("10.32.0.0/24");
const V6 = range("fd00:10:96::/112");
const DUAL = range("10.32.0.0/24,fd00:10:96::/112");
const DUAL6 = range("fd00:10:96::/112,10.32.0.0/24");

type Spec = { clusterIP?: string; clusterIPs?: string[]; ipFamilies?: string[]; ipFamilyPolicy?: string };
const svc = (name: string, spec: Record<string, unknown> = {}): ApiObject => ({ apiVersion: "v1", kind: "Service", metadata: { name }, spec: { ports: [{ port: 80 }], selector: { app: name }, ...spec } });
const specOf = (o: ApiObject): Spec => o.spec as Spec;
const reserved = async (t: Harness): Promise<string[]> => (await t.stores(SERVICE_IP_RESERVATIONS).list()).items.map((r) => r.metadata.name ?? "").sort();
const isInvalid = (message: string) => (e: unknown): boolean => e instanceof ApiError && e.code === "Invalid" && e.message === message;

describe("range arithmetic", () => {
  it("ipAt / offsetOf carry across bytes in both families", () => {
    const cases: [string, number, string][] = [
      ["10.96.0.0/12", 256, "10.96.1.0"], ["10.96.0.0/12", 2 ** 20 - 1, "10.111.255.255"], ["10.32.0.0/24", 1, "10.32.0.1"],
      ["fd00:10:96::/112", 1, "fd00:10:96::1"], ["fd00:10:96::/112", 65535, "fd00:10:96::ffff"], ["fd00::/108", 2 ** 20 - 1, "fd00::f:ffff"],
      ["2001:db8:0:0:0:0:fff0:0/108", 65536, "2001:db8::fff1:0"],
    ];
    for (const [cidr, offset, ip] of cases) {
      const c = range(cidr).cidrs[0];
      assert.equal(ipAt(c, offset), ip, `${cidr} + ${offset}`);
      assert.equal(offsetOf(c, ip), offset, `${ip} in ${cidr}`);
    }
    assert.equal(offsetOf(V6.cidrs[0], "fd00:10:97::1"), undefined);
    assert.equal(offsetOf(V6.cidrs[0], "10.32.0.1"), undefined);
    assert.equal(offsetOf(V4.cidrs[0], "::ffff:10.32.0.9"), 9, "an IPv4-mapped address is IPv4 (Go's To4)");
    assert.ok(rangeContains(DUAL, "fd00:10:96::abcd") && rangeContains(DUAL, "10.32.0.9") && !rangeContains(V4, "fd00:10:96::abcd"));
  });

  it("IPv6 ranges have no broadcast address: the last one is allocatable; IPv4's is not", () => {
    const v6 = range("2001:db8::/126").cidrs[0];
    assert.deepEqual([...candidateIps(v6, "2001:db8::2")], ["2001:db8::2", "2001:db8::3"]);
    assert.deepEqual([...candidateIps(range("192.168.0.4/30").cidrs[0], "192.168.0.6")], ["192.168.0.6"]);
    for (let i = 0; i < 200; i++) assert.ok(rangeContains(V6, allocateClusterIp(V6, "default", `s${i}`)));
    assert.match(allocateClusterIp(DUAL, "default", "web", "IPv6"), /^fd00:10:96::/);
    assert.match(allocateClusterIp(DUAL, "default", "web"), /^10\.32\.0\./);
  });
});

describe("dual-stack Services (alloc.go initIPFamilyFields)", () => {
  const created: [string, ServiceIpRange, Record<string, unknown>, { policy: string; families: string[]; ips: RegExp[] }][] = [
    ["default on dual-stack: SingleStack of the primary family", DUAL, {}, { policy: "SingleStack", families: ["IPv4"], ips: [/^10\.32\.0\./] }],
    ["PreferDualStack on dual-stack: both, primary first", DUAL, { ipFamilyPolicy: "PreferDualStack" }, { policy: "PreferDualStack", families: ["IPv4", "IPv6"], ips: [/^10\.32\.0\./, /^fd00:10:96::/] }],
    ["PreferDualStack on an IPv6-primary server", DUAL6, { ipFamilyPolicy: "PreferDualStack" }, { policy: "PreferDualStack", families: ["IPv6", "IPv4"], ips: [/^fd00:10:96::/, /^10\.32\.0\./] }],
    ["RequireDualStack asking IPv6 first", DUAL, { ipFamilyPolicy: "RequireDualStack", ipFamilies: ["IPv6"] }, { policy: "RequireDualStack", families: ["IPv6", "IPv4"], ips: [/^fd00:10:96::/, /^10\.32\.0\./] }],
    ["SingleStack IPv6 on an IPv4-primary dual-stack server", DUAL, { ipFamilies: ["IPv6"] }, { policy: "SingleStack", families: ["IPv6"], ips: [/^fd00:10:96::/] }],
    ["given clusterIPs infer the families", DUAL, { clusterIPs: ["fd00:10:96::10", "10.32.0.10"], ipFamilyPolicy: "RequireDualStack" }, { policy: "RequireDualStack", families: ["IPv6", "IPv4"], ips: [/^fd00:10:96::10$/, /^10\.32\.0\.10$/] }],
    ["PreferDualStack on single-stack: one address", V4, { ipFamilyPolicy: "PreferDualStack" }, { policy: "PreferDualStack", families: ["IPv4"], ips: [/^10\.32\.0\./] }],
    ["default on an IPv6 server", V6, {}, { policy: "SingleStack", families: ["IPv6"], ips: [/^fd00:10:96::/] }],
  ];
  for (const [title, r, spec, want] of created) {
    it(title, async () => {
      const t = await harness({ serviceIpRange: r });
      const s = specOf(await t.h("", "services").create(t.ctx(), "default", svc("web", spec)));
      assert.deepEqual([s.ipFamilyPolicy, s.ipFamilies, s.clusterIPs?.length], [want.policy, want.families, want.ips.length]);
      want.ips.forEach((re, i) => assert.match(s.clusterIPs?.[i] ?? "", re));
      assert.equal(s.clusterIP, s.clusterIPs?.[0]);
      assert.deepEqual(await reserved(t), [...(s.clusterIPs ?? [])].sort());
    });
  }

  const refused: [string, ServiceIpRange, Record<string, unknown>, string][] = [
    ["RequireDualStack on single-stack", V4, { ipFamilyPolicy: "RequireDualStack" },
      'Service "web" is invalid: spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services'],
    ["an IPv6 clusterIP on an IPv4 server", V4, { clusterIP: "fd00:10:96::5" },
      'Service "web" is invalid: spec.clusterIPs[0]: Invalid value: []string{"fd00:10:96::5"}: IPv6 is not configured on this cluster'],
    ["an IPv4 clusterIP on an IPv6 server", V6, { clusterIP: "10.32.0.5" },
      'Service "web" is invalid: spec.clusterIPs[0]: Invalid value: []string{"10.32.0.5"}: IPv4 is not configured on this cluster'],
    ["an unserved family", V4, { ipFamilies: ["IPv6"] }, 'Service "web" is invalid: spec.ipFamilies[0]: Invalid value: "IPv6": not configured on this cluster'],
    ["an address not of its family", DUAL, { clusterIP: "fd00:10:96::5", ipFamilies: ["IPv4"] },
      'Service "web" is invalid: spec.clusterIPs[0]: Invalid value: "fd00:10:96::5": expected an IPv4 value as indicated by `ipFamilies[0]`'],
    ["SingleStack with two addresses", DUAL, { clusterIPs: ["10.32.0.5", "fd00:10:96::5"], ipFamilyPolicy: "SingleStack" },
      "Service \"web\" is invalid: spec.ipFamilyPolicy: Invalid value: \"SingleStack\": must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified"],
    ["two addresses of one family", DUAL, { clusterIPs: ["10.32.0.5", "10.32.0.6"], ipFamilyPolicy: "PreferDualStack" },
      'Service "web" is invalid: spec.clusterIPs: Invalid value: []string{"10.32.0.5", "10.32.0.6"}: may specify no more than one IP for each IP family'],
    ["clusterIP not clusterIPs[0]", DUAL, { clusterIP: "10.32.0.5", clusterIPs: ["10.32.0.6"] },
      'Service "web" is invalid: spec.clusterIPs: Invalid value: []string{"10.32.0.6"}: first value must match `clusterIP`'],
    ["a secondary outside its range", DUAL, { clusterIPs: ["10.32.0.5", "fd00:10:97::5"], ipFamilyPolicy: "RequireDualStack" },
      'Service "web" is invalid: spec.clusterIPs[1]: Invalid value: "fd00:10:97::5": provided IP is not in the valid range. The range of valid IPs is fd00:10:96::/112'],
    ["an unknown policy", DUAL, { ipFamilyPolicy: "Both" },
      'Service "web" is invalid: spec.ipFamilyPolicy: Unsupported value: "Both": supported values: "PreferDualStack", "RequireDualStack", "SingleStack"'],
  ];
  for (const [title, r, spec, message] of refused) {
    it(`422: ${title}`, async () => {
      const t = await harness({ serviceIpRange: r });
      await assert.rejects(t.h("", "services").create(t.ctx(), "default", svc("web", spec)), isInvalid(message));
      assert.deepEqual(await reserved(t), []);
    });
  }

  it("headless: no addresses; without a selector kube defaults RequireDualStack, even single-stack", async () => {
    const t = await harness({ serviceIpRange: V4 });
    const h = t.h("", "services");
    const db = specOf(await h.create(t.ctx(), "default", svc("db", { clusterIP: "None" })));
    assert.deepEqual([db.clusterIPs, db.ipFamilyPolicy, db.ipFamilies], [["None"], "SingleStack", ["IPv4"]]);
    const bare = specOf(await h.create(t.ctx(), "default", { ...svc("bare", { clusterIP: "None" }), spec: { clusterIP: "None", ports: [{ port: 80 }] } }));
    assert.deepEqual([bare.clusterIPs, bare.ipFamilyPolicy, bare.ipFamilies], [["None"], "RequireDualStack", ["IPv4", "IPv6"]]);
    assert.deepEqual(await reserved(t), []);
  });

  it("IPv6 reservations are keyed by the canonical address; deleting releases both families", async () => {
    const t = await harness({ serviceIpRange: DUAL });
    const h = t.h("", "services");
    await h.create(t.ctx(), "default", svc("a", { clusterIPs: ["10.32.0.7", "FD00:10:96:0::00A"], ipFamilyPolicy: "RequireDualStack" }));
    assert.deepEqual(await reserved(t), ["10.32.0.7", "fd00:10:96::a"]);
    await assert.rejects(h.create(t.ctx(), "default", svc("b", { clusterIP: "fd00:10:96::a" })),
      isInvalid('Service "b" is invalid: spec.clusterIPs: Invalid value: []string{"fd00:10:96::a"}: failed to allocate IP fd00:10:96::a: provided IP is already allocated'));
    assert.deepEqual(await reserved(t), ["10.32.0.7", "fd00:10:96::a"], "a failed dual claim gives back what it took");
    await h.delete(t.ctx(), "default", "a", {});
    assert.deepEqual(await reserved(t), []);
  });

  it("upgrade to PreferDualStack adds the secondary; SingleStack releases it; the primary may not change", async () => {
    const t = await harness({ serviceIpRange: DUAL });
    const h = t.h("", "services");
    const v4 = specOf(await h.create(t.ctx(), "default", svc("web"))).clusterIP ?? "";
    const up = specOf(await h.patch(t.ctx(), "default", "web", "merge", { spec: { ipFamilyPolicy: "PreferDualStack" } }, {}));
    assert.deepEqual([up.ipFamilies, up.clusterIPs?.[0], up.clusterIPs?.length], [["IPv4", "IPv6"], v4, 2]);
    assert.deepEqual(await reserved(t), [...(up.clusterIPs ?? [])].sort());
    const down = specOf(await h.patch(t.ctx(), "default", "web", "merge", { spec: { ipFamilyPolicy: "SingleStack" } }, {}));
    assert.deepEqual([down.ipFamilies, down.clusterIPs], [["IPv4"], [v4]]);
    assert.deepEqual(await reserved(t), [v4]);
    await assert.rejects(h.patch(t.ctx(), "default", "web", "merge", { spec: { clusterIP: "10.32.0.99", clusterIPs: ["10.32.0.99"] } }, {}),
      /spec\.clusterIPs\[0\]: Invalid value: "10\.32\.0\.99": may not change once set/);
  });

  it("a PreferDualStack Service made on a single-stack server is not upgraded when the server turns dual-stack", async () => {
    const t = await harness({ serviceIpRange: DUAL });
    const services = findResource("", "v1", "services");
    assert.ok(services);
    const spec = { type: "ClusterIP", ports: [{ port: 80 }], clusterIP: "10.32.0.20", clusterIPs: ["10.32.0.20"], ipFamilies: ["IPv4"], ipFamilyPolicy: "PreferDualStack" };
    await t.stores(services).create({ apiVersion: "v1", kind: "Service", metadata: { name: "old", namespace: "default" }, spec });
    const s = specOf(await t.h("", "services").patch(t.ctx(), "default", "old", "merge", { metadata: { labels: { a: "b" } } }, {}));
    assert.deepEqual(s.clusterIPs, ["10.32.0.20"]);
  });
});

describe("ensureKubernetesService on IPv6 and dual-stack ranges", () => {
  const cases: [ServiceIpRange, string, string][] = [[V6, "fd00:10:96::1", "IPv6"], [DUAL, "10.32.0.1", "IPv4"], [DUAL6, "fd00:10:96::1", "IPv6"]];
  for (const [r, ip, family] of cases) {
    it(`${r.cidr}: ${ip}, SingleStack ${family}`, async () => {
      const t = await harness({ serviceIpRange: r });
      assert.equal((await ensureKubernetesService(t.stores, { securePort: 6443, serviceIpRange: r })).clusterIP, ip);
      const live = specOf(await t.h("", "services").get(t.ctx(), "default", "kubernetes"));
      assert.deepEqual([live.clusterIP, live.clusterIPs, live.ipFamilies, live.ipFamilyPolicy], [ip, [ip], [family], "SingleStack"]);
      assert.deepEqual(await reserved(t), [ip]);
    });
  }
});
