// The official @kubernetes/client-node (what Node automation uses) against kpki: list, create,
// read back, a watch event and a typed 404, all over mTLS with admin.conf's identity.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as k8s from "@kubernetes/client-node";
import { startTestServer, type TestServer } from "./helpers/kpki.ts";

describe("@kubernetes/client-node against kpki", () => {
  let server: TestServer;
  let kc: k8s.KubeConfig;
  before(async () => {
    server = await startTestServer();
    kc = new k8s.KubeConfig();
    kc.loadFromFile(server.adminConf);
  });
  after(() => server.close());

  it("lists the default namespaces", async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const list = await core.listNamespace();
    assert.deepEqual(list.items.map((n) => n.metadata?.name).sort(), ["default", "kube-node-lease", "kube-public", "kube-system"]);
  });

  it("creates and reads objects (core and rbac)", async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const created = await core.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: "from-client-node", labels: { app: "kpki" } }, data: { k: "v" } } });
    assert.ok(created.metadata?.uid);
    const read = await core.readNamespacedConfigMap({ name: "from-client-node", namespace: "default" });
    assert.deepEqual(read.data, { k: "v" });
    const byLabel = await core.listNamespacedConfigMap({ namespace: "default", labelSelector: "app=kpki" });
    assert.deepEqual(byLabel.items.map((c) => c.metadata?.name), ["from-client-node"]);
    const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace: "default",
      body: { metadata: { name: "cn-reader" }, rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get"] }] },
    });
    const roles = await rbac.listNamespacedRole({ namespace: "default" });
    assert.ok(roles.items.some((r) => r.metadata?.name === "cn-reader"));
  });

  it("reports a missing object as a 404 ApiException", async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await assert.rejects(core.readNamespacedConfigMap({ name: "nope", namespace: "default" }), (err: unknown) => {
      assert.ok(err instanceof k8s.ApiException);
      assert.equal(err.code, 404);
      return true;
    });
  });

  it("watches a change", async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const list = await core.listNamespacedConfigMap({ namespace: "default" });
    const seen: string[] = [];
    let done: () => void = () => undefined;
    const got = new Promise<void>((r) => (done = r));
    const watch = new k8s.Watch(kc);
    const req = await watch.watch(
      "/api/v1/namespaces/default/configmaps",
      { resourceVersion: list.metadata?.resourceVersion ?? "0" },
      (type: string, obj: k8s.V1ConfigMap) => {
        seen.push(`${type} ${obj.metadata?.name}`);
        if (obj.metadata?.name === "watched") done();
      },
      () => undefined,
    );
    await core.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: "watched" } } });
    await got;
    req.abort();
    assert.deepEqual(seen, ["ADDED watched"]);
  });
});
