// Acceptance (issue 3) with the real kubectl — the installed dispatcher, which runs its built-in
// v1.32 client because /version says minor "32" — against one in-process kpki server on a free
// loopback port. Seed 001's workflow: pod-reader Role + RoleBinding applied verbatim, then minjun
// (CN=minjun, O=dev-team) can list pods and gets Kubernetes' exact Forbidden line for deployments.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, writeFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EKU } from "../src/pki/index.ts";
import { createStrayCa, issueClientCert, userKubeconfig, type ClientCertOptions, type PemPair } from "./helpers/certs.ts";
import { startTestServer, type TestServer } from "./helpers/kpki.ts";
import { POD_READER_YAML } from "./helpers/seeds.ts";
import { createKubectl, kubectlBinary, type Kubectl } from "./helpers/kubectl.ts";

const FORBIDDEN_DEPLOYMENTS =
  'Error from server (Forbidden): deployments.apps is forbidden: User "minjun" cannot list resource "deployments" in API group "apps" in the namespace "default"';
const UNAUTHORIZED = "error: You must be logged in to the server (Unauthorized)";
const HAVE_KUBECTL = kubectlBinary() !== undefined;

describe("kubectl against kpki serve", { skip: !HAVE_KUBECTL && "kubectl is not installed" }, () => {
  let server: TestServer;
  let work: string;
  let admin: Kubectl;
  const runners: Kubectl[] = [];

  /** A kubectl bound to a fresh certificate identity signed by `ca` (default: the cluster CA). */
  async function identity(name: string, o: ClientCertOptions, ca: PemPair = server.ca): Promise<Kubectl> {
    const pair = await issueClientCert(ca, o);
    const path = join(work, `${name}.conf`);
    await writeFile(path, userKubeconfig({ server: server.url, caPem: server.ca.certPem, user: o.cn, pair }), { mode: 0o600 });
    const k = createKubectl(path);
    runners.push(k);
    return k;
  }

  before(async () => {
    server = await startTestServer();
    work = await mkdtemp(join(tmpdir(), "kpki-kubectl-test-"));
    admin = createKubectl(server.adminConf);
    runners.push(admin);
  });
  after(async () => {
    for (const k of runners) k.cleanup();
    await server.close();
    await rm(work, { recursive: true, force: true });
  });

  it("version: the dispatcher runs its own v1.32 client", async () => {
    const r = await admin(["version"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Server Version: v1\.32\.4$/m);
  });

  it("api-resources lists what the seeds need", async () => {
    const r = await admin(["api-resources"]);
    assert.equal(r.code, 0, r.stderr);
    for (const re of [/^certificatesigningrequests\s+csr\s+certificates\.k8s\.io\/v1\s+false\s+CertificateSigningRequest$/m, /^pods\s+po\s+v1\s+true\s+Pod$/m, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m, /^roles\s+rbac\.authorization\.k8s\.io\/v1\s+true\s+Role$/m, /^selfsubjectreviews\s/m, /^services\s+svc\s/m]) {
      assert.match(r.stdout, re);
    }
  });

  it("get --raw prints health, version and discovery verbatim", async () => {
    const health = await admin(["get", "--raw", "/healthz"]);
    assert.deepEqual([health.code, health.stdout], [0, "ok"]);
    const api = await admin(["get", "--raw", "/api"]);
    assert.equal((JSON.parse(api.stdout) as { kind: string }).kind, "APIVersions");
    const missing = await admin(["get", "--raw", "/no/such/path"]);
    assert.deepEqual([missing.code, missing.stderr], [1, "Error from server (NotFound): the server could not find the requested resource\n"]);
  });

  it("cluster-info", async () => {
    const r = await admin(["cluster-info"]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.startsWith(`Kubernetes control plane is running at ${server.url}\n`), r.stdout);
  });

  it("auth whoami (protobuf SelfSubjectReview)", async () => {
    const r = await admin(["auth", "whoami"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Username\s+kubernetes-admin$/m);
    assert.match(r.stdout, /^Groups\s+\[kubeadm:cluster-admins system:authenticated\]$/m);
  });

  it("auth can-i yes and --list", async () => {
    const yes = await admin(["auth", "can-i", "create", "deployments", "-n", "default"]);
    assert.deepEqual([yes.code, yes.stdout], [0, "yes\n"]);
    const list = await admin(["auth", "can-i", "--list"]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^\*\.\*\s+\[\]\s+\[\]\s+\[\*\]$/m);
  });

  it("create namespace, get and describe it", async () => {
    const r = await admin(["create", "namespace", "team-a"]);
    assert.deepEqual([r.code, r.stdout], [0, "namespace/team-a created\n"], r.stderr);
    const get = await admin(["get", "ns", "team-a"]);
    assert.match(get.stdout, /^NAME\s+STATUS\s+AGE\nteam-a\s+Active\s+\d+s\n$/);
    const d = await admin(["describe", "ns", "team-a"]);
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stdout, /^Name:\s+team-a$/m);
  });

  it("--dry-run=server persists nothing; fieldValidation=Strict rejects unknown fields", async () => {
    const dry = await admin(["create", "namespace", "dry-only", "--dry-run=server"]);
    assert.deepEqual([dry.code, dry.stdout], [0, "namespace/dry-only created (server dry run)\n"], dry.stderr);
    const get = await admin(["get", "namespace", "dry-only"]);
    assert.equal(get.stderr, 'Error from server (NotFound): namespaces "dry-only" not found\n');
    const file = join(work, "unknown-field.yaml");
    await writeFile(file, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: strict\n  namespace: default\nfoo: bar\n");
    const strict = await admin(["apply", "-f", file]);
    assert.deepEqual([strict.code, strict.stderr], [1, `Error from server (BadRequest): error when creating "${file}": strict decoding error: unknown field "foo"\n`]);
  });

  it("-A shows the NAMESPACE column and --show-labels the labels (rows carry object metadata)", async () => {
    assert.equal((await admin(["create", "configmap", "labelled", "-n", "team-a", "--from-literal=x=y"])).code, 0);
    assert.equal((await admin(["label", "configmap", "labelled", "-n", "team-a", "tier=db"])).code, 0);
    const all = await admin(["get", "configmaps", "-A", "--show-labels"]);
    assert.match(all.stdout, /^NAMESPACE\s+NAME\s+DATA\s+AGE\s+LABELS$/m);
    assert.match(all.stdout, /^team-a\s+labelled\s+1\s+\d+s\s+tier=db$/m);
  });

  it("apply -f seed 001's pod-reader YAML verbatim, then again unchanged", async () => {
    const file = join(work, "pod-reader-role.yaml");
    await writeFile(file, POD_READER_YAML);
    const first = await admin(["apply", "-f", file]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, "role.rbac.authorization.k8s.io/pod-reader created\nrolebinding.rbac.authorization.k8s.io/read-pods-minjun created\n");
    const again = await admin(["apply", "-f", file]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, "role.rbac.authorization.k8s.io/pod-reader unchanged\nrolebinding.rbac.authorization.k8s.io/read-pods-minjun unchanged\n");
    const get = await admin(["get", "rolebinding", "read-pods-minjun", "-n", "default"]);
    assert.match(get.stdout, /^read-pods-minjun\s+Role\/pod-reader\s+\d+s$/m);
    const describe = await admin(["describe", "role", "pod-reader", "-n", "default"]);
    assert.match(describe.stdout, /^\s+pods\s+\[\]\s+\[\]\s+\[get list watch\]$/m);
  });

  it("minjun (CN=minjun,O=dev-team) can get pods and gets the exact Forbidden line for deployments", async () => {
    const minjun = await identity("minjun", { cn: "minjun", groups: ["dev-team"] });
    const pods = await minjun(["get", "pods", "-n", "default"]);
    assert.deepEqual([pods.code, pods.stdout, pods.stderr], [0, "", "No resources found in default namespace.\n"]);
    const deploy = await minjun(["get", "deployments", "-n", "default"]);
    assert.deepEqual([deploy.code, deploy.stdout, deploy.stderr], [1, "", `${FORBIDDEN_DEPLOYMENTS}\n`]);
    const no = await minjun(["auth", "can-i", "list", "deployments", "-n", "default"]);
    assert.deepEqual([no.code, no.stdout], [1, "no\n"]);
    const who = await minjun(["auth", "whoami"]);
    assert.match(who.stdout, /^Groups\s+\[dev-team system:authenticated\]$/m);
    const as = await minjun(["get", "pods", "-n", "default", "--as", "kubernetes-admin"]);
    assert.equal(as.stderr, 'Error from server (Forbidden): users "kubernetes-admin" is forbidden: User "minjun" cannot impersonate resource "users" in API group "" at the cluster scope\n');
  });

  it("impersonation (--as) by an admin is evaluated as the impersonated user", async () => {
    const asMinjun = await admin(["auth", "can-i", "list", "deployments", "-n", "default", "--as", "minjun", "--as-group", "dev-team"]);
    assert.deepEqual([asMinjun.code, asMinjun.stdout], [1, "no\n"]);
    const pods = await admin(["auth", "can-i", "list", "pods", "-n", "default", "--as", "minjun"]);
    assert.deepEqual([pods.code, pods.stdout], [0, "yes\n"]);
  });

  it("an O=system:masters certificate can do everything", async () => {
    const root = await identity("root", { cn: "root", groups: ["system:masters"] });
    const r = await root(["auth", "can-i", "*", "*"]);
    assert.deepEqual([r.code, r.stdout], [0, "yes\n"]);
    const d = await root(["get", "deployments", "-A"]);
    assert.equal(d.code, 0, d.stderr);
    const c = await root(["create", "configmap", "by-root", "-n", "team-a", "--from-literal=k=v"]);
    assert.equal(c.code, 0, c.stderr);
  });

  for (const [name, opts, stray] of [
    ["a certificate from another CA", { cn: "mallory", groups: ["system:masters"] }, true],
    ["an expired certificate", { cn: "minjun", notBefore: new Date(Date.now() - 3 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) }, false],
    ["a certificate without clientAuth", { cn: "minjun", eku: [EKU.serverAuth] }, false],
  ] as const) {
    it(`${name} gets "${UNAUTHORIZED}"`, async () => {
      const k = await identity(name.replace(/\W+/g, "-"), opts, stray ? await createStrayCa() : server.ca);
      const who = await k(["auth", "whoami"]);
      assert.deepEqual([who.code, who.stdout, who.stderr], [1, "", `${UNAUTHORIZED}\n`]);
      // With discovery already cached (the user ran kubectl here before) `get` prints the same line;
      // with a cold cache kubectl's discovery reports "(the server has asked for the client to provide credentials)".
      k.warmCacheFrom(admin);
      const get = await k(["get", "pods", "-n", "default"]);
      assert.deepEqual([get.code, get.stdout, get.stderr], [1, "", `${UNAUTHORIZED}\n`]);
    });
  }

  it("imperative create role / create rolebinding (protobuf bodies)", async () => {
    const role = await admin(["create", "role", "cm-reader", "--verb=get,list", "--resource=configmaps", "-n", "team-a"]);
    assert.deepEqual([role.code, role.stdout], [0, "role.rbac.authorization.k8s.io/cm-reader created\n"], role.stderr);
    const rb = await admin(["create", "rolebinding", "cm-reader-dev", "--role=cm-reader", "--group=dev-team", "-n", "team-a"]);
    assert.deepEqual([rb.code, rb.stdout], [0, "rolebinding.rbac.authorization.k8s.io/cm-reader-dev created\n"], rb.stderr);
    const wide = await admin(["get", "rolebinding", "cm-reader-dev", "-n", "team-a", "-o", "wide"]);
    assert.match(wide.stdout, /^cm-reader-dev\s+Role\/cm-reader\s+\d+s\s+dev-team\s*$/m);
  });

  it("ClusterRole aggregation keeps view/edit/admin current", async () => {
    const file = join(work, "aggregate.yaml");
    await writeFile(file, [
      "apiVersion: rbac.authorization.k8s.io/v1", "kind: ClusterRole", "metadata:", "  name: widgets-view", "  labels:",
      '    rbac.authorization.k8s.io/aggregate-to-view: "true"', "rules:", '- apiGroups: ["example.com"]', '  resources: ["widgets"]', '  verbs: ["get"]', "",
    ].join("\n"));
    assert.equal((await admin(["apply", "-f", file])).code, 0);
    const rules = async (role: string): Promise<string> => (await admin(["get", "clusterrole", role, "-o", "jsonpath={.rules[*].resources}"])).stdout;
    await until(async () => (await rules("view")).includes("widgets") && (await rules("admin")).includes("widgets"), "view and admin to aggregate widgets");
    assert.equal((await admin(["delete", "clusterrole", "widgets-view"])).code, 0);
    await until(async () => !(await rules("view")).includes("widgets"), "view to drop widgets");
  });

  it("get -w sees a change, delete removes the object", async () => {
    const watch = admin.spawn(["get", "configmaps", "-n", "team-a", "-w"]);
    try {
      await until(() => watch.lines().some((l) => l.startsWith("by-root")), "the watch's initial list");
      const label = await admin(["label", "configmap", "by-root", "-n", "team-a", "seen=yes"]);
      assert.equal(label.code, 0, label.stderr);
      const del = await admin(["delete", "configmap", "by-root", "-n", "team-a"]);
      assert.deepEqual([del.code, del.stdout], [0, 'configmap "by-root" deleted\n'], del.stderr);
      // list row, MODIFIED (label), DELETED: three rows for by-root.
      await until(() => watch.lines().filter((l) => l.startsWith("by-root")).length >= 3, "the watch events");
    } finally {
      await watch.stop();
    }
    // Exactly three: no replay of the listed object as ADDED (kubectl-protocol.md §5).
    assert.equal(watch.lines().filter((l) => l.startsWith("by-root")).length, 3, watch.lines().join("\n"));
    const gone = await admin(["get", "configmap", "by-root", "-n", "team-a"]);
    assert.deepEqual([gone.code, gone.stderr], [1, 'Error from server (NotFound): configmaps "by-root" not found\n']);
  });
});

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
