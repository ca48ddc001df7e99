// root-ca-cert-publisher (§10): create, no-op, revert edits, recreate on delete, follow CA changes,
// and the running controller reacting to namespace and ConfigMap events.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { ApiObject } from "../../api/index.ts";
import { memoryStores, testClock } from "../testing.ts";
import type { Schedule } from "../queue.ts";
import { DESCRIPTION, ROOT_CA_CONFIGMAP, runPublisher, syncNamespace } from "./publisher.ts";

const ns = (name: string, phase = "Active"): ApiObject => ({ apiVersion: "v1", kind: "Namespace", metadata: { name }, status: { phase } });

function setup() {
  const stores = memoryStores(testClock());
  let pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
  const o = { namespaces: stores.namespaces, configMaps: stores.configMaps, rootCaPem: () => pem };
  return { stores, o, setPem: (p: string) => (pem = p) };
}

test("syncNamespace: create, unchanged, revert an edit keeping other metadata, follow a CA change", async () => {
  const { stores, o, setPem } = setup();
  await stores.namespaces.create(ns("default"));
  assert.equal(await syncNamespace(o, "default"), "created");
  const cm = (await stores.configMaps.get("default", ROOT_CA_CONFIGMAP))!;
  assert.deepEqual(cm["data"], { "ca.crt": o.rootCaPem() });
  assert.equal(cm.metadata.annotations?.["kubernetes.io/description"], DESCRIPTION);
  assert.equal(await syncNamespace(o, "default"), "unchanged");
  await stores.configMaps.update({ ...cm, metadata: { ...cm.metadata, labels: { keep: "me" }, annotations: {} }, data: { "ca.crt": "tampered", extra: "x" } });
  assert.equal(await syncNamespace(o, "default"), "updated");
  const fixed = (await stores.configMaps.get("default", ROOT_CA_CONFIGMAP))!;
  assert.deepEqual(fixed["data"], { "ca.crt": o.rootCaPem() });
  assert.equal(fixed.metadata.labels?.["keep"], "me");
  setPem("new-ca");
  assert.equal(await syncNamespace(o, "default"), "updated");
  assert.deepEqual((await stores.configMaps.get("default", ROOT_CA_CONFIGMAP))!["data"], { "ca.crt": "new-ca" });
});

test("syncNamespace: missing or terminating namespaces are skipped", async () => {
  const { stores, o } = setup();
  assert.equal(await syncNamespace(o, "gone"), "skipped");
  await stores.namespaces.create(ns("dying", "Terminating"));
  assert.equal(await syncNamespace(o, "dying"), "skipped");
});

async function until(cond: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await cond()) return;
    await new Promise((r) => setImmediate(r));
  }
  assert.fail("condition not reached");
}

test("runPublisher: every namespace gets one; deletion recreates it", async () => {
  const { stores, o } = setup();
  await stores.namespaces.create(ns("default"));
  await stores.namespaces.create(ns("kube-system"));
  const ac = new AbortController();
  const never: Schedule = () => () => undefined; // no resync timers in this test
  const running = runPublisher({ ...o, schedule: never }, ac.signal);
  await until(async () => (await stores.configMaps.list()).items.length === 2);
  await stores.namespaces.create(ns("team-a"));
  await until(async () => (await stores.configMaps.get("team-a", ROOT_CA_CONFIGMAP)) !== undefined);
  await stores.configMaps.delete("default", ROOT_CA_CONFIGMAP);
  await until(async () => (await stores.configMaps.get("default", ROOT_CA_CONFIGMAP)) !== undefined);
  ac.abort();
  await running;
});
