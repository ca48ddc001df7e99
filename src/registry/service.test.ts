import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ApiError, findResource } from "../api/index.ts";
import { ensureKubernetesService } from "./bootstrap.ts";
import { allocateClusterIp, ipAt, kubernetesServiceIp, parseServiceIpRange, rangeContains, type ServiceIpRange } from "./service-ip.ts";
import { harness } from "./testing.ts";

function range(text: string): ServiceIpRange {
  const r = parseServiceIpRange(text);
  if (!r.ok) throw new Error(`${text} ${r.reason}`);
  return r.range;
}

const svc = (name: string, spec: Record<string, unknown> = {}) => ({ apiVersion: "v1", kind: "Service", metadata: { name }, spec: { ports: [{ port: 80 }], ...spec } });

describe("parseServiceIpRange", () => {
  it("accepts IPv4 /12–/30, IPv6 /108–/126 and dual-stack pairs; clears host bits as net.ParseCIDR does", () => {
    const ok: [string, string, [string, number][]][] = [
      ["10.96.0.0/12", "10.96.0.0/12", [["IPv4", 2 ** 20]]],
      ["10.32.0.0/24", "10.32.0.0/24", [["IPv4", 256]]],
      ["10.32.0.77/24", "10.32.0.0/24", [["IPv4", 256]]],
      ["192.168.0.6/30", "192.168.0.4/30", [["IPv4", 4]]],
      ["10.0.0.0/024", "10.0.0.0/24", [["IPv4", 256]]], // Go's dtoi takes leading zeros in the prefix
      ["fd00:10:96::/112", "fd00:10:96::/112", [["IPv6", 65536]]],
      ["FD00:10:96::77/108", "fd00:10:96::/108", [["IPv6", 2 ** 20]]],
      ["2001:db8::4/126", "2001:db8::4/126", [["IPv6", 4]]],
      ["10.96.0.0/12,fd00:10:96::/112", "10.96.0.0/12,fd00:10:96::/112", [["IPv4", 2 ** 20], ["IPv6", 65536]]],
      ["fd00:10:96::1/112,10.32.0.9/24", "fd00:10:96::/112,10.32.0.0/24", [["IPv6", 65536], ["IPv4", 256]]],
    ];
    for (const [text, cidr, cidrs] of ok) {
      const r = range(text);
      assert.deepEqual([r.cidr, r.cidrs.map((c) => [c.family, c.size])], [cidr, cidrs], text);
    }
  });

  it("rejects what is not a CIDR, too large / too small a range, and bad pairs with a reason", () => {
    const bad: [string, string][] = [
      ["x", "is not a valid CIDR"],
      ["", "is not a valid CIDR"],
      ["10.0.0.0", "is not a valid CIDR"],
      ["10.0.0.0/33", "is not a valid CIDR"],
      ["10.0.0.256/24", "is not a valid CIDR"],
      ["010.0.0.0/24", "is not a valid CIDR"],
      ["10.0.0/24", "is not a valid CIDR"],
      ["fd00::/129", "is not a valid CIDR"],
      ["fe80::%eth0/112", "is not a valid CIDR"],
      ["::ffff:10.0.0.0/120", "is not a valid CIDR"],
      [" 10.0.0.0/24", "is not a valid CIDR"],
      ["10.0.0.0/11", "is too large; for 32-bit addresses, the mask must be >= 12"],
      ["fd00::/64", "is too large; for 128-bit addresses, the mask must be >= 108"],
      ["fd00::/107", "is too large; for 128-bit addresses, the mask must be >= 108"],
      ["10.0.0.0/31", "is too small; the mask must be <= 30 to leave room for Services"],
      ["10.0.0.1/32", "is too small; the mask must be <= 30 to leave room for Services"],
      ["fd00::/127", "is too small; the mask must be <= 126 to leave room for Services"],
      ["10.96.0.0/12,10.100.0.0/16", "is invalid: [0] and [1] must be of different IP family"],
      ["fd00::/112,fd01::/112", "is invalid: [0] and [1] must be of different IP family"],
      ["10.96.0.0/12,fd00::/112,10.1.0.0/16", "is invalid: must not contain more than two entries"],
      ["10.96.0.0/12,", 'is invalid: [1] "" is not a valid CIDR'],
      ["10.96.0.0/12, fd00::/112", 'is invalid: [1] " fd00::/112" is not a valid CIDR'],
      ["10.96.0.0/12,fd00::/64", 'is invalid: [1] "fd00::/64" is too large; for 128-bit addresses, the mask must be >= 108'],
      ["10.0.0.0/8,fd00::/112", 'is invalid: [0] "10.0.0.0/8" is too large; for 32-bit addresses, the mask must be >= 12'],
    ];
    for (const [text, reason] of bad) assert.deepEqual(parseServiceIpRange(text), { ok: false, reason }, JSON.stringify(text));
  });
});

