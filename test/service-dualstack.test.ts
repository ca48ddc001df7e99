// --service-cluster-ip-range with IPv6 and dual-stack, end to end with the real kubectl, as kube-apiserver
// serves it: on "10.96.0.0/12,fd00:10:96::/112" the kubernetes Service is SingleStack IPv4 on 10.96.0.1
// (the primary range's first address, which the default provisioning puts in the certificate), a
// default Service gets one IPv4 address and a PreferDualStack one gets an IPv4 and an IPv6 address. On
// "fd00:10:96::/112" alone the kubernetes Service is fd00:10:96::1 and RequireDualStack is kube's 422.
// A bad value is one usage line.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assertBuilt, freePort, REPO, spawnKpki, untilServing, type ServeProcess } from "./helpers/kpki.ts";
import { createKubectl, kubectlBinary, type Kubectl } from "./helpers/kubectl.ts";
import { parseServiceIpRange, rangeContains, type ServiceIpRange } from "../src/registry/index.ts";

function range(text: string): ServiceIpRange {
  const r = parseServiceIpRange(text);
  assert.ok(r.ok, text);
  return r.range;
}
const V4 = range("10.96.0.0/12");
const V6 = range("fd00:10:96::/112");

const manifest = (name: string, spec: string): string =>
  `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\nspec:\n  selector: { app: ${name} }\n  ports: [{ port: 80 }]\n${spec}`;

async function serve(dir: string, cidr: string): Promise<ServeProcess> {
  const port = await freePort();
  const p = spawnKpki(["serve", "--data-dir", dir, "--storage", "memory", "--listen", `127.0.0.1:${port}`, "--service-cluster-ip-range", cidr]);
  await untilServing(p);
  return p;
}

async function stop(p: ServeProcess): Promise<void> {
  p.child.kill("SIGTERM");
  assert.equal(await p.exited, 0, p.stderr());
}

describe("kpki serve with IPv6 and dual-stack --service-cluster-ip-range", { skip: kubectlBinary() === undefined && "kubectl is not installed" }, () => {
  let work: string;
  const kubectls: Kubectl[] = [];
  const kubectlFor = (dir: string): Kubectl => {
    const k = createKubectl(join(dir, "admin.conf"));
    kubectls.push(k);
    return k;
  };
  const jsonpath = async (k: Kubectl, name: string, path: string): Promise<string> => {
    const r = await k(["get", "svc", name, "-o", `jsonpath=${path}`]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  };

  before(async () => {
    assertBuilt();
    work = await mkdtemp(join(tmpdir(), "kpki-svc-dual-"));
  });
  after(async () => {
    for (const k of kubectls) k.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  it("dual-stack: kubernetes is SingleStack 10.96.0.1; default Services get IPv4; PreferDualStack gets both", async () => {
    const dir = join(work, "dual");
    const p = await serve(dir, "10.96.0.0/12,fd00:10:96::/112");
    try {
      const k = kubectlFor(dir);
      assert.equal(await jsonpath(k, "kubernetes", "{.spec.clusterIP} {.spec.ipFamilyPolicy} {.spec.ipFamilies[*]}"), "10.96.0.1 SingleStack IPv4");
      const created = await k(["create", "service", "clusterip", "web", "--tcp=80"]);
      assert.equal(created.code, 0, created.stderr);
      const [webIp, ...webRest] = (await jsonpath(k, "web", "{.spec.clusterIPs[*]}")).split(" ");
      assert.ok(webIp !== undefined && rangeContains(V4, webIp) && webRest.length === 0, `web: ${webIp} ${webRest.join(" ")}`);
      await writeFile(join(work, "both.yaml"), manifest("both", "  ipFamilyPolicy: PreferDualStack\n"));
      const applied = await k(["apply", "-f", join(work, "both.yaml")]);
      assert.equal(applied.code, 0, applied.stderr);
      const out = await jsonpath(k, "both", "{.spec.ipFamilyPolicy}/{.spec.ipFamilies[*]}/{.spec.clusterIPs[*]}");
      const [policy, families, ips] = out.split("/");
      assert.deepEqual([policy, families], ["PreferDualStack", "IPv4 IPv6"], out);
      const [v4, v6] = (ips ?? "").split(" ");
      assert.ok(v4 !== undefined && v6 !== undefined && rangeContains(V4, v4) && rangeContains(V6, v6) && v6 !== "fd00:10:96::1", out);
      // The certificate names 10.96.0.1, the primary range's first address: no warning.
      assert.doesNotMatch(p.stderr(), /warning/);
    } finally {
      await stop(p);
    }
  });

  it("IPv6 single-stack: kubernetes is fd00:10:96::1; Services get IPv6; RequireDualStack is kube's 422", async () => {
    const dir = join(work, "v6");
    const p = await serve(dir, "fd00:10:96::/112");
    try {
      const k = kubectlFor(dir);
      assert.equal(await jsonpath(k, "kubernetes", "{.spec.clusterIP} {.spec.ipFamilyPolicy} {.spec.ipFamilies[*]}"), "fd00:10:96::1 SingleStack IPv6");
      const created = await k(["create", "service", "clusterip", "web", "--tcp=80"]);
      assert.equal(created.code, 0, created.stderr);
      const ip = await jsonpath(k, "web", "{.spec.clusterIP}");
      assert.ok(rangeContains(V6, ip) && ip !== "fd00:10:96::1", ip);
      await writeFile(join(work, "req.yaml"), manifest("req", "  ipFamilyPolicy: RequireDualStack\n"));
      const refused = await k(["apply", "-f", join(work, "req.yaml")]);
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /spec\.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services/);
      // The first start provisioned with serviceCIDR = the flag's range: the certificate names
      // fd00:10:96::1 (openssl checks it) and nothing is warned.
      assert.doesNotMatch(p.stderr(), /warning/);
      const cert = join(dir, "pki", "apiserver.crt");
      const verified = spawnSync("openssl", ["verify", "-CAfile", join(dir, "pki", "ca.crt"), "-verify_ip", "fd00:10:96::1", cert], { encoding: "utf8" });
      assert.equal(verified.status, 0, verified.stdout + verified.stderr);
    } finally {
      await stop(p);
    }
  });

  it("a bad value is one usage line naming the flag and a non-zero exit", () => {
    const cases: [string, string][] = [
      ["10.96.0.0/12,10.100.0.0/16", "is invalid: [0] and [1] must be of different IP family"],
      ["fd00::/64", "is too large; for 128-bit addresses, the mask must be >= 108"],
      ["10.96.0.0/12,fd00::/112,fd01::/112", "is invalid: must not contain more than two entries"],
    ];
    for (const [value, reason] of cases) {
      const r = spawnSync(process.execPath, [join(REPO, "bin", "kpki"), "serve", "--data-dir", join(work, "never"), "--service-cluster-ip-range", value], { encoding: "utf8" });
      assert.equal(r.status, 2, value);
      assert.equal((r.stdout + r.stderr).trim(), `kpki: serve: --service-cluster-ip-range "${value}" ${reason}`);
    }
  });
});
