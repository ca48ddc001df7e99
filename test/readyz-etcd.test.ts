// /readyz follows etcd as kube-apiserver's does: `etcd` and `etcd-readiness` checks, "[-]etcd failed:
// reason withheld" + "readyz check failed" with a 500 within the 2 s check deadline when etcd is frozen
// (SIGSTOP) or dead (kill -9), 200 again once it is back — same kpki, no restart. /livez stays 200
// throughout (a restart of kpki cannot fix etcd); SQLite has no etcd checks.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer, storageHealthCheck, type RunningKpki } from "../src/main/start-server.ts";
import { createMemoryBackend, type StorageBackend } from "../src/storage/index.ts";
import { etcdAvailable, freezeMember, startEtcd, type EtcdCluster } from "./helpers/etcd.ts";
import { waitUntil } from "./helpers/kpki.ts";
import { adminIdentity, apiClient, type ApiClient } from "./helpers/replicas.ts";

/** status, body text and how long the request took. */
async function probe(client: ApiClient, path: string): Promise<{ status: number; text: string; ms: number }> {
  const t0 = Date.now();
  const r = await client.call("GET", path);
  return { status: r.status, text: String(r.body["text"] ?? JSON.stringify(r.body)), ms: Date.now() - t0 };
}

describe("storageHealthCheck (no etcd, no wall clock)", () => {
  it("fails at the deadline while the backend hangs, shares one probe, reports transitions", async () => {
    const memory = createMemoryBackend();
    let hang: (() => void) | undefined;
    let gets = 0;
    const backend: StorageBackend = {
      ...memory,
      get: (k) => {
        gets++;
        return hang === undefined ? memory.get(k) : new Promise((r) => void (hang = () => r(undefined)));
      },
    };
    const timers: (() => void)[] = [];
    const expire = (): void => timers.splice(0).forEach((fire) => fire());
    const wait = (): Promise<void> => new Promise((r) => void timers.push(r));
    const changes: string[] = [];
    const check = storageHealthCheck(backend, { timeoutMs: 2000, wait, onChange: (e) => void changes.push(e ? e.message : "ok") });
    await check();
    hang = () => undefined; // the next get never answers until released
    const a = check();
    const b = check();
    expire(); // the deadline passes
    await assert.rejects(b, /storage did not answer in 2000 ms/);
    await assert.rejects(a, /storage did not answer/);
    assert.equal(gets, 2, "callers during one hanging probe share it");
    const release = hang;
    hang = undefined;
    release();
    await new Promise((r) => setImmediate(r));
    await check();
    assert.deepEqual(changes, ["storage did not answer in 2000 ms", "ok"]);
  });
});

describe("/readyz on SQLite", () => {
  it("lists no etcd checks and is ready", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kpki-readyz-sqlite-"));
    const server = await startServer({ dataDir: dir, port: 0, log: () => undefined });
    const admin = await adminIdentity(dir);
    const client = apiClient(server.url, admin.caPem, admin.id);
    try {
      const r = await probe(client, "/readyz?verbose");
      assert.deepEqual([r.status, r.text], [200, "[+]ping ok\n[+]shutdown ok\nreadyz check passed\n"]);
    } finally {
      client.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("/readyz on etcd", { skip: !etcdAvailable() && "etcd is not installed", timeout: 120_000 }, () => {
  async function expectNotReady(client: ApiClient, what: string): Promise<void> {
    const r = await probe(client, "/readyz");
    process.stderr.write(`${what}: /readyz ${r.status} in ${r.ms} ms\n`);
    assert.equal(r.status, 500, `${what}: ${r.text}`);
    assert.ok(r.ms < 5000, `${what}: /readyz took ${r.ms} ms`);
    assert.match(r.text, /^\[\+\]ping ok\n\[-\]etcd failed: reason withheld\n\[-\]etcd-readiness failed: reason withheld\n\[\+\]shutdown ok\nreadyz check failed\n$/);
    const one = await probe(client, "/readyz/etcd");
    assert.equal(one.status, 500);
    assert.match(one.text, /^internal server error: .+/, "the single check names its reason");
    assert.equal((await probe(client, "/healthz")).status, 500, "/healthz has the etcd check, as kube-apiserver's");
    const live = await probe(client, "/livez");
    assert.deepEqual([live.status, live.text], [200, "ok"], `${what}: /livez stays ok`);
    assert.ok(live.ms < 1000, `/livez took ${live.ms} ms`);
  }

  async function expectReadyAgain(client: ApiClient, what: string): Promise<void> {
    const t0 = Date.now();
    await waitUntil(async () => (await probe(client, "/readyz")).status === 200, 30_000, `${what}: /readyz 200 again`);
    process.stderr.write(`${what}: /readyz 200 again after ${Date.now() - t0} ms\n`);
  }

  it("200 → etcd frozen: 500 within the deadline → thawed: 200; → killed: 500 → restarted: 200", async () => {
    const etcd: EtcdCluster = await startEtcd({ members: 1 });
    const logs: string[] = [];
    let server: RunningKpki | undefined;
    let client: ApiClient | undefined;
    const member = etcd.members[0]!;
    try {
      server = await startServer({ dataDir: etcd.dir, port: 0, storage: "etcd", etcd: { servers: etcd.endpoints }, log: (l) => void logs.push(l) });
      const admin = await adminIdentity(etcd.dir);
      client = apiClient(server.url, admin.caPem, admin.id);
      const ready = await probe(client, "/readyz?verbose");
      assert.deepEqual([ready.status, ready.text], [200, "[+]ping ok\n[+]etcd ok\n[+]etcd-readiness ok\n[+]shutdown ok\nreadyz check passed\n"]);
      assert.deepEqual([(await probe(client, "/readyz/etcd")).text, (await probe(client, "/livez?verbose")).text], ["ok", "[+]ping ok\nlivez check passed\n"]);

      await freezeMember(member); // frozen: connections stay open, nothing answers
      await expectNotReady(client, "etcd frozen");
      member.process?.kill("SIGCONT");
      await expectReadyAgain(client, "etcd thawed");

      await etcd.kill(0);
      await expectNotReady(client, "etcd killed");
      await etcd.restart(0);
      await expectReadyAgain(client, "etcd restarted");

      assert.ok(logs.some((l) => /^readyz: etcd check failing: /.test(l)), logs.join("\n"));
      assert.ok(logs.includes("readyz: etcd check ok again"), logs.join("\n"));
    } finally {
      member.process?.kill("SIGCONT");
      client?.close();
      await server?.close();
      await etcd.stop();
    }
  });
});
