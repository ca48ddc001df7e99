// Gaps found with the real kubectl (issue 3 follow-up): lists and watches with a metadata.name field
// selector across namespaces, protobuf bodies of the imperative `kubectl create` family (1.32 dispatcher
// and kubectl.1.33), kubectl.1.27's v1beta1 `auth whoami`, and what a fresh cluster holds (the
// `kubernetes` Service, a `default` ServiceAccount in every namespace).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { issueClientCert, userKubeconfig } from "./helpers/certs.ts";
import { startTestServer, waitUntil, type TestServer } from "./helpers/kpki.ts";
import { createKubectl, kubectlBinary, type Kubectl } from "./helpers/kubectl.ts";

const HAVE_KUBECTL = kubectlBinary() !== undefined;

describe("kubectl gaps", { skip: !HAVE_KUBECTL && "kubectl is not installed" }, () => {
  let server: TestServer;
  let admin: Kubectl;
  const runners: Kubectl[] = [];
  const ok = async (k: Kubectl, args: readonly string[]): Promise<string> => {
    const r = await k(args);
    assert.equal(r.code, 0, `kubectl ${args.join(" ")}: ${r.stderr}`);
    return r.stdout;
  };
  const json = async (k: Kubectl, args: readonly string[]): Promise<Record<string, unknown>> =>
    JSON.parse(await ok(k, [...args, "-o", "json"])) as Record<string, unknown>;

  before(async () => {
    server = await startTestServer();
    admin = createKubectl(server.adminConf);
    runners.push(admin);
  });
  after(async () => {
    for (const k of runners) k.cleanup();
    await server.close();
  });

  it("get -A --field-selector metadata.name=X lists it in every namespace (was 404)", async () => {
    await ok(admin, ["create", "namespace", "gap-a"]);
    for (const ns of ["default", "gap-a"]) await ok(admin, ["create", "configmap", "probe", "-n", ns, "--from-literal=k=v"]);
    const out = await ok(admin, ["get", "cm", "-A", "--field-selector", "metadata.name=probe"]);
    assert.match(out, /^default\s+probe\s+1\s/m);
    assert.match(out, /^gap-a\s+probe\s+1\s/m);
    assert.equal(out.trim().split("\n").length, 3, out);
    const none = await admin(["get", "secrets", "-A", "--field-selector", "metadata.name=nope"]);
    assert.deepEqual([none.code, none.stderr.trim()], [0, "No resources found"]);
  });

  it("get -A -w with a name selector and a named get -w see changes", async () => {
    const all = admin.spawn(["get", "cm", "-A", "-w", "--field-selector", "metadata.name=probe"]);
    const one = admin.spawn(["get", "cm", "probe", "-n", "gap-a", "-w"]);
    try {
      await waitUntil(() => all.lines().length >= 3 && one.lines().length >= 2, 10_000, "the initial rows");
      await ok(admin, ["label", "cm", "probe", "-n", "gap-a", "seen=yes"]);
      await waitUntil(() => all.lines().length >= 4 && one.lines().length >= 3, 10_000, "the MODIFIED rows");
      assert.ok(all.lines().every((l) => /probe/.test(l) || /^NAMESPACE/.test(l)), all.lines().join("\n"));
      assert.match(one.lines().at(-1) ?? "", /^probe\s/);
    } finally {
      await all.stop();
      await one.stop();
    }
  });

  const versions: [string, string | undefined][] = [
    ["1.32 (dispatcher)", kubectlBinary()],
    ["1.33", kubectlBinary("1.33")],
  ];
  for (const [label, binary] of versions) {
    it(`imperative create family with protobuf bodies: kubectl ${label}`, { skip: binary === undefined && `kubectl ${label} missing` }, async () => {
      const k = createKubectl(server.adminConf, binary);
      runners.push(k);
      const ns = `imp-${label.slice(0, 4).replace(".", "")}`;
      const n = ["-n", ns];
      await ok(k, ["create", "namespace", ns]);
      const creates: string[][] = [
        ["create", "deployment", "web", "--image=nginx", "--replicas=2", "--port=80"],
        ["create", "deployment", "zero", "--image=busybox", "--replicas=0", "--", "sleep", "10"],
        ["create", "service", "clusterip", "web", "--tcp=80:8080"],
        ["create", "service", "nodeport", "np", "--tcp=80:http", "--node-port=30080"],
        ["create", "configmap", "cm", "--from-literal=a=b"],
        ["create", "secret", "generic", "s", "--from-literal=u=p"],
        ["create", "serviceaccount", "bot"],
        ["create", "role", "r", "--verb=get", "--resource=pods"],
        ["create", "rolebinding", "rb", "--role=r", "--user=minjun", `--serviceaccount=${ns}:bot`],
        ["create", "clusterrole", `cr-${ns}`, "--verb=get", "--resource=pods"],
        ["create", "clusterrolebinding", `crb-${ns}`, `--clusterrole=cr-${ns}`, "--group=devs"],
        ["run", "pod1", "--image=nginx", "--labels=app=x"],
      ];
      for (const c of creates) assert.match(await ok(k, [...n, ...c]), / created\n$/, c.join(" "));
      for (const c of [["label", "deploy", "web", "tier=fe"], ["annotate", "deploy", "web", "note=hi"], ["scale", "deploy", "web", "--replicas=3"], ["set", "image", "deploy/web", "nginx=nginx:1.27"]]) {
        await ok(k, [...n, ...c]);
      }
      const web = await json(k, [...n, "get", "deploy", "web"]);
      const spec = web["spec"] as { replicas: number; strategy: { type: string }; template: { spec: { containers: { image: string; ports: { containerPort: number }[] }[] } } };
      assert.deepEqual([spec.replicas, spec.strategy.type, spec.template.spec.containers[0]?.image, spec.template.spec.containers[0]?.ports[0]?.containerPort], [3, "RollingUpdate", "nginx:1.27", 80]);
      assert.deepEqual((web["metadata"] as { labels: Record<string, string> }).labels, { app: "web", tier: "fe" });
      const zero = (await json(k, [...n, "get", "deploy", "zero"]))["spec"] as { replicas: number; template: { spec: { containers: { command: string[] }[] } } };
      assert.deepEqual([zero.replicas, zero.template.spec.containers[0]?.command], [0, ["sleep", "10"]], "a pointer field's zero survives");
      const np = (await json(k, [...n, "get", "svc", "np"]))["spec"] as { type: string; ports: unknown[] };
      assert.deepEqual([np.type, np.ports], ["NodePort", [{ name: "80-http", protocol: "TCP", port: 80, targetPort: "http", nodePort: 30080 }]]);
      const rb = await json(k, [...n, "get", "rolebinding", "rb"]);
      assert.equal((rb["subjects"] as unknown[]).length, 2);
    });
  }

  it("kubectl.1.27 auth whoami uses authentication.k8s.io/v1beta1", { skip: kubectlBinary("1.27") === undefined && "kubectl.1.27 missing" }, async () => {
    const k = createKubectl(server.adminConf, kubectlBinary("1.27"));
    runners.push(k);
    assert.match(await ok(k, ["auth", "whoami"]), /^Username\s+kubernetes-admin$/m);
  });

  it("a fresh cluster: the kubernetes Service, default ServiceAccounts, cluster-info", async () => {
    const svc = await json(admin, ["get", "svc", "kubernetes", "-n", "default"]);
    assert.deepEqual((svc["metadata"] as { labels: unknown }).labels, { component: "apiserver", provider: "kubernetes" });
    const spec = svc["spec"] as { clusterIP: string; type: string; ports: unknown[] };
    assert.deepEqual([spec.clusterIP, spec.type, spec.ports], ["10.96.0.1", "ClusterIP", [{ name: "https", protocol: "TCP", port: 443, targetPort: server.port }]]);
    await ok(admin, ["create", "namespace", "fresh"]);
    for (const ns of ["default", "kube-system", "fresh"]) {
      await waitUntil(async () => (await admin(["get", "sa", "default", "-n", ns])).code === 0, 10_000, `serviceaccount default in ${ns}`);
    }
    await ok(admin, ["delete", "sa", "default", "-n", "fresh"]);
    await waitUntil(async () => (await admin(["get", "sa", "default", "-n", "fresh"])).code === 0, 10_000, "the default serviceaccount to come back");
    const info = await ok(admin, ["cluster-info"]);
    assert.ok(info.startsWith(`Kubernetes control plane is running at ${server.url}\n`), info);
  });

  it("/metrics: request counters for cluster-admin and system:monitoring, Forbidden for others", async () => {
    const work = await mkdtemp(join(tmpdir(), "kpki-gaps-"));
    try {
      const as = async (name: string, groups: string[]): Promise<Kubectl> => {
        const path = join(work, `${name}.conf`);
        const pair = await issueClientCert(server.ca, { cn: name, groups });
        await writeFile(path, userKubeconfig({ server: server.url, caPem: server.ca.certPem, user: name, pair }), { mode: 0o600 });
        const k = createKubectl(path);
        runners.push(k);
        return k;
      };
      await ok(admin, ["get", "cm", "-n", "default"]);
      const body = await ok(admin, ["get", "--raw", "/metrics"]);
      assert.match(body, /^apiserver_request_total\{code="200",resource="configmaps",verb="LIST"\} [1-9]\d*$/m);
      assert.match(body, /^apiserver_request_duration_seconds_count\{resource="configmaps",verb="LIST"\} [1-9]\d*$/m);
      assert.match(body, /^apiserver_client_certificate_expiration_seconds_count [1-9]\d*$/m);
      assert.match(await ok(await as("prom", ["system:monitoring"]), ["get", "--raw", "/metrics"]), /apiserver_request_total/);
      const denied = await (await as("nobody", ["devs"]))(["get", "--raw", "/metrics"]);
      assert.equal(denied.code, 1);
      assert.match(denied.stderr, /^Error from server \(Forbidden\)/);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});
