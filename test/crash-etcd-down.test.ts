// What a user sees when etcd is down (issue 5 §5): kubectl gets a 503 ServiceUnavailable Status
// naming etcd promptly — no hang — and the same running kpki works again, without a restart, once
// etcd is back. One etcd member is killed -9 under a running `./bin/kpki serve --storage etcd`.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { etcdAvailable, startEtcd } from "./helpers/etcd.ts";
import { waitUntil } from "./helpers/kpki.ts";
import { createKubectl, kubectlBinary } from "./helpers/kubectl.ts";
import { adminIdentity, apiClient, spawnReplica, writeKubeconfig, type Replica } from "./helpers/replicas.ts";

const SKIP = (!etcdAvailable() && "etcd is not installed") || (kubectlBinary() === undefined && "kubectl is not installed");

describe("etcd down under a running kpki", { skip: SKIP, timeout: 90_000 }, () => {
  it("answers 503 naming etcd promptly and recovers without a restart", async () => {
    const etcd = await startEtcd({ members: 1 });
    const home = mkdtempSync(join(tmpdir(), "kpki-etcd-down-"));
    let replica: Replica | undefined;
    const k = { cleanup: (): void => undefined };
    try {
      replica = await spawnReplica(etcd.dir, etcd);
      const admin = await adminIdentity(etcd.dir);
      const kubectl = createKubectl(writeKubeconfig(join(home, "admin.conf"), replica.url, admin));
      k.cleanup = kubectl.cleanup;
      const ok = await kubectl(["get", "ns", "-o", "name"]);
      assert.equal(ok.code, 0, ok.stderr);

      await etcd.kill(0);
      // Reads and writes both fail with the Status kpki sends (kubectl prints its reason and message).
      for (const args of [["get", "ns"], ["create", "namespace", "while-down"]]) {
        const t0 = Date.now();
        const down = await kubectl(args, { timeoutMs: 20_000 });
        const ms = Date.now() - t0;
        assert.notEqual(down.code, 0, `kubectl ${args.join(" ")} succeeded with etcd down`);
        assert.match(down.stderr, /Error from server \(ServiceUnavailable\): .*etcd/, `kubectl ${args.join(" ")}`);
        assert.ok(ms < 10_000, `kubectl ${args.join(" ")} took ${ms} ms to fail`);
        process.stderr.write(`etcd down: kubectl ${args.join(" ")} failed in ${ms} ms: ${down.stderr.trim()}\n`);
      }
      // The raw Status too: 503, reason ServiceUnavailable, one-line message.
      const client = apiClient(replica.url, admin.caPem, admin.id);
      try {
        const r = await client.call("GET", "/api/v1/namespaces/default/configmaps");
        assert.deepEqual([r.status, r.body["kind"], r.body["reason"], r.body["code"]], [503, "Status", "ServiceUnavailable", 503]);
        assert.match(String(r.body["message"]), /^[^\n]*etcd[^\n]*$/);
        // What needs no storage keeps answering: discovery and /version (kubectl's first requests).
        assert.equal((await client.call("GET", "/version")).status, 200);
        assert.equal((await client.call("GET", "/apis/certificates.k8s.io/v1")).status, 200);
      } finally {
        client.close();
      }

      await etcd.restart(0);
      let back = await kubectl(["create", "namespace", "after-outage"]);
      await waitUntil(async () => back.code === 0 || ((back = await kubectl(["create", "namespace", "after-outage"])).code === 0), 20_000, "kpki to recover").catch(() => undefined);
      assert.equal(back.code, 0, back.stderr);
      const got = await kubectl(["get", "namespace", "after-outage", "-o", "name"]);
      assert.deepEqual([got.code, got.stdout], [0, "namespace/after-outage\n"], got.stderr);
      assert.equal(replica.proc.child.exitCode, null, "the same kpki process served throughout");
      // The server's log names the outage in one line per 10 s, not a stack trace per request.
      assert.match(replica.proc.stderr(), /storage unavailable, answering 503: .*etcd/);
      assert.doesNotMatch(replica.proc.stderr(), /internal error/);
    } finally {
      await replica?.kill();
      k.cleanup();
      rmSync(home, { recursive: true, force: true });
      await etcd.stop();
    }
  });
});
