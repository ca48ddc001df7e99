// kpki serve --storage etcd: the same API server on a real etcd (Debian's etcd, mTLS with the
// apiserver-etcd-client certificate that `kpki init` wrote): kubectl writes survive a server restart.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { etcdAvailable, startEtcd, type EtcdCluster } from "./helpers/etcd.ts";
import { startTestServer } from "./helpers/kpki.ts";
import { createKubectl, kubectlBinary } from "./helpers/kubectl.ts";

const SKIP = (!etcdAvailable() && "etcd is not installed") || (kubectlBinary() === undefined && "kubectl is not installed");

describe("kpki serve --storage etcd", { skip: SKIP }, () => {
  let etcd: EtcdCluster;
  before(async () => {
    etcd = await startEtcd({ members: 1 });
  });
  after(() => etcd.stop());

  it("serves kubectl from etcd and keeps state across a restart", async (t) => {
    if (etcd.certSource !== "kpki init") return t.skip("the etcd helper fell back to openssl certificates (no kpki init layout)");
    // The etcd helper's directory is a `kpki init` layout: serve reuses its PKI (pki/etcd/ca.crt,
    // pki/apiserver-etcd-client.*) with the default file names.
    const opts = { dataDir: etcd.dir, storage: "etcd" as const, etcd: { servers: etcd.endpoints } };
    const first = await startTestServer(opts);
    const k = createKubectl(first.adminConf);
    try {
      const created = await k(["create", "namespace", "in-etcd"]);
      assert.equal(created.code, 0, created.stderr);
      await first.close();
      const second = await startTestServer(opts);
      try {
        const ns = await k(["get", "namespace", "in-etcd", "-o", "name"]);
        assert.deepEqual([ns.code, ns.stdout], [0, "namespace/in-etcd\n"], ns.stderr);
        const defaults = await k(["get", "namespaces", "-o", "name"]);
        assert.match(defaults.stdout, /^namespace\/kube-system$/m);
      } finally {
        await second.close();
      }
    } finally {
      k.cleanup();
    }
  });
});
