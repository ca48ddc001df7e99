// Several kpki replicas on one etcd (issue 5 §3): every replica serves reads, writes and watches
// of the same state (kubectl get -w on one sees kubectl create on another), the controllers run on
// the one replica holding the kube-system/kpki-controller-manager Lease, a CSR approved anywhere is
// signed exactly once, and when the leader stops another replica takes the Lease and signs.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listLedger } from "../src/controllers/index.ts";
import { openEtcdBackend } from "../src/storage/etcd/index.ts";
import { startServer, type RunningKpki } from "../src/main/start-server.ts";
import { etcdAvailable, startEtcd, type EtcdCluster } from "./helpers/etcd.ts";
import { waitUntil } from "./helpers/kpki.ts";
import { createKubectl, kubectlBinary, type Kubectl } from "./helpers/kubectl.ts";
import { CSR_PATH, adminIdentity, apiClient, approve, csrObject, leaseHolder, opensslCsr, writeKubeconfig, type ApiClient } from "./helpers/replicas.ts";

const SKIP = (!etcdAvailable() && "etcd is not installed") || (kubectlBinary() === undefined && "kubectl is not installed");
// Short durations keep the hand-over quick; the defaults (15 s / 10 s / 2 s) only change the timing.
const ELECTION = { leaseDurationMs: 2000, renewDeadlineMs: 1500, retryPeriodMs: 250 };

interface TestReplica {
  readonly server: RunningKpki;
  readonly client: ApiClient;
  readonly kubectl: Kubectl;
  readonly logs: string[];
  identity(): string;
}

