// startControllers end to end on the memory backend: a CSR approved in storage gets issued, a kubelet
// client CSR is auto-approved and issued, and every namespace gets kube-root-ca.crt.
import { test } from "node:test";
import assert from "node:assert/strict";
import { csrCertificatePem } from "./../api/index.ts";
import type { Authorizer } from "../auth/index.ts";
import { encodeCertificatePem, parseCertificatesPem } from "../pki/index.ts";
import { builtInSigners, listLedger, startControllers } from "./index.ts";
import { approvedCondition, csrObject, memoryStores, testCa, testClock } from "./testing.ts";

async function until(cond: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await cond()) return;
    await new Promise((r) => setImmediate(r));
  }
  assert.fail("condition not reached");
}

test("startControllers: approve → issue, auto-approve kubelet client, publish root CA", async () => {
  const clock = testClock();
  const stores = memoryStores(clock);
  const ca = await testCa(clock);
  const authorizer: Authorizer = { authorize: async (a) => ({ verdict: a.subresource === "nodeclient" ? "allow" : "no-opinion", reason: "" }) };
  const ac = new AbortController();
  const running = startControllers(
    { stores, clock, signing: { signers: builtInSigners(ca.signer) }, rootCaPem: () => encodeCertificatePem(ca.root), authorizer, schedule: () => () => undefined },
    ac.signal,
  );
  await stores.namespaces.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: "default" } });
  const user = await stores.csrs.create(csrObject({ name: "minjun-csr", cn: "minjun", orgs: ["dev-team"] }));
  await stores.csrs.create(csrObject({ name: "node-csr", cn: "system:node:n1", orgs: ["system:nodes"], signerName: "kubernetes.io/kube-apiserver-client-kubelet", usages: ["digital signature", "client auth"], username: "system:bootstrap:abc", groups: ["system:bootstrappers"] }));
  await stores.csrs.update({ ...user, status: { conditions: [approvedCondition()] } });
  const issued = async (n: string) => ((await stores.csrs.get("", n))?.status?.certificate ?? "") !== "";
  await until(async () => (await issued("minjun-csr")) && (await issued("node-csr")));
  await until(async () => (await stores.configMaps.get("default", "kube-root-ca.crt")) !== undefined);
  const cert = parseCertificatesPem(csrCertificatePem((await stores.csrs.get("", "node-csr"))!))[0]!;
  assert.equal(cert.subject.attributes[0]?.value, "system:node:n1");
  assert.equal((await listLedger(stores.backend)).length, 2);
  ac.abort();
  await running;
});

test("runReconcilers: one watch feeds every reconciler; wants() keeps no-op events out of a queue", async () => {
  const { runReconcilers } = await import("./index.ts");
  const clock = testClock();
  const stores = memoryStores(clock);
  const seen: Record<"picky" | "all", string[]> = { picky: [], all: [] };
  const mk = (name: "picky" | "all", wants?: (o: { metadata: { name?: string } }) => boolean) => ({
    name,
    ...(wants ? { wants } : {}),
    reconcile: async (o: { metadata: { name?: string } }) => void seen[name].push(o.metadata.name ?? ""),
  });
  const ac = new AbortController();
  const running = runReconcilers(stores.csrs, [mk("picky", (o) => (o.metadata.name ?? "").startsWith("a-")), mk("all")], { logger: { info: () => undefined, warn: () => undefined, error: () => undefined } }, ac.signal);
  await stores.csrs.create(csrObject({ name: "x", cn: "x" }));
  await stores.csrs.create(csrObject({ name: "a-1", cn: "a" }));
  await until(async () => seen.picky.length > 0 && seen.all.length === 2);
  // FIFO: had "x" been queued for picky, picky would have reconciled it before "a-1".
  assert.deepEqual(seen.picky, ["a-1"]);
  assert.deepEqual(seen.all, ["x", "a-1"]);
  ac.abort();
  await running;
});
