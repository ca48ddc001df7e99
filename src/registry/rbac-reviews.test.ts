import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ApiError, type ApiObject, type RbacObject } from "../api/index.ts";
import type { RequestContext } from "./types.ts";
import { bootstrapPolicy } from "../auth/index.ts";
import { ensureBootstrapPolicy } from "./bootstrap.ts";
import { ADMIN, MINJUN, harness, putRbac, type Harness } from "./testing.ts";

const RBAC = "rbac.authorization.k8s.io";
const podReader: RbacObject = {
  apiVersion: "rbac.authorization.k8s.io/v1",
  kind: "Role",
  metadata: { name: "pod-reader", namespace: "default" },
  rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "watch", "list"] }],
};
const readPods: RbacObject = {
  apiVersion: "rbac.authorization.k8s.io/v1",
  kind: "RoleBinding",
  metadata: { name: "read-pods", namespace: "default" },
  subjects: [{ kind: "User", name: "minjun", apiGroup: RBAC }],
  roleRef: { kind: "Role", name: "pod-reader", apiGroup: RBAC },
};

/** Review bodies are partial objects: a loosely typed create. */
function loose(t: Harness, group: string, resource: string): { create(ctx: RequestContext, ns: string, body: object): Promise<ApiObject> } {
  const h = t.h(group, resource);
  return { create: (ctx, ns, body) => h.create(ctx, ns, body as ApiObject) };
}

async function seeded(): Promise<Harness> {
  const t = await harness();
  await putRbac(t, podReader);
  await putRbac(t, readPods);
  return t;
}

describe("RBAC validation and escalation admission", () => {
  it("validates rules and bindings with kube's messages", async () => {
    const t = await harness();
    const roles = t.h(RBAC, "roles");
    await assert.rejects(
      roles.create(t.ctx(), "default", { ...podReader, metadata: { name: "r" }, rules: [{ apiGroups: [""], resources: ["pods"], verbs: [] }] }),
      (e: unknown) => e instanceof ApiError && e.message === 'Role.rbac.authorization.k8s.io "r" is invalid: rules[0].verbs: Required value: verbs must contain at least one value',
    );
    await assert.rejects(
      roles.create(t.ctx(), "default", { ...podReader, metadata: { name: "r" }, rules: [{ nonResourceURLs: ["/x"], verbs: ["get"] }] }),
      (e: unknown) => e instanceof ApiError && e.code === "Invalid" && /rules\[0\].nonResourceURLs: Invalid value: .*namespaced rules cannot apply to non-resource URLs/.test(e.message),
    );
    await assert.rejects(
      t.h(RBAC, "rolebindings").create(t.ctx(), "default", { ...readPods, roleRef: { kind: "Nope", name: "x", apiGroup: RBAC } }),
      (e: unknown) => e instanceof ApiError && /roleRef.kind: Unsupported value: "Nope": supported values: "Role", "ClusterRole"/.test(e.message),
    );
  });

  it("refuses a role granting more than the user holds, with the exact Forbidden text", async () => {
    const t = await seeded();
    const secrets = { ...podReader, metadata: { name: "sneaky", namespace: "default" }, rules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["get"] }] };
    await assert.rejects(
      t.h(RBAC, "roles").create(t.ctx(MINJUN), "default", secrets),
      (e: unknown) =>
        e instanceof ApiError &&
        e.code === "Forbidden" &&
        e.message ===
          'roles.rbac.authorization.k8s.io "sneaky" is forbidden: user "minjun" (groups=["dev-team" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["secrets"], Verbs:["get"]}',
    );
    // Rules already held may be granted.
    const ok = { ...podReader, metadata: { name: "subset", namespace: "default" }, rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get"] }] };
    await t.h(RBAC, "roles").create(t.ctx(MINJUN), "default", ok);
  });

  it("refuses binding to a role the user cannot grant; system:masters may", async () => {
    const t = await seeded();
    const admin = { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name: "big" }, rules: [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }] } as RbacObject;
    await putRbac(t, admin);
    const bind = { ...readPods, metadata: { name: "grab", namespace: "default" }, roleRef: { kind: "ClusterRole", name: "big", apiGroup: RBAC } };
    await assert.rejects(t.h(RBAC, "rolebindings").create(t.ctx(MINJUN), "default", bind), (e: unknown) => e instanceof ApiError && e.code === "Forbidden" && e.message.startsWith('rolebindings.rbac.authorization.k8s.io "grab" is forbidden: user "minjun"'));
    await t.h(RBAC, "rolebindings").create(t.ctx(ADMIN), "default", bind);
  });
});

