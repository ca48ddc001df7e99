// The csrsigning controller with several workers (kube-controller-manager runs 5) and two replicas
// racing over one storage — no leader election, the worst case of an overlap between two leaders:
// every approved CSR ends with exactly one certificate, written once and never replaced, and exactly
// one live ledger entry (that certificate's serial); a losing replica's signatures are DISCARDED.
// Run on the memory backend (one shared backend) and on a real etcd (one connection + watch cache
// per replica, as two `kpki serve` processes have).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { csrCertificatePem, type CertificateSigningRequest } from "../src/api/index.ts";
import type { Authorizer } from "../src/auth/index.ts";
import { CSR_WORKERS, LEDGER_PREFIX, builtInSigners, listLedger, startControllers } from "../src/controllers/index.ts";
import { approvedCondition, csrObject, testCa, testClock } from "../src/controllers/testing.ts";
import { parseCertificatesPem } from "../src/pki/index.ts";
import { createMemoryBackend, createStore, type StorageBackend, type Store } from "../src/storage/index.ts";
import { openEtcdBackend } from "../src/storage/etcd/index.ts";
import { seededRandom } from "../src/base/index.ts";
import { etcdAvailable, startEtcd } from "./helpers/etcd.ts";
import { waitUntil } from "./helpers/kpki.ts";

const CSRS = 40;
const noAuthz: Authorizer = { authorize: async () => ({ verdict: "no-opinion", reason: "" }) };

/** A backend whose creates (the ledger records) are counted while in flight: more than one at a
 *  time shows the workers overlapping their storage round trips. */
function countingBackend(inner: StorageBackend): { backend: StorageBackend; peak(): number } {
  let inFlight = 0;
  let peak = 0;
  const backend: StorageBackend = {
    get: (k) => inner.get(k),
    list: (p, o) => inner.list(p, o),
    create: async (k, v) => {
      if (!k.startsWith(LEDGER_PREFIX)) return inner.create(k, v);
      peak = Math.max(peak, ++inFlight);
      try {
        return await inner.create(k, v);
      } finally {
        inFlight--;
      }
    },
    update: (k, v, r) => inner.update(k, v, r),
    delete: (k, r) => inner.delete(k, r),
    watch: (p, r, s) => inner.watch(p, r, s),
    currentRevision: () => inner.currentRevision(),
    close: () => inner.close(),
  };
  return { backend, peak: () => peak };
}

function storesOn(backend: StorageBackend, seed: number) {
  const o = { clock: testClock(), random: seededRandom(seed) };
  return {
    backend,
    csrs: createStore<CertificateSigningRequest>(backend, { namespaced: false, group: "certificates.k8s.io", resource: "certificatesigningrequests" }, o),
    namespaces: createStore(backend, { namespaced: false, group: "", resource: "namespaces" }, o),
    configMaps: createStore(backend, { namespaced: true, group: "", resource: "configmaps" }, o),
  };
}

/** Every certificate value each CSR's watch events carried (a second distinct value = re-delivery). */
function recordCertificates(csrs: Store<CertificateSigningRequest>, signal: AbortSignal): Map<string, Set<string>> {
  const seen = new Map<string, Set<string>>();
  void (async () => {
    for await (const ev of csrs.watch({ signal, resourceVersion: "" })) {
      if (ev.type !== "ADDED" && ev.type !== "MODIFIED") continue;
      const cert = ev.object.status?.certificate ?? "";
      if (cert === "") continue;
      const name = ev.object.metadata.name ?? "";
      seen.set(name, (seen.get(name) ?? new Set()).add(cert));
    }
  })().catch(() => undefined);
  return seen;
}

async function race(backends: readonly StorageBackend[]): Promise<{ peak: number; discarded: number }> {
  const clock = testClock();
  const ca = await testCa(clock);
  const signers = builtInSigners(ca.signer); // one CA key shared by both replicas, as on disk
  const counted = backends.map(countingBackend);
  const replicas = counted.map((c, i) => storesOn(c.backend, 10 + i));
  const ac = new AbortController();
  const certs = recordCertificates(replicas[0]!.csrs, ac.signal);
  const runs = replicas.map((stores) =>
    startControllers({ stores, clock, signing: { signers }, rootCaPem: () => "", authorizer: noAuthz, enabled: ["csrsigning"] }, ac.signal),
  );
  try {
    const names = Array.from({ length: CSRS }, (_, i) => `race-${i}`);
    // Created already approved, alternately through each replica's store.
    await Promise.all(names.map((name, i) => replicas[i % replicas.length]!.csrs.create({ ...csrObject({ name, cn: name }), status: { conditions: [approvedCondition()] } })));
    const store = replicas[0]!.csrs;
    const issued = async (): Promise<number> => (await store.list()).items.filter((c) => (c.status?.certificate ?? "") !== "").length;
    await waitUntil(async () => (await issued()) === CSRS, 30_000, `${CSRS} certificates`);
    await waitUntil(() => certs.size === CSRS, 10_000, "the watch to see every certificate");
    // Stopping waits for reconciles in flight: a loser between its failed status write and its
    // DISCARDED record finishes first, so the ledger below is final.
    ac.abort();
    await Promise.all(runs);

    const ledger = await listLedger(backends[0]!);
    const live = ledger.filter((r) => r.discarded === undefined);
    assert.equal(new Set(ledger.map((r) => r.serial)).size, ledger.length, "a serial is never reused");
    for (const name of names) {
      const csr = await store.get("", name);
      const delivered = parseCertificatesPem(csrCertificatePem(csr!))[0]!;
      assert.equal(certs.get(name)?.size, 1, `${name}: status.certificate written once, never replaced`);
      const mine = live.filter((r) => r.csr.name === name);
      assert.deepEqual(mine.map((r) => r.serial), [delivered.serialHex], `${name}: exactly one live ledger entry, the delivered serial`);
    }
    assert.equal(live.length, CSRS);
    return { peak: Math.max(...counted.map((c) => c.peak())), discarded: ledger.length - live.length };
  } finally {
    ac.abort();
    await Promise.all(runs);
  }
}

describe("csrsigning with several workers and two racing replicas", { timeout: 120_000 }, () => {
  it(`uses ${CSR_WORKERS} workers by default, as kube-controller-manager does`, () => {
    assert.equal(CSR_WORKERS, 5);
  });

  it("memory backend: one certificate and one live ledger entry per CSR", async () => {
    const backend = createMemoryBackend();
    const r = await race([backend, backend]);
    process.stderr.write(`memory: peak ${r.peak} ledger writes in flight, ${r.discarded} losing signatures discarded\n`);
  });

  it("etcd: one certificate and one live ledger entry per CSR; workers overlap their round trips", { skip: !etcdAvailable() && "etcd is not installed" }, async () => {
    const etcd = await startEtcd({ members: 1 });
    const backends: StorageBackend[] = [];
    try {
      for (let i = 0; i < 2; i++) backends.push(await openEtcdBackend({ endpoints: etcd.endpoints, caPem: etcd.caPem, certPem: etcd.certPem, keyPem: etcd.keyPem }));
      const r = await race(backends);
      process.stderr.write(`etcd: peak ${r.peak} ledger writes in flight, ${r.discarded} losing signatures discarded\n`);
      assert.ok(r.peak > 1, `the ${CSR_WORKERS} workers never had two etcd writes in flight (peak ${r.peak})`);
    } finally {
      for (const b of backends) await b.close();
      await etcd.stop();
    }
  });
});
