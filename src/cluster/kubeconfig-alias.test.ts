import { test } from "node:test";
import assert from "node:assert/strict";
import { parse } from "yaml";
import { renderKubeconfig } from "./kubeconfig.ts";
import { addContextClusterAlias } from "./kubeconfig-alias.ts";

const PEM = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
interface Kc {
  clusters: { name: string; cluster: { server: string; "certificate-authority-data": string } }[];
  contexts: { name: string; context: { cluster: string; user: string } }[];
  "current-context": string;
}

test("adds a cluster named like the current context (seed 001's `cut -d/ -f2`), once", () => {
  const admin = renderKubeconfig({ clusterName: "kubernetes", server: "https://127.0.0.1:6443", caPem: PEM, userName: "kubernetes-admin", certPem: PEM, keyPem: PEM });
  const out = addContextClusterAlias(admin);
  const kc = parse(out) as Kc;
  assert.deepEqual(kc.clusters.map((c) => c.name), ["kubernetes", "kubernetes-admin@kubernetes"]);
  assert.deepEqual(kc.clusters[1]?.cluster, kc.clusters[0]?.cluster);
  assert.equal(kc["current-context"], "kubernetes-admin@kubernetes");
  assert.deepEqual(kc.contexts[0]?.context, { cluster: "kubernetes", user: "kubernetes-admin" });
  assert.equal(addContextClusterAlias(out), out, "idempotent");
});

test("leaves configs alone when the context already names a cluster or is malformed", () => {
  const cases = ["", "apiVersion: v1\nkind: Config\n", "clusters: []\ncontexts: []\ncurrent-context: x\n"];
  for (const c of cases) assert.equal(addContextClusterAlias(c), c);
  const same = "clusters:\n- name: a\n  cluster: {server: s}\ncontexts:\n- name: a\n  context: {cluster: a, user: u}\ncurrent-context: a\n";
  assert.equal(addContextClusterAlias(same), same);
});
