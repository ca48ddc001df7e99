// The leader-only wiring of kpki serve: the --leader-elect* flags, campaigning (or not) before the
// controllers run, clearing a dead process's Lease on single-writer storage, the takeover ledger
// sweep, and the leader-run ClusterRole aggregation. Memory backend, fake clock and sleeps.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { fixedClock, seededRandom } from "../base/index.ts";
import { createRootCa } from "../ca/index.ts";
import { CliError } from "../cli/index.ts";
import { LEASE_RESOURCE, LEDGER_PREFIX, listLedger, recordIssued, type Lease, type LedgerEntry } from "../controllers/index.ts";
import type { CertificateSigningRequest } from "../api/index.ts";
import { encodeCertificatePem, generateKeyPair, makeDn } from "../pki/index.ts";
import { createMemoryBackend, createStore, type StorageBackend, type Store } from "../storage/index.ts";
import { electionIdentity, runWhileLeading } from "./leader.ts";
import { leaderElectionFlags } from "./leader-flags.ts";
import { serveOptions } from "./serve.ts";
import { voidUndelivered } from "./leader-ledger.ts";
import { runClusterRoleAggregation } from "./leader-aggregation.ts";

const clock = fixedClock("2026-01-01T00:00:00Z");
const random = seededRandom(7);

describe("--leader-elect flags", () => {
  it("parses kube-controller-manager's names and defaults", () => {
    assert.equal(leaderElectionFlags({ "data-dir": "/d" }), undefined);
    assert.deepEqual(leaderElectionFlags({ "leader-elect": "false" })?.enabled, false);
    const f = leaderElectionFlags({ "leader-elect-lease-duration": "4s", "leader-elect-renew-deadline": "3s", "leader-elect-retry-period": "500ms", "leader-elect-resource-name": "x" });
    assert.deepEqual([f?.enabled, f?.leaseDurationMs, f?.renewDeadlineMs, f?.retryPeriodMs, f?.name, f?.namespace], [true, 4000, 3000, 500, "x", undefined]);
    assert.equal(serveOptions({ "data-dir": "/d", "leader-elect": "false" }).leaderElection?.enabled, false, "kpki serve passes them on");
    assert.equal(serveOptions({ "data-dir": "/d" }).leaderElection, undefined);
  });
  const bad: [Record<string, string>, RegExp][] = [
    [{ "leader-elect": "yes" }, /--leader-elect must be true or false/],
    [{ "leader-elect-lease-duration": "soon" }, /--leader-elect-lease-duration must be a duration/],
    [{ "leader-elect-lease-duration": "10s" }, /lease-duration must be greater than --leader-elect-renew-deadline/],
    [{ "leader-elect-retry-period": "9s" }, /renew-deadline must be greater than 1.2/],
  ];
  for (const [values, message] of bad) {
    it(`refuses ${JSON.stringify(values)}`, () => {
      assert.throws(() => leaderElectionFlags(values), (e: unknown) => e instanceof CliError && e.code === "usage" && message.test(e.message));
    });
  }
});

function leases(backend: StorageBackend): Store<Lease> {
  return createStore<Lease>(backend, LEASE_RESOURCE, { clock, random });
}

const staleLease = (holder: string): Lease => ({
  apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name: "kpki-controller-manager", namespace: "kube-system" },
  spec: { holderIdentity: holder, leaseDurationSeconds: 15, renewTime: "2026-01-01T00:00:00.000000Z", acquireTime: "2026-01-01T00:00:00.000000Z", leaseTransitions: 0 },
});

describe("runWhileLeading", () => {
  /** Runs one election round: the work records that it ran; a wait before leading (a failed acquire) stops it all. */
  async function round(store: Store<Lease>, o: { soleWriter: boolean; enabled?: boolean }): Promise<{ ran: boolean; waited: boolean }> {
    const ac = new AbortController();
    const out = { ran: false, waited: false };
    const work = async (signal: AbortSignal): Promise<void> => {
      out.ran = true;
      assert.equal(signal.aborted, false);
      ac.abort(); // stop right away: this test is about whether the work started
    };
    const sleep = async (): Promise<void> => {
      if (out.ran) return; // the leader's renew loop waiting between renewals
      out.waited = true;
      ac.abort();
    };
    const flags = o.enabled === undefined ? {} : { enabled: o.enabled };
    await runWhileLeading({ leases: store, flags, identity: electionIdentity(random, "host"), clock, soleWriter: o.soleWriter, log: () => undefined, sleep }, work, ac.signal);
    return out;
  }

  it("leads at once on a fresh store and releases the lease on stop", async () => {
    const store = leases(createMemoryBackend({ clock }));
    assert.deepEqual(await round(store, { soleWriter: false }), { ran: true, waited: false });
    assert.equal((await store.get("kube-system", "kpki-controller-manager"))?.spec?.holderIdentity, "", "released");
  });

  it("waits out a live holder's lease on shared storage, but takes a dead process's lease at once on sole-writer storage", async () => {
    const shared = leases(createMemoryBackend({ clock }));
    await shared.create(staleLease("other-replica_1"));
    assert.deepEqual(await round(shared, { soleWriter: false }), { ran: false, waited: true });
    const sqliteLike = leases(createMemoryBackend({ clock }));
    await sqliteLike.create(staleLease("killed-process_1"));
    assert.deepEqual(await round(sqliteLike, { soleWriter: true }), { ran: true, waited: false });
  });

  it("runs the work without a lease when --leader-elect=false", async () => {
    const store = leases(createMemoryBackend({ clock }));
    await store.create(staleLease("other-replica_1"));
    assert.deepEqual(await round(store, { soleWriter: false, enabled: false }), { ran: true, waited: false });
  });

  it("names the replica hostname_random", () => {
    assert.match(electionIdentity(seededRandom(1), "node-a"), /^node-a_[0-9a-f]{16}$/);
  });
});