describe("service IP allocation", () => {
  it("the kubernetes Service gets the first host address of the range", () => {
    const cases: [string, string][] = [
      ["10.96.0.0/12", "10.96.0.1"],
      ["10.32.0.0/24", "10.32.0.1"],
      ["10.100.0.0/16", "10.100.0.1"],
      ["172.16.5.16/28", "172.16.5.17"],
      ["192.168.0.4/30", "192.168.0.5"],
    ];
    for (const [cidr, ip] of cases) assert.equal(kubernetesServiceIp(range(cidr)), ip, cidr);
  });

  it("allocates stable addresses inside the range, never its network, kubernetes or broadcast address", () => {
    for (const cidr of ["10.32.0.0/24", "10.96.0.0/12", "192.168.7.0/29", "192.168.0.4/30"]) {
      const r = range(cidr);
      const c = r.cidrs[0];
      const reserved = [ipAt(c, 0), ipAt(c, 1), ipAt(c, c.size - 1)];
      const seen = new Set<string>();
      for (let i = 0; i < 2000; i++) {
        const ip = allocateClusterIp(r, "default", `svc-${i}`);
        assert.ok(rangeContains(r, ip), `${ip} in ${cidr}`);
        assert.ok(!reserved.includes(ip), `${ip} is reserved in ${cidr}`);
        seen.add(ip);
      }
      assert.equal(allocateClusterIp(r, "default", "svc-1"), allocateClusterIp(r, "default", "svc-1"));
      // The hash spreads: a /30 has one usable address, the others many.
      assert.ok(c.size === 4 ? seen.size === 1 : seen.size > Math.min(c.size - 3, 2000) / 2, `${cidr}: ${seen.size} distinct`);
    }
  });

  it("services created without clusterIP get one inside the configured range", async () => {
    for (const cidr of ["10.32.0.0/24", "10.96.0.0/12"]) {
      const t = await harness({ serviceIpRange: range(cidr) });
      const s = await t.h("", "services").create(t.ctx(), "default", svc("web"));
      const spec = s.spec as { clusterIP: string; clusterIPs: string[] };
      assert.ok(rangeContains(range(cidr), spec.clusterIP), `${spec.clusterIP} in ${cidr}`);
      assert.deepEqual(spec.clusterIPs, [spec.clusterIP]);
    }
  });

  it("an explicit clusterIP must be in the range (422 Invalid with kube's message), or None", async () => {
    const t = await harness({ serviceIpRange: range("10.32.0.0/24") });
    const h = t.h("", "services");
    await assert.rejects(h.create(t.ctx(), "default", svc("out", { clusterIP: "10.96.0.10" })), (e: unknown) =>
      e instanceof ApiError && e.code === "Invalid" &&
      e.message === 'Service "out" is invalid: spec.clusterIP: Invalid value: "10.96.0.10": provided IP is not in the valid range. The range of valid IPs is 10.32.0.0/24');
    await assert.rejects(h.create(t.ctx(), "default", svc("bad", { clusterIP: "ten" })), /spec\.clusterIP: Invalid value: "ten": must be a valid IP address/);
    const dns = await h.create(t.ctx(), "kube-system", svc("kube-dns", { clusterIP: "10.32.0.10" }));
    assert.equal((dns.spec as { clusterIP: string }).clusterIP, "10.32.0.10");
    const headless = await h.create(t.ctx(), "default", svc("db", { clusterIP: "None" }));
    assert.equal((headless.spec as { clusterIP: string }).clusterIP, "None");
  });

  it("an existing clusterIP may not change, but an update that keeps it is accepted", async () => {
    const t = await harness({ serviceIpRange: range("10.32.0.0/24") });
    const h = t.h("", "services");
    const s = await h.create(t.ctx(), "default", svc("web"));
    const kept = await h.update(t.ctx(), "default", "web", { ...s, spec: { ports: [{ port: 81 }] } });
    assert.equal((kept.spec as { clusterIP: string }).clusterIP, (s.spec as { clusterIP: string }).clusterIP);
    await assert.rejects(h.update(t.ctx(), "default", "web", { ...kept, spec: { ...(kept.spec as object), clusterIP: "10.32.0.200", clusterIPs: ["10.32.0.200"] } }),
      /spec\.clusterIPs\[0\]: Invalid value: "10\.32\.0\.200": may not change once set/);
  });
});

describe("ensureKubernetesService", () => {
  it("creates the Service on the range's first address and keeps it when the range changes", async () => {
    const t = await harness();
    const first = await ensureKubernetesService(t.stores, { securePort: 6443, serviceIpRange: range("10.32.0.0/24") });
    assert.deepEqual(first, { action: "created", clusterIP: "10.32.0.1", expectedClusterIP: "10.32.0.1" });
    const again = await ensureKubernetesService(t.stores, { securePort: 6443, serviceIpRange: range("10.32.0.0/24") });
    assert.deepEqual(again, { action: "unchanged", clusterIP: "10.32.0.1", expectedClusterIP: "10.32.0.1" });
    const moved = await ensureKubernetesService(t.stores, { securePort: 7443, serviceIpRange: range("10.96.0.0/12") });
    assert.deepEqual(moved, { action: "updated", clusterIP: "10.32.0.1", expectedClusterIP: "10.96.0.1" });
    const info = findResource("", "v1", "services");
    assert.ok(info);
    const live = await t.stores(info).get("default", "kubernetes");
    assert.deepEqual([(live?.spec as { clusterIP: string }).clusterIP, (live?.spec as { ports: { targetPort: number }[] }).ports[0]?.targetPort], ["10.32.0.1", 7443]);
  });

  it("defaults to kubeadm's 10.96.0.1", async () => {
    const t = await harness();
    assert.equal((await ensureKubernetesService(t.stores, { securePort: 6443 })).clusterIP, "10.96.0.1");
  });
});
