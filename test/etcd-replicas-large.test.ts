// A replica joining an etcd that already holds more than gRPC's default 4 MiB message limit in one
// page: its watch cache must fill (relist) and it must serve reads and LISTs like the others.
// Regression: with @grpc/grpc-js's default max receive size (4 MiB) the cache's 5000-key relist page
// failed RESOURCE_EXHAUSTED and the replica answered 503 "circuit breaker is open"; storage/etcd now
// lifts the limit, as kube-apiserver sets the etcd client's MaxCallRecvMsgSize to math.MaxInt32.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { utf8 } from "../src/base/index.ts";
import { openEtcdBackend } from "../src/storage/etcd/index.ts";
import { startServer } from "../src/main/start-server.ts";
import { etcdAvailable, startEtcd } from "./helpers/etcd.ts";
import { adminIdentity, apiClient } from "./helpers/replicas.ts";

const KEYS = 5200;

describe("a replica joining a large etcd", { skip: !etcdAvailable() && "etcd is not installed" }, () => {
  it("fills its watch cache and serves every read", { timeout: 60_000 }, async () => {
    const etcd = await startEtcd({ members: 1 });
    const direct = await openEtcdBackend({ endpoints: etcd.endpoints, caPem: etcd.caPem, certPem: etcd.certPem, keyPem: etcd.keyPem, cache: false });
    let server: Awaited<ReturnType<typeof startServer>> | undefined;
    try {
      const pad = "x".repeat(1000);
      for (let i = 0; i < KEYS; i += 100) {
        await Promise.all(Array.from({ length: 100 }, (_, j) => {
          const name = `cm-${i + j}`;
          const obj = { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "big", uid: `u-${i + j}`, creationTimestamp: "2026-01-01T00:00:00Z" }, data: { pad } };
          return direct.create(`/registry/core/configmaps/big/${name}`, utf8(JSON.stringify(obj)));
        }));
      }
      server = await startServer({ dataDir: etcd.dir, port: 0, storage: "etcd", etcd: { servers: etcd.endpoints }, controllers: false, log: () => undefined });
      const admin = await adminIdentity(etcd.dir);
      const client = apiClient(server.url, admin.caPem, admin.id);
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 20; i++) statuses.push((await client.call("GET", `/api/v1/namespaces/big/configmaps/cm-${i * 97}`)).status);
        assert.deepEqual(statuses, Array.from({ length: 20 }, () => 200));
        const list = await client.call("GET", "/api/v1/namespaces/big/configmaps");
        assert.equal(list.status, 200, JSON.stringify(list.body).slice(0, 300));
        assert.equal((list.body["items"] as unknown[]).length, KEYS);
      } finally {
        client.close();
      }
    } finally {
      await server?.close();
      await direct.close();
      await etcd.stop();
    }
  });
});