describe("several kpki replicas on one etcd", { skip: SKIP }, () => {
  let etcd: EtcdCluster;
  let home: string;
  const replicas: TestReplica[] = [];

  before(async () => {
    etcd = await startEtcd({ members: 1 });
    home = mkdtempSync(join(tmpdir(), "kpki-replicas-"));
    // Every replica serves the same data dir (the etcd helper's `kpki init` layout): PKI shared,
    // state in etcd, no SQLite file (and so no SQLite lock) in etcd mode.
    for (let i = 0; i < 3; i++) {
      const logs: string[] = [];
      const server = await startServer({
        dataDir: etcd.dir, port: 0, storage: "etcd", etcd: { servers: etcd.endpoints }, leaderElection: ELECTION, log: (l) => void logs.push(l),
      });
      const admin = await adminIdentity(etcd.dir);
      const kubectl = createKubectl(writeKubeconfig(join(home, `r${i}.conf`), server.url, admin));
      const identity = (): string => /leader election: (\S+) campaigning/.exec(logs.join("\n"))?.[1] ?? "";
      replicas.push({ server, client: apiClient(server.url, admin.caPem, admin.id), kubectl, logs, identity });
    }
  });
  after(async () => {
    for (const r of replicas) {
      r.client.close();
      r.kubectl.cleanup();
      await r.server.close().catch(() => undefined);
    }
    rmSync(home, { recursive: true, force: true });
    await etcd?.stop();
  });

  const leader = async (among: readonly TestReplica[]): Promise<TestReplica> => {
    let holder = "";
    await waitUntil(async () => (holder = await leaseHolder(among[0]!.client)) !== "" && among.some((r) => r.identity() === holder), 10_000, "a lease holder");
    return among.find((r) => r.identity() === holder)!;
  };

  it("serves one state: a watch on one replica sees a create on another, reads agree", async () => {
    const [a, b, c] = replicas as [TestReplica, TestReplica, TestReplica];
    const watch = c.kubectl.spawn(["get", "namespaces", "-w", "--output-watch-events"]);
    try {
      await waitUntil(() => watch.lines().some((l) => /^ADDED\s+kube-system\s/.test(l)), 15_000, "the watch on replica C to list");
      const created = await a.kubectl(["create", "namespace", "made-on-a"]);
      assert.equal(created.code, 0, created.stderr);
      const seen = (): boolean => watch.lines().some((l) => /^ADDED\s+made-on-a\s+Active/.test(l));
      await waitUntil(seen, 10_000, "replica C's watch to see the namespace created on A").catch((err: unknown) => {
        throw new Error(`${String(err)}; the watch printed: ${JSON.stringify(watch.lines())} ${watch.stderr()}`);
      });
      await waitUntil(async () => (await b.client.call("GET", "/api/v1/namespaces/made-on-a")).status === 200, 5000, "replica B to read it");
      const got = await b.kubectl(["get", "namespace", "made-on-a", "-o", "name"]);
      assert.deepEqual([got.code, got.stdout], [0, "namespace/made-on-a\n"], got.stderr);
    } finally {
      await watch.stop();
    }
  });

  it("optimistic concurrency across replicas: GET + PUT with resourceVersion, retried on 409, loses no increment", async () => {
    // PUTs start from each replica's cached copy (kube's GuaranteedUpdate); one that is stale must
    // never let a PUT pinned to an old resourceVersion through.
    const [a, b] = replicas as [TestReplica, TestReplica];
    const path = "/api/v1/namespaces/default/configmaps/counter";
    assert.equal((await a.client.call("POST", "/api/v1/namespaces/default/configmaps", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "counter" }, data: { n: "0" } })).status, 201);
    let conflicts = 0;
    const bump = async (r: TestReplica): Promise<void> => {
      for (;;) {
        const cur = (await r.client.call("GET", path)).body as { metadata: Record<string, unknown>; data: { n: string } };
        const put = await r.client.call("PUT", path, { ...cur, data: { n: String(Number(cur.data.n) + 1) } });
        if (put.status === 200) return;
        assert.equal(put.status, 409, JSON.stringify(put.body));
        conflicts++;
      }
    };
    await Promise.all(Array.from({ length: 12 }, async (_, i) => {
      for (let k = 0; k < 5; k++) await bump(i % 2 === 0 ? a : b);
    }));
    const final = (await b.client.call("GET", path)).body as { data: { n: string } };
    assert.equal(final.data.n, "60", `${conflicts} conflicts retried`);
    assert.ok(conflicts > 0, "the clients did race");
  });

  it("runs the controllers on exactly one replica and signs a CSR approved on another once", async () => {
    const lead = await leader(replicas);
    const started = replicas.filter((r) => r.logs.some((l) => l.includes("became leader")));
    assert.deepEqual(started.map((r) => r.identity()), [lead.identity()], "only the lease holder started its controllers");
    const others = replicas.filter((r) => r !== lead) as [TestReplica, TestReplica];
    const pem = await opensslCsr("one-signature");
    assert.equal((await others[0].client.call("POST", CSR_PATH, csrObject("one-signature", pem))).status, 201);
    assert.equal(await approve(others[1].client, "one-signature"), 200);
    let cert = "";
    await waitUntil(async () => {
      const r = await others[0].client.call("GET", `${CSR_PATH}/one-signature`);
      cert = ((r.body["status"] as { certificate?: string } | undefined)?.certificate) ?? "";
      return cert !== "";
    }, 10_000, "the certificate");
    assert.equal(Buffer.from(cert, "base64").toString().match(/BEGIN CERTIFICATE/g)?.length, 1);
    const ledger = await ledgerFor(etcd, "one-signature");
    assert.equal(ledger.length, 1, "one ledger entry");
  });

  it("hands the lease to another replica when the leader stops; the new leader signs", async () => {
    const lead = await leader(replicas);
    const t0 = Date.now();
    await lead.server.close(); // graceful: the lease is released, no need to wait it out
    const rest = replicas.filter((r) => r !== lead);
    const next = await leader(rest);
    assert.ok(Date.now() - t0 < ELECTION.leaseDurationMs + 2000, `took over after ${Date.now() - t0} ms`);
    assert.ok(next.logs.some((l) => l.includes("became leader")));
    const pem = await opensslCsr("after-handover");
    assert.equal((await rest[0]!.client.call("POST", CSR_PATH, csrObject("after-handover", pem))).status, 201);
    assert.equal(await approve(rest[1]!.client, "after-handover"), 200);
    await waitUntil(async () => {
      const r = await rest[0]!.client.call("GET", `${CSR_PATH}/after-handover`);
      return (((r.body["status"] as { certificate?: string } | undefined)?.certificate) ?? "") !== "";
    }, 10_000, "the new leader to sign");
    assert.equal((await ledgerFor(etcd, "after-handover")).length, 1);
  });
});

async function ledgerFor(etcd: EtcdCluster, csrName: string): Promise<unknown[]> {
  const backend = await openEtcdBackend({ endpoints: etcd.endpoints, caPem: etcd.caPem, certPem: etcd.certPem, keyPem: etcd.keyPem, cache: false });
  try {
    return (await listLedger(backend)).filter((r) => r.csr.name === csrName && r.discarded === undefined);
  } finally {
    await backend.close();
  }
}
