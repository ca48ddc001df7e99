// csrcleaner timings (§9) with a fixed clock.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { CertificateSigningRequest, CertificateSigningRequestCondition } from "../../api/index.ts";
import { HOUR, MINUTE } from "../../base/index.ts";
import { createSigningController } from "../csr-signing/controller.ts";
import { approvedCondition, csrObject, memoryStores, testCa, testClock, T0 } from "../testing.ts";
import { cleanOnce, cleaningReason } from "./cleaner.ts";

const at = (ms: number) => new Date(Date.parse(T0) + ms);
const iso = (ms: number) => `${at(ms).toISOString().slice(0, 19)}Z`;
const withConds = (name: string, conditions: CertificateSigningRequestCondition[], certificate?: string): CertificateSigningRequest => ({
  ...csrObject({ name, cn: "u" }),
  metadata: { name, creationTimestamp: iso(0) },
  status: { conditions, ...(certificate ? { certificate } : {}) },
});

const CASES: { name: string; obj: CertificateSigningRequest; nowMs: number; want: string | undefined }[] = [
  { name: "pending 23h", obj: withConds("p", []), nowMs: 23 * HOUR, want: undefined },
  { name: "pending 24h+1s", obj: withConds("p", []), nowMs: 24 * HOUR + 1000, want: 'Cleaning CSR "p" as it is more than 24h0m0s old and unhandled.' },
  { name: "denied 59m", obj: withConds("d", [{ type: "Denied", status: "True", lastUpdateTime: iso(0) }]), nowMs: 59 * MINUTE, want: undefined },
  { name: "denied 61m", obj: withConds("d", [{ type: "Denied", status: "True", lastUpdateTime: iso(0) }]), nowMs: 61 * MINUTE, want: 'Cleaning CSR "d" as it is more than 1h0m0s old and denied.' },
  { name: "failed 61m", obj: withConds("f", [{ type: "Failed", status: "True", lastUpdateTime: iso(0) }]), nowMs: 61 * MINUTE, want: 'Cleaning CSR "f" as it is more than 1h0m0s old and failed.' },
  { name: "denied without lastUpdateTime never", obj: withConds("d", [{ type: "Denied", status: "True" }]), nowMs: 100 * HOUR, want: undefined },
  { name: "approved, not issued, 2h", obj: withConds("a", [approvedCondition(iso(0))]), nowMs: 2 * HOUR, want: undefined },
];

for (const c of CASES) {
  test(`cleaner: ${c.name}`, () => assert.equal(cleaningReason(c.obj, at(c.nowMs)), c.want));
}

test("cleaner: rule order on a real issued certificate", async () => {
  const clock = testClock();
  const stores = memoryStores(clock);
  const ca = await testCa(clock);
  const signer = createSigningController({ store: stores.csrs, signers: new Map([["kubernetes.io/kube-apiserver-client", ca.signer]]), ledger: stores.backend, clock });
  const obj = await stores.csrs.create({ ...csrObject({ name: "issued", cn: "u", expirationSeconds: 7200 }), status: { conditions: [approvedCondition(iso(0))] } });
  await signer.reconcile(obj, new AbortController().signal);
  await stores.csrs.create(withConds("young", []));
  clock.advance(30 * MINUTE);
  assert.deepEqual(await cleanOnce(stores.csrs, clock), []);
  clock.advance(31 * MINUTE);
  assert.deepEqual(await cleanOnce(stores.csrs, clock), ["issued"]);
  assert.ok((await stores.csrs.get("", "young")) !== undefined);
  assert.equal((await stores.backend.list("/kpki/ledger/cert/")).items.length, 1, "the ledger outlives the CSR");
});

test("cleaner: expired certificate removes an issued CSR even when approval is recent", async () => {
  const clock = testClock();
  const stores = memoryStores(clock);
  const ca = await testCa(clock);
  const signer = createSigningController({ store: stores.csrs, signers: new Map([["kubernetes.io/kube-apiserver-client", ca.signer]]), ledger: stores.backend, clock });
  const obj = await stores.csrs.create({ ...csrObject({ name: "short", cn: "u", expirationSeconds: 600 }), status: { conditions: [approvedCondition(iso(0))] } });
  await signer.reconcile(obj, new AbortController().signal);
  const issued = (await stores.csrs.get("", "short"))!;
  assert.equal(cleaningReason(issued, at(5 * MINUTE)), undefined);
  assert.equal(cleaningReason(issued, at(11 * MINUTE)), 'Cleaning CSR "short" as the associated certificate is expired.');
});
