// A revocation written through one replica is refused by another on the same etcd (the revoked set
// follows the backend's watch), on a connection that replica had already authenticated.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { issueClientCert } from "./helpers/certs.ts";
import { etcdAvailable, startEtcd, type EtcdCluster } from "./helpers/etcd.ts";
import { startTestServer, waitUntil, type TestServer } from "./helpers/kpki.ts";
import { adminIdentity, apiClient, type ApiClient } from "./helpers/replicas.ts";

describe("revocation across replicas on etcd", { skip: !etcdAvailable() && "etcd is not installed" }, () => {
  let etcd: EtcdCluster;
  const servers: TestServer[] = [];
  const clients: ApiClient[] = [];
  before(async () => {
    etcd = await startEtcd({ members: 1 });
  });
  after(async () => {
    for (const c of clients) c.close();
    for (const s of servers) await s.close();
    await etcd.stop();
  });

  it("revoked on replica A → refused by replica B on its next request; others still served", async (t) => {
    if (etcd.certSource !== "kpki init") return t.skip("the etcd helper fell back to openssl certificates (no kpki init layout)");
    const opts = { dataDir: etcd.dir, storage: "etcd" as const, etcd: { servers: etcd.endpoints } };
    servers.push(await startTestServer(opts), await startTestServer(opts));
    const [a, b] = servers as [TestServer, TestServer];
    const admin = await adminIdentity(etcd.dir);
    const ca = { certPem: admin.caPem, keyPem: b.ca.keyPem };
    const [alice, bob] = [await issueClientCert(ca, { cn: "alice" }), await issueClientCert(ca, { cn: "bob" })];
    const onA = apiClient(a.url, admin.caPem, admin.id, 1);
    const aliceOnB = apiClient(b.url, admin.caPem, alice, 1);
    const bobOnB = apiClient(b.url, admin.caPem, bob, 1);
    clients.push(onA, aliceOnB, bobOnB);
    assert.equal((await aliceOnB.call("GET", "/api")).status, 200);
    const revoked = await onA.call("POST", "/kpki/revocations", { certificate: alice.certPem, reason: "keyCompromise" });
    assert.equal(revoked.status, 201, JSON.stringify(revoked.body));
    // Propagation is one etcd watch event: poll B (I/O, not logic) until it refuses alice.
    await waitUntil(async () => (await aliceOnB.call("GET", "/api")).status === 401, 10_000, "replica B to refuse the revoked certificate");
    assert.equal((await bobOnB.call("GET", "/api")).status, 200);
    const onB = apiClient(b.url, admin.caPem, admin.id, 1);
    clients.push(onB);
    const again = await onB.call("POST", "/kpki/revocations", { certificate: alice.certPem });
    assert.deepEqual([again.status, again.body["outcome"]], [200, "already-revoked"]);
  });
});
