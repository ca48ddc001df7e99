// `./bin/kpki serve` as a process: first start provisions the data dir like `kpki init` and writes
// admin.conf for the listen address; curl with --cacert/--cert/--key answers (seed 004); without a
// certificate only discovery is allowed; SIGTERM drains (an open watch ends, exit 0); a restart
// reuses the PKI and the SQLite state; a port in use or an unreadable file is one line and exit 1.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { assertBuilt, freePort, spawnKpki, untilServing, waitUntil, type ServeProcess } from "./helpers/kpki.ts";
import { createKubectl, kubectlBinary } from "./helpers/kubectl.ts";

const HAVE_CURL = spawnSync("sh", ["-c", "command -v curl"]).status === 0;

function curl(args: readonly string[]): { code: number | null; out: string } {
  const r = spawnSync("curl", ["-sS", "--max-time", "10", ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout + r.stderr };
}


describe("kpki serve (the process)", () => {
  let work: string;
  let dir: string;
  let port: number;
  let proc: ServeProcess | undefined;

  before(async () => {
    assertBuilt();
    work = await mkdtemp(join(tmpdir(), "kpki-serve-test-"));
    dir = join(work, "data");
    port = await freePort();
  });
  after(async () => {
    if (proc && proc.child.exitCode === null) proc.child.kill("SIGKILL");
    await rm(work, { recursive: true, force: true });
  });

  it("provisions an empty data dir, writes admin.conf for the listen address and says how to use it", async () => {
    proc = spawnKpki(["serve", "--data-dir", dir, "--listen", `127.0.0.1:${port}`]);
    await untilServing(proc);
    assert.match(proc.stdout(), new RegExp(`export KUBECONFIG=${dir}/admin\\.conf; kubectl get ns`));
    const kubeconfig = parseYaml(await readFile(join(dir, "admin.conf"), "utf8")) as { clusters: { cluster: { server: string } }[] };
    assert.equal(kubeconfig.clusters[0]?.cluster.server, `https://127.0.0.1:${port}`);
    for (const f of ["pki/ca.crt", "pki/apiserver.crt", "super-admin.conf", "kpki.db"]) await readFile(join(dir, f));
  });

  it("curl --cacert --cert --key /api answers; without a certificate only discovery is allowed", { skip: !HAVE_CURL && "curl is not installed" }, async () => {
    const kc = parseYaml(await readFile(join(dir, "admin.conf"), "utf8")) as { users: { user: Record<string, string> }[] };
    const user = kc.users[0]?.user ?? {};
    await writeFile(join(work, "client.pem"), Buffer.from(user["client-certificate-data"] ?? "", "base64"));
    await writeFile(join(work, "client-key.pem"), Buffer.from(user["client-key-data"] ?? "", "base64"), { mode: 0o600 });
    const base = `https://127.0.0.1:${port}`;
    const ca = join(dir, "pki", "ca.crt");
    const withCert = curl(["--cacert", ca, "--cert", join(work, "client.pem"), "--key", join(work, "client-key.pem"), `${base}/api`]);
    assert.equal(withCert.code, 0, withCert.out);
    assert.equal((JSON.parse(withCert.out) as { kind: string }).kind, "APIVersions");
    const anonDiscovery = curl(["--cacert", ca, `${base}/apis`]);
    assert.equal((JSON.parse(anonDiscovery.out) as { kind: string }).kind, "APIGroupList");
    const anonResource = JSON.parse(curl(["--cacert", ca, `${base}/api/v1/namespaces/default/pods`]).out) as { code: number; message: string };
    assert.equal(anonResource.code, 403);
    assert.equal(anonResource.message, 'pods is forbidden: User "system:anonymous" cannot list resource "pods" in API group "" in the namespace "default"');
  });

  it("SIGTERM ends open watches and exits 0", { skip: kubectlBinary() === undefined && "kubectl is not installed" }, async () => {
    assert.ok(proc);
    const k = createKubectl(join(dir, "admin.conf"));
    try {
      const created = await k(["create", "namespace", "persist-me"]);
      assert.equal(created.code, 0, created.stderr);
      const watch = k.spawn(["get", "ns", "-w"]);
      await waitUntil(() => watch.lines().some((l) => l.startsWith("persist-me")), 10_000, "the watch to list");
      proc.child.kill("SIGTERM");
      assert.equal(await proc.exited, 0, proc.stderr());
      const watchCode = await watch.stop();
      assert.ok(watchCode === 0 || watchCode === 1, `kubectl get -w ended with ${watchCode}`);
    } finally {
      k.cleanup();
    }
  });

  it("a restart reuses the PKI and the SQLite state", { skip: kubectlBinary() === undefined && "kubectl is not installed" }, async () => {
    const caBefore = await readFile(join(dir, "pki", "ca.crt"), "utf8");
    proc = spawnKpki(["serve", "--data-dir", dir, "--listen", `127.0.0.1:${port}`]);
    await untilServing(proc);
    assert.doesNotMatch(proc.stdout(), /provisioned/);
    assert.equal(await readFile(join(dir, "pki", "ca.crt"), "utf8"), caBefore);
    const k = createKubectl(join(dir, "admin.conf"));
    try {
      const ns = await k(["get", "ns", "persist-me", "-o", "name"]);
      assert.equal(ns.stdout, "namespace/persist-me\n", ns.stderr);
    } finally {
      k.cleanup();
    }
  });

  it("a port in use and an unreadable certificate are one line each, exit 1", async () => {
    const busy = spawnKpki(["serve", "--data-dir", join(work, "other"), "--listen", `127.0.0.1:${port}`, "--storage", "memory"]);
    assert.equal(await busy.exited, 1);
    assert.equal(busy.stderr(), `kpki: cannot listen on 127.0.0.1:${port}: address already in use\n`);
    const missing = join(work, "nope.crt");
    const bad = spawnKpki(["serve", "--data-dir", join(work, "third"), "--client-ca-file", missing, "--tls-cert-file", missing, "--tls-private-key-file", missing]);
    assert.equal(await bad.exited, 1);
    assert.equal(bad.stderr(), `kpki: cannot read client CA file ${missing}: no such file\n`);
    const garbage = join(work, "garbage.pem");
    await writeFile(garbage, "not a certificate\n");
    const junk = spawnKpki(["serve", "--data-dir", join(work, "fourth"), "--client-ca-file", join(dir, "pki", "ca.crt"), "--tls-cert-file", garbage, "--tls-private-key-file", garbage]);
    assert.equal(await junk.exited, 1);
    assert.match(junk.stderr(), /^kpki: cannot use the serving certificate\/key: .*\n$/);
    proc?.child.kill("SIGTERM");
    assert.equal(await proc?.exited, 0);
  });
});
