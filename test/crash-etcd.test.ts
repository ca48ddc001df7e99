// Crash test (issue 5 §4), real processes only: a 3-member TLS etcd cluster, two `./bin/kpki serve
// --storage etcd` replicas, clients creating CSRs (openssl-made) and approving them through the
// /approval subresource, several in flight. Under that load: kill -9 the replica holding the
// controllers' Lease, then kill -9 etcd's raft leader. Afterwards: every acknowledged create exists,
// every approved CSR holds exactly one certificate and has exactly one live ledger entry (that same
// serial), no certificate was delivered twice, the survivor took the Lease over within its duration,
// and a `kubectl get csr -w` opened on the survivor before the kills saw every change.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listLedger, type LedgerRecord } from "../src/controllers/index.ts";
import { parseCertificatesPem } from "../src/pki/index.ts";
import { openEtcdBackend } from "../src/storage/etcd/index.ts";
import { etcdAvailable, startEtcd, type EtcdCluster } from "./helpers/etcd.ts";
import { waitUntil } from "./helpers/kpki.ts";
import { createKubectl, kubectlBinary } from "./helpers/kubectl.ts";
import {
  CSR_PATH, adminIdentity, apiClient, approve, csrObject, leaseHolder, opensslCsrs, spawnReplica, writeKubeconfig, type ApiClient, type Replica,
} from "./helpers/replicas.ts";

const SKIP = (!etcdAvailable() && "etcd is not installed") || (kubectlBinary() === undefined && "kubectl is not installed");
const LEASE_MS = 3000;
const ELECTION_FLAGS = ["--leader-elect-lease-duration", "3s", "--leader-elect-renew-deadline", "2s", "--leader-elect-retry-period", "500ms"];
const WORKERS = 6;

