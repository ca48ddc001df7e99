// --service-cluster-ip-range end to end: `kpki init` with the Hard Way's serviceCIDR 10.32.0.0/24 puts
// 10.32.0.1 in the apiserver certificate; `kpki serve --service-cluster-ip-range 10.32.0.0/24` on that
// dir gives the kubernetes Service 10.32.0.1 and new Services addresses in the range (real kubectl).
// A restart with another range keeps the Service's address (clusterIP is immutable) and says so; a
// range the certificate does not cover is one warning line at start. A ClusterIP another Service holds
// is refused with kube's message, and free again once that Service is deleted.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assertBuilt, freePort, REPO, spawnKpki, startTestServer, untilServing, type ServeProcess } from "./helpers/kpki.ts";
import { createKubectl, kubectlBinary, type Kubectl } from "./helpers/kubectl.ts";
import { parseServiceIpRange, rangeContains } from "../src/registry/index.ts";

const CLUSTER_YAML = "controlPlane: [{ name: server, ips: [192.168.10.100] }]\nworkers: []\nserviceCIDR: 10.32.0.0/24\n";
const HARD_WAY = parseServiceIpRange("10.32.0.0/24");

function kpki(args: readonly string[]): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [join(REPO, "bin", "kpki"), ...args], { encoding: "utf8" });
  return { status: r.status, out: r.stdout + r.stderr };
}

async function serve(args: readonly string[]): Promise<ServeProcess> {
  const p = spawnKpki(["serve", ...args]);
  await untilServing(p);
  return p;
}

async function stop(p: ServeProcess): Promise<void> {
  p.child.kill("SIGTERM");
  assert.equal(await p.exited, 0, p.stderr());
}

describe("kpki serve --service-cluster-ip-range", { skip: kubectlBinary() === undefined && "kubectl is not installed" }, () => {
  let work: string;
  let dir: string;
  let kubectl: Kubectl | undefined;

  before(async () => {
    assertBuilt();
    work = await mkdtemp(join(tmpdir(), "kpki-svc-cidr-"));
    dir = join(work, "cluster");
    await writeFile(join(work, "c.yaml"), CLUSTER_YAML);
    const init = kpki(["init", "--dir", dir, "--config", join(work, "c.yaml")]);
    assert.equal(init.status, 0, init.out);
    const sans = spawnSync("openssl", ["x509", "-in", join(dir, "pki", "apiserver.crt"), "-noout", "-ext", "subjectAltName"], { encoding: "utf8" });
    assert.match(sans.stdout, /IP Address:10\.32\.0\.1\b/);
  });
  after(async () => {
    kubectl?.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  it("the kubernetes Service is 10.32.0.1, new Services get an address in 10.32.0.0/24, no certificate warning", async () => {
    assert.ok(HARD_WAY.ok);
    const port = await freePort();
    const p = await serve(["--data-dir", dir, "--listen", `127.0.0.1:${port}`, "--service-cluster-ip-range", "10.32.0.0/24"]);
    try {
      kubectl = createKubectl(join(dir, "admin.conf"));
      const ip = await kubectl(["get", "svc", "kubernetes", "-o", "jsonpath={.spec.clusterIP}"]);
      assert.deepEqual([ip.code, ip.stdout], [0, "10.32.0.1"], ip.stderr);
      const created = await kubectl(["create", "service", "clusterip", "web", "--tcp=80"]);
      assert.equal(created.code, 0, created.stderr);
      const web = await kubectl(["get", "svc", "web", "-o", "jsonpath={.spec.clusterIP}"]);
      assert.ok(web.code === 0 && rangeContains(HARD_WAY.range, web.stdout) && !["10.32.0.0", "10.32.0.1", "10.32.0.255"].includes(web.stdout), `web: ${web.stdout} ${web.stderr}`);
      const outside = await kubectl(["create", "service", "clusterip", "out", "--tcp=80", "--clusterip=10.96.0.50"]);
      assert.notEqual(outside.code, 0);
      assert.match(outside.stderr, /spec\.clusterIP: Invalid value: "10\.96\.0\.50": provided IP is not in the valid range\. The range of valid IPs is 10\.32\.0\.0\/24/);
      // One address, one Service (kube 1.33's IPAddress allocator): the second ask is kube's 422.
      const a = await kubectl(["create", "service", "clusterip", "a", "--tcp=80", "--clusterip=10.32.0.50"]);
      assert.equal(a.code, 0, a.stderr);
      const b = await kubectl(["create", "service", "clusterip", "b", "--tcp=80", "--clusterip=10.32.0.50"]);
      assert.notEqual(b.code, 0);
      assert.match(b.stderr, /Service "b" is invalid: spec\.clusterIPs: Invalid value: \[\]string\{"10\.32\.0\.50"\}: failed to allocate IP 10\.32\.0\.50: provided IP is already allocated/);
      assert.equal((await kubectl(["delete", "service", "a"])).code, 0);
      const again = await kubectl(["create", "service", "clusterip", "b", "--tcp=80", "--clusterip=10.32.0.50"]);
      assert.equal(again.code, 0, again.stderr);
      assert.doesNotMatch(p.stderr(), /warning/);
    } finally {
      await stop(p);
    }
  });

  it("a restart with another range keeps the Service's address and logs one line saying so", async () => {
    const port = await freePort();
    const p = await serve(["--data-dir", dir, "--listen", `127.0.0.1:${port}`]);
    try {
      const ip = await (kubectl ?? createKubectl(join(dir, "admin.conf")))(["get", "svc", "kubernetes", "-o", "jsonpath={.spec.clusterIP}"]);
      assert.equal(ip.stdout, "10.32.0.1", ip.stderr);
      const lines = p.stderr().split("\n").filter((l) => l.includes("kubernetes Service keeps ClusterIP 10.32.0.1"));
      assert.equal(lines.length, 1, p.stderr());
      assert.match(lines[0] ?? "", /not 10\.96\.0\.1 from --service-cluster-ip-range 10\.96\.0\.0\/12/);
    } finally {
      await stop(p);
    }
  });

  it("bad flag values are one usage line naming the flag", () => {
    const r = kpki(["serve", "--data-dir", join(work, "never"), "--service-cluster-ip-range", "x"]);
    assert.equal(r.status, 2);
    assert.equal(r.out.trim(), 'kpki: serve: --service-cluster-ip-range "x" is not a valid CIDR');
  });
});

it("a serving certificate without the kubernetes Service's IP is one warning line at start", async () => {
  // A first start provisions with the flag's range (so it names the Service's address); here the dir was
  // provisioned with the default 10.96.0.0/12 and is then served with the Hard Way's range: the
  // kubernetes Service (memory storage: created anew) gets 10.32.0.1, which the certificate lacks.
  const range = parseServiceIpRange("10.32.0.0/24");
  assert.ok(range.ok);
  const dataDir = await mkdtemp(join(tmpdir(), "kpki-svc-warn-"));
  try {
    await (await startTestServer({ dataDir })).close();
    const lines: string[] = [];
    const s = await startTestServer({ dataDir, serviceIpRange: range.range, log: (l) => lines.push(l) });
    await s.close();
    const warned = lines.filter((l) => l.includes("does not name 10.32.0.1"));
    assert.equal(warned.length, 1, lines.join("\n"));
    assert.match(warned[0] ?? "", /pods reaching https:\/\/kubernetes\.default will fail TLS verification/);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
