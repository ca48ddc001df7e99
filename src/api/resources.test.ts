import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ApiObject } from "./meta.ts";
import { RESOURCES, findResource } from "./resources.ts";

const now = new Date("2026-11-22T21:00:00Z");
const meta = (name: string) => ({ name, creationTimestamp: "2026-11-22T20:59:48Z" });

function cells(group: string, resource: string, obj: ApiObject): unknown[] {
  const info = findResource(group, "v1", resource);
  assert.ok(info, resource);
  return info.cells(obj, now);
}

describe("resource table", () => {
  it("has the shortNames and scopes kubectl needs", () => {
    const short = Object.fromEntries(RESOURCES.filter((r) => r.shortNames.length > 0).map((r) => [r.shortNames[0], r.resource]));
    assert.deepEqual(short, { ns: "namespaces", cm: "configmaps", sa: "serviceaccounts", svc: "services", po: "pods", no: "nodes", ev: "events", deploy: "deployments", rs: "replicasets", sts: "statefulsets", ds: "daemonsets", csr: "certificatesigningrequests" });
    assert.equal(findResource("", "v1", "namespaces")?.namespaced, false);
    assert.deepEqual(findResource("authorization.k8s.io", "v1", "selfsubjectaccessreviews")?.verbs, ["create"]);
    for (const r of RESOURCES) {
      assert.equal(r.cells({ apiVersion: "v1", kind: r.kind, metadata: meta("x") }, now).length, r.columns.length, r.resource);
    }
  });

  const rows: [string, string, ApiObject, unknown[]][] = [
    ["", "namespaces", { apiVersion: "v1", kind: "Namespace", metadata: meta("team"), status: { phase: "Active" } }, ["team", "Active", "12s"]],
    ["", "configmaps", { apiVersion: "v1", kind: "ConfigMap", metadata: meta("c"), data: { a: "1", b: "2" } }, ["c", 2, "12s"]],
    ["", "pods", { apiVersion: "v1", kind: "Pod", metadata: meta("p"), spec: { containers: [{ name: "c" }] }, status: { phase: "Running", containerStatuses: [{ ready: true, restartCount: 2 }] } }, ["p", "1/1", "Running", "2", "12s", "<none>", "<none>", "<none>", "<none>"]],
    ["apps", "deployments", { apiVersion: "apps/v1", kind: "Deployment", metadata: meta("d"), spec: { replicas: 3, selector: { matchLabels: { app: "x" } }, template: { spec: { containers: [{ name: "web", image: "nginx" }] } } }, status: { readyReplicas: 1, updatedReplicas: 2, availableReplicas: 1 } }, ["d", "1/3", 2, 1, "12s", "web", "nginx", "app=x"]],
    ["rbac.authorization.k8s.io", "roles", { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata: meta("r") }, ["r", "2026-11-22T20:59:48Z"]],
    ["rbac.authorization.k8s.io", "rolebindings", { apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", metadata: meta("b"), roleRef: { kind: "Role", name: "pod-reader" }, subjects: [{ kind: "User", name: "minjun" }, { kind: "ServiceAccount", name: "sa", namespace: "ns" }] }, ["b", "Role/pod-reader", "12s", "minjun", "", "ns/sa"]],
    ["", "services", { apiVersion: "v1", kind: "Service", metadata: meta("s"), spec: { clusterIP: "10.0.0.1", ports: [{ port: 443, protocol: "TCP" }] } }, ["s", "ClusterIP", "10.0.0.1", "<none>", "443/TCP", "12s", "<none>"]],
    ["certificates.k8s.io", "certificatesigningrequests", { apiVersion: "certificates.k8s.io/v1", kind: "CertificateSigningRequest", metadata: meta("c"), spec: { signerName: "kubernetes.io/kube-apiserver-client", username: "minjun", expirationSeconds: 86400 }, status: { conditions: [{ type: "Approved" }], certificate: "LS0=" } }, ["c", "12s", "kubernetes.io/kube-apiserver-client", "minjun", "24h", "Approved,Issued"]],
    ["coordination.k8s.io", "leases", { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: meta("l"), spec: { holderIdentity: "me" } }, ["l", "me", "12s"]],
  ];
  for (const [g, r, obj, want] of rows) it(`${r} cells`, () => assert.deepEqual(cells(g, r, obj), want));
});