describe("review APIs", () => {
  it("SelfSubjectAccessReview: allowed and not, echoing the spec", async () => {
    const t = await seeded();
    const h = loose(t, "authorization.k8s.io", "selfsubjectaccessreviews");
    const ask = (resource: string, group = "") => ({ apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectAccessReview", metadata: {}, spec: { resourceAttributes: { namespace: "default", verb: "list", group, resource } } });
    const yes = await h.create(t.ctx(MINJUN), "", ask("pods"));
    assert.equal((yes.status as { allowed: boolean }).allowed, true);
    assert.deepEqual(yes.spec, ask("pods").spec);
    const no = await h.create(t.ctx(MINJUN), "", ask("deployments", "apps"));
    assert.deepEqual(no.status, { allowed: false });
    await assert.rejects(
      h.create(t.ctx(MINJUN), "", { metadata: {}, spec: {} }),
      (e: unknown) => e instanceof ApiError && e.message === 'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: null: exactly one of nonResourceAttributes or resourceAttributes must be specified',
    );
  });

  it("a cluster-scoped resource asked with a namespace ignores the namespace", async () => {
    const t = await seeded();
    await putRbac(t, { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata: { name: "csr", namespace: "default" }, rules: [{ apiGroups: ["certificates.k8s.io"], resources: ["certificatesigningrequests"], verbs: ["list"] }] } as RbacObject);
    await putRbac(t, { ...readPods, metadata: { name: "csr", namespace: "default" }, roleRef: { kind: "Role", name: "csr", apiGroup: RBAC } } as RbacObject);
    const r = await loose(t, "authorization.k8s.io", "selfsubjectaccessreviews").create(t.ctx(MINJUN), "", {
      spec: { resourceAttributes: { namespace: "default", verb: "list", group: "certificates.k8s.io", resource: "certificatesigningrequests" } },
    });
    assert.equal((r.status as { allowed: boolean }).allowed, false);
  });

  it("SubjectAccessReview needs a user or group; rules and self reviews answer", async () => {
    const t = await seeded();
    await assert.rejects(
      loose(t, "authorization.k8s.io", "subjectaccessreviews").create(t.ctx(), "", { spec: { resourceAttributes: { verb: "get", resource: "pods" } } }),
      (e: unknown) => e instanceof ApiError && /spec.user: Invalid value: "": at least one of user or group must be specified/.test(e.message),
    );
    const sar = await loose(t, "authorization.k8s.io", "subjectaccessreviews").create(t.ctx(), "", { spec: { user: "minjun", resourceAttributes: { namespace: "default", verb: "get", resource: "pods" } } });
    assert.equal((sar.status as { allowed: boolean }).allowed, true);
    const rules = await loose(t, "authorization.k8s.io", "selfsubjectrulesreviews").create(t.ctx(MINJUN), "", { spec: { namespace: "default" } });
    const status = rules.status as { resourceRules: { resources?: string[] }[]; incomplete: boolean };
    assert.equal(status.incomplete, false);
    assert.ok(status.resourceRules.some((r) => r.resources?.includes("pods")));
    await assert.rejects(loose(t, "authorization.k8s.io", "selfsubjectrulesreviews").create(t.ctx(MINJUN), "", { spec: {} }), (e: unknown) => e instanceof ApiError && e.message === "no namespace on request");
    const who = await loose(t, "authentication.k8s.io", "selfsubjectreviews").create(t.ctx(MINJUN), "", {});
    assert.deepEqual(who.status, { userInfo: { username: "minjun", groups: ["dev-team", "system:authenticated"] } });
    assert.equal(who.kind, "SelfSubjectReview");
  });
});

describe("bootstrap", () => {
  it("creates the policy once and reconciles idempotently", async () => {
    const t = await harness();
    const policy = bootstrapPolicy();
    const first = await ensureBootstrapPolicy(t.stores, policy);
    assert.ok(first.created > 5);
    const again = await ensureBootstrapPolicy(t.stores, policy);
    assert.deepEqual(again, { created: 0, updated: 0 });
    const list = await t.h(RBAC, "clusterroles").list(t.ctx(), "", {});
    assert.ok(list.items.some((r) => r.metadata.name === "cluster-admin"));
    const ns = await t.h("", "namespaces").list(t.ctx(), "", {});
    assert.deepEqual(ns.items.map((n) => n.metadata.name), ["default", "kube-node-lease", "kube-public", "kube-system"]);
  });
});