interface CsrView {
  metadata: { name: string; uid: string };
  status?: { certificate?: string; conditions?: { type: string }[] };
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Clients creating and approving CSRs until stopped; records what the API acknowledged (2xx). */
function startLoad(clients: () => ApiClient[], pems: readonly string[]): { stop(): Promise<void>; created: Set<string>; approved: Set<string> } {
  const created = new Set<string>();
  const approved = new Set<string>();
  let stopped = false;
  let seq = 0;
  const worker = async (w: number): Promise<void> => {
    while (!stopped) {
      const live = clients();
      const client = live[w % live.length] as ApiClient;
      const i = seq++;
      const name = `crash-${i}`;
      try {
        const r = await client.call("POST", CSR_PATH, csrObject(name, pems[i % pems.length] as string));
        if (r.status === 201) created.add(name);
        if (r.status === 201 && i % 5 !== 4 && (await approve(client, name)) === 200) approved.add(name); // 4 in 5 get approved
      } catch {
        await pause(20); // a killed replica: the next round picks a live one
      }
      await pause(30);
    }
  };
  const runs = Array.from({ length: WORKERS }, (_, w) => worker(w));
  return { created, approved, stop: async () => void ((stopped = true), await Promise.all(runs)) };
}

async function readLedger(etcd: EtcdCluster): Promise<LedgerRecord[]> {
  const backend = await openEtcdBackend({ endpoints: etcd.endpoints.filter((_, i) => etcd.members[i]?.process !== undefined), caPem: etcd.caPem, certPem: etcd.certPem, keyPem: etcd.keyPem, cache: false });
  try {
    return await listLedger(backend);
  } finally {
    await backend.close();
  }
}

const isApproved = (c: CsrView): boolean => (c.status?.conditions ?? []).some((x) => x.type === "Approved");

/** Every approved CSR holds exactly one certificate, no serial was delivered twice, and the ledger
 *  has exactly one live entry per delivered certificate (and none for undelivered ones). */
function checkIssuance(csrs: readonly CsrView[], ledger: readonly LedgerRecord[]): Map<string, string> {
  const delivered = new Map<string, string>(); // serial → CSR
  for (const c of csrs.filter(isApproved)) {
    const certs = parseCertificatesPem(Buffer.from(c.status?.certificate ?? "", "base64").toString());
    assert.equal(certs.length, 1, `${c.metadata.name} holds ${certs.length} certificates`);
    const serial = certs[0]!.serialHex;
    assert.ok(!delivered.has(serial), `serial ${serial} delivered to ${delivered.get(serial)} and ${c.metadata.name}`);
    delivered.set(serial, c.metadata.name);
  }
  const live = ledger.filter((r) => r.discarded === undefined);
  const liveByCsr = new Map<string, LedgerRecord[]>();
  for (const r of live) liveByCsr.set(r.csr.uid, [...(liveByCsr.get(r.csr.uid) ?? []), r]);
  for (const c of csrs.filter(isApproved)) {
    const entries = liveByCsr.get(c.metadata.uid) ?? [];
    assert.equal(entries.length, 1, `${c.metadata.name} has ${entries.length} live ledger entries`);
    assert.equal(delivered.get(entries[0]!.serial), c.metadata.name, `${c.metadata.name}'s ledger entry is not its certificate`);
  }
  assert.equal(live.length, delivered.size, "live ledger entries without a delivered certificate");
  return delivered;
}

/** The kubectl watch saw every acknowledged create (ADDED) and every approved CSR's issuance. */
async function checkWatch(watch: { lines(): string[]; stderr(): string }, load: { created: Set<string>; approved: Set<string> }): Promise<void> {
  const seen = (re: RegExp): boolean => watch.lines().some((l) => re.test(l));
  const issued = (n: string): boolean => seen(new RegExp(`^MODIFIED\\s+${n}\\s.*Approved,Issued`));
  await waitUntil(() => [...load.approved].every(issued), 10_000, "the watch to show every issuance").catch(() => undefined); // the assertion says which
  const notAdded = [...load.created].filter((n) => !seen(new RegExp(`^ADDED\\s+${n}\\s`)));
  const notIssued = [...load.approved].filter((n) => !issued(n));
  assert.deepEqual([notAdded, notIssued], [[], []], `the watch missed events; stderr: ${watch.stderr()}`);
}

describe("crash: kill -9 the leading kpki replica and an etcd member under load", { skip: SKIP, timeout: 90_000 }, () => {
  it("loses nothing acknowledged and signs every approved CSR exactly once", async () => {
    const etcd = await startEtcd({ members: 3 });
    const home = mkdtempSync(join(tmpdir(), "kpki-crash-"));
    const replicas: Replica[] = [];
    const clients = new Map<Replica, ApiClient>();
    let watch: ReturnType<ReturnType<typeof createKubectl>["spawn"]> | undefined;
    const kubectl = { cleanup: () => undefined as void } as { cleanup(): void };
    try {
      const [pems, a, b] = await Promise.all([opensslCsrs(40, "crash"), spawnReplica(etcd.dir, etcd, ELECTION_FLAGS), spawnReplica(etcd.dir, etcd, ELECTION_FLAGS)]);
      replicas.push(a, b);
      const admin = await adminIdentity(etcd.dir);
      for (const r of replicas) clients.set(r, apiClient(r.url, admin.caPem, admin.id, 8));
      let holder = "";
      await waitUntil(async () => [a.identity, b.identity].includes((holder = await leaseHolder(clients.get(a)!))), 10_000, "a replica to hold the lease");
      const leader = holder === a.identity ? a : b;
      const survivor = leader === a ? b : a;
      const sc = clients.get(survivor)!;

      // The watch opens on the survivor before anything is killed; a marker proves it is live.
      const k = createKubectl(writeKubeconfig(join(home, "survivor.conf"), survivor.url, admin));
      kubectl.cleanup = k.cleanup;
      watch = k.spawn(["get", "csr", "-w", "--output-watch-events"]);
      assert.equal((await sc.call("POST", CSR_PATH, csrObject("crash-watch-ready", pems[0]!))).status, 201);
      await waitUntil(() => watch!.lines().some((l) => /^ADDED\s+crash-watch-ready\s/.test(l)), 15_000, "the kubectl watch on the survivor");

      const alive = new Set(replicas);
      const load = startLoad(() => replicas.filter((r) => alive.has(r)).map((r) => clients.get(r)!), pems);
      await pause(1500);
      alive.delete(leader);
      await leader.kill();
      const killedAt = Date.now();
      let takeoverMs = -1; // when the survivor first shows as the holder, polled from the kill on
      const takeover = waitUntil(async () => (await leaseHolder(sc).catch(() => "")) === survivor.identity && ((takeoverMs = Date.now() - killedAt), true), 20_000, "the survivor to take the lease");
      await pause(1000);
      const raftLeader = await etcd.leaderIndex();
      await etcd.kill(raftLeader);
      await pause(3500);
      await load.stop();

      await takeover;
      // Within the lease duration, plus a retry period and etcd's own raft election (killed meanwhile).
      assert.ok(takeoverMs < LEASE_MS + 3000, `the survivor led only ${takeoverMs} ms after the kill`);
      assert.match(survivor.proc.stderr(), /became leader/);

      let csrs: CsrView[] = [];
      await waitUntil(async () => {
        const r = await sc.call("GET", CSR_PATH);
        csrs = r.status === 200 ? (r.body["items"] as CsrView[]) : [];
        return csrs.length > 0 && csrs.filter(isApproved).every((c) => (c.status?.certificate ?? "") !== "");
      }, 30_000, "every approved CSR to be issued");

      const byName = new Map(csrs.map((c) => [c.metadata.name, c]));
      const missing = [...load.created].filter((n) => !byName.has(n));
      assert.deepEqual(missing, [], "acknowledged creates that do not exist");
      const unapproved = [...load.approved].filter((n) => !isApproved(byName.get(n)!));
      assert.deepEqual(unapproved, [], "acknowledged approvals that did not stick");

      const ledger = await readLedger(etcd);
      const delivered = checkIssuance(csrs, ledger);
      await checkWatch(watch, load);
      assert.ok(load.created.size >= 50 && load.approved.size >= 30, `too little load: ${load.created.size} creates, ${load.approved.size} approvals`);
      const discarded = ledger.length - delivered.size;
      process.stderr.write(`crash-etcd: ${load.created.size} creates, ${load.approved.size} approvals acknowledged; ${delivered.size} issued; ` +
        `${discarded} voided ledger entries; lease taken over ${takeoverMs} ms after kill -9; etcd member m${raftLeader} (raft leader) killed\n`);
    } finally {
      await watch?.stop();
      for (const c of clients.values()) c.close();
      for (const r of replicas) await r.kill();
      kubectl.cleanup();
      rmSync(home, { recursive: true, force: true });
      await etcd.stop();
    }
  });
});
