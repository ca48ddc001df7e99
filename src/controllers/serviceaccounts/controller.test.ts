// serviceaccounts controller: a "default" ServiceAccount in every active namespace, recreated after a
// delete, left alone when present, never created in a terminating or missing namespace.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { ApiObject } from "../../api/index.ts";
import { createMemoryBackend, createStore } from "../../storage/index.ts";
import { seededRandom } from "../../base/index.ts";
import { testClock } from "../testing.ts";
import type { Schedule } from "../queue.ts";
import { ensureDefaultServiceAccount, runServiceAccountsController } from "./controller.ts";

const ns = (name: string, phase = "Active"): ApiObject => ({ apiVersion: "v1", kind: "Namespace", metadata: { name }, status: { phase } });

function setup() {
  const backend = createMemoryBackend();
  const o = { clock: testClock(), random: seededRandom(5) };
  return {
    namespaces: createStore(backend, { namespaced: false, group: "", resource: "namespaces" }, o),
    serviceAccounts: createStore(backend, { namespaced: true, group: "", resource: "serviceaccounts" }, o),
  };
}

test("ensureDefaultServiceAccount: created once, then exists; skipped for missing or terminating namespaces", async () => {
  const s = setup();
  await s.namespaces.create(ns("team"));
  await s.namespaces.create(ns("dying", "Terminating"));
  const cases: [string, string][] = [["team", "created"], ["team", "exists"], ["gone", "skipped"], ["dying", "skipped"]];
  for (const [name, want] of cases) assert.equal(await ensureDefaultServiceAccount(s, name), want, name);
  const sa = await s.serviceAccounts.get("team", "default");
  assert.equal(sa?.kind, "ServiceAccount");
  assert.equal((await s.serviceAccounts.list()).items.length, 1);
});

async function until(cond: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await cond()) return;
    await new Promise((r) => setImmediate(r));
  }
  assert.fail("condition not reached");
}

test("runServiceAccountsController: existing and new namespaces get one; a deleted default comes back", async () => {
  const s = setup();
  await s.namespaces.create(ns("default"));
  const ac = new AbortController();
  const never: Schedule = () => () => undefined;
  const running = runServiceAccountsController({ ...s, schedule: never }, ac.signal);
  const has = (n: string) => async () => (await s.serviceAccounts.get(n, "default")) !== undefined;
  await until(has("default"));
  await s.namespaces.create(ns("team-a"));
  await until(has("team-a"));
  const sa = await s.serviceAccounts.get("team-a", "default");
  await s.serviceAccounts.delete("team-a", "default", sa?.metadata.resourceVersion);
  await until(has("team-a"));
  ac.abort();
  await running;
});