async function certificate(cn: string): Promise<{ pem: string; serial: string }> {
  const cert = await createRootCa({ subject: makeDn([{ type: "CN", value: cn }]), key: generateKeyPair({ kind: "ecdsa", curve: "P-256" }), validityMs: 86_400_000, clock, random });
  return { pem: encodeCertificatePem(cert), serial: cert.serialHex };
}

function entry(serial: string, csr: CertificateSigningRequest): LedgerEntry {
  return {
    serial, sha256: "", subject: "", sans: { dns: [], ip: [], email: [], uri: [] }, signerName: csr.spec.signerName, issuer: "", usages: [],
    requester: { username: "u", groups: [] }, approver: { reason: "", message: "" }, notBefore: "", notAfter: "", issuedAt: "2026-01-01T00:00:00Z",
    csr: { name: csr.metadata.name ?? "", uid: csr.metadata.uid ?? "" },
  };
}

describe("voidUndelivered (takeover ledger sweep)", () => {
  it("voids entries whose CSR holds no certificate or another one, and nothing else", async () => {
    const backend = createMemoryBackend({ clock });
    const csrs = createStore<CertificateSigningRequest>(backend, { group: "certificates.k8s.io", resource: "certificatesigningrequests", namespaced: false, apiVersion: "certificates.k8s.io/v1", kind: "CertificateSigningRequest" }, { clock, random });
    const make = async (name: string, certPem?: string): Promise<CertificateSigningRequest> =>
      csrs.create({
        apiVersion: "certificates.k8s.io/v1", kind: "CertificateSigningRequest", metadata: { name },
        spec: { request: "", signerName: "kubernetes.io/kube-apiserver-client", usages: ["client auth"] },
        ...(certPem ? { status: { certificate: Buffer.from(certPem).toString("base64") } } : {}),
      });
    const [delivered, orphan, loser, gone] = await Promise.all(["delivered", "orphan", "loser", "gone"].map(certificate)) as [{ pem: string; serial: string }, { pem: string; serial: string }, { pem: string; serial: string }, { pem: string; serial: string }];
    const issued = await make("issued", delivered.pem);
    const pending = await make("pending");
    await recordIssued(backend, entry(delivered.serial, issued)); // delivered: stays live
    await recordIssued(backend, entry(loser.serial, issued)); // lost to `delivered`: void
    await recordIssued(backend, entry(orphan.serial, pending)); // signer died before the status write: void
    const deleted = { ...pending, metadata: { ...pending.metadata, name: "deleted", uid: "no-such-uid" } };
    await recordIssued(backend, entry(gone.serial, deleted)); // CSR gone: left alone
    assert.deepEqual((await voidUndelivered(backend, csrs, clock)).sort(), [loser.serial, orphan.serial].sort());
    const live = (await listLedger(backend)).filter((r) => r.discarded === undefined).map((r) => r.serial).sort();
    assert.deepEqual(live, [delivered.serial, gone.serial].sort());
    assert.deepEqual(await voidUndelivered(backend, csrs, clock), [], "idempotent");
    assert.ok((await backend.list(LEDGER_PREFIX)).items.length === 4, "the ledger itself is append-only");
  });
});

describe("runClusterRoleAggregation", () => {
  it("aggregates selected roles' rules while leading and writes nothing after its signal aborts", async () => {
    const backend = createMemoryBackend({ clock });
    const roles = createStore(backend, { group: "rbac.authorization.k8s.io", resource: "clusterroles", namespaced: false, apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole" }, { clock, random });
    const role = (name: string, extra: Record<string, unknown>) => ({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name, labels: { "agg": name === "agg" ? "no" : "yes" } }, ...extra });
    await roles.create(role("agg", { aggregationRule: { clusterRoleSelectors: [{ matchLabels: { agg: "yes" } }] }, rules: [] }));
    await roles.create(role("a", { rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get"] }] }));
    const ac = new AbortController();
    const logs: string[] = [];
    const running = runClusterRoleAggregation(roles, ac.signal, (l) => void logs.push(l));
    const rulesOf = async (): Promise<unknown> => (await roles.get("", "agg"))?.["rules"];
    for await (const ev of roles.watch({ resourceVersion: "", signal: ac.signal })) {
      if (ev.object.metadata.name === "agg" && JSON.stringify(ev.object["rules"]) !== "[]") break;
    }
    assert.deepEqual(await rulesOf(), [{ apiGroups: [""], resources: ["pods"], verbs: ["get"] }]);
    ac.abort();
    await running;
    await roles.create(role("b", { rules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["list"] }] }));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(await rulesOf(), [{ apiGroups: [""], resources: ["pods"], verbs: ["get"] }], "no aggregation after leadership ended");
    assert.deepEqual(logs, []);
  });
});

