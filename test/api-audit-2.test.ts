// Audit, part 2: what kube-apiserver does and kpki must match, checked with the real kubectl (the
// dispatcher's 1.32, and kubectl.1.27 / kubectl.1.33 where the client differs) and with raw HTTPS:
// watches from a compacted resourceVersion (410 as a watch ERROR event) and BOOKMARK events; `-o wide`
// columns; body limits and malformed bodies; name/namespace in the body vs the URL; RBAC escalation
// checks; namespace deletion and the three patch types. One server (on etcd when installed, so
// compaction is etcd's own) for the whole file.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { parse as parseYaml } from "yaml";
import { connectEtcd } from "../src/storage/etcd/client.ts";
import { etcdAvailable, startEtcd, type EtcdCluster } from "./helpers/etcd.ts";
import { startTestServer, waitUntil, type TestServer } from "./helpers/kpki.ts";
import { createKubectl, kubectlBinary, type Kubectl } from "./helpers/kubectl.ts";

const SKIP = kubectlBinary() === undefined && "kubectl is not installed";
const MiB = 1024 * 1024;

interface Raw {
  readonly status: number;
  readonly body: string;
}

interface Creds {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

function credsOf(kubeconfig: string): Creds {
  const kc = parseYaml(readFileSync(kubeconfig, "utf8")) as {
    clusters: { cluster: { "certificate-authority-data": string } }[];
    users: { user: { "client-certificate-data": string; "client-key-data": string } }[];
  };
  const b64 = (s: string | undefined): string => Buffer.from(s ?? "", "base64").toString("utf8");
  return { ca: b64(kc.clusters[0]?.cluster["certificate-authority-data"]), cert: b64(kc.users[0]?.user["client-certificate-data"]), key: b64(kc.users[0]?.user["client-key-data"]) };
}

/** One HTTPS request with the admin's client certificate. `until` ends a stream (a watch) early. */
function raw(
  url: string,
  creds: Creds,
  o: { method?: string; body?: string | Buffer; contentType?: string; until?: (body: string) => boolean; timeoutMs?: number } = {},
): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Accept: "application/json" };
    if (o.contentType !== undefined) headers["Content-Type"] = o.contentType;
    const req = request(url, { method: o.method ?? "GET", ca: creds.ca, cert: creds.cert, key: creds.key, headers }, (res) => {
      let body = "";
      const done = (): void => resolve({ status: res.statusCode ?? 0, body });
      res.on("data", (d: Buffer) => {
        body += d.toString();
        if (o.until?.(body)) {
          done();
          req.destroy();
        }
      });
      res.on("end", done);
      res.on("close", done);
    });
    req.setTimeout(o.timeoutMs ?? 10_000, () => req.destroy(new Error(`no answer from ${url} within ${o.timeoutMs ?? 10_000} ms`)));
    req.on("error", reject);
    req.end(o.body);
  });
}

const lines = (body: string): Record<string, unknown>[] =>
  body
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe("api audit 2 (kubectl + raw HTTPS)", { skip: SKIP }, () => {
  let etcd: EtcdCluster | undefined;
  let srv: TestServer;
  let k: Kubectl;
  let k127: Kubectl | undefined;
  let k133: Kubectl | undefined;
  let creds: Creds;
  const ok = async (kc: Kubectl, args: readonly string[], input?: string): Promise<string> => {
    const r = await kc(args, input === undefined ? {} : { input });
    assert.equal(r.code, 0, `kubectl ${args.join(" ")}: ${r.stderr}`);
    return r.stdout;
  };

  before(async () => {
    if (etcdAvailable()) etcd = await startEtcd({ members: 1 });
    const onEtcd = etcd !== undefined && etcd.certSource === "kpki init";
    // kpki's watch cache (like kube's cacher) answers watches from its own window, whatever etcd has
    // compacted; revisions written before it started are older than that window and come from etcd.
    if (onEtcd && etcd) await withEtcd(etcd, async (c) => void (await c.kv.put({ key: Buffer.from("/audit-2/bump"), value: Buffer.from("1") })));
    srv = await startTestServer({ bookmarkIntervalMs: 200, ...(onEtcd && etcd ? { dataDir: etcd.dir, storage: "etcd" as const, etcd: { servers: etcd.endpoints } } : {}) });
    k = createKubectl(srv.adminConf);
    const b127 = kubectlBinary("1.27");
    const b133 = kubectlBinary("1.33");
    if (b127 !== undefined) k127 = createKubectl(srv.adminConf, b127);
    if (b133 !== undefined) k133 = createKubectl(srv.adminConf, b133);
    creds = credsOf(srv.adminConf);
  });
  after(async () => {
    for (const kc of [k, k127, k133]) kc?.cleanup();
    await srv.close();
    await etcd?.stop();
  });

  // ---- 1. watch: 410 from a compacted resourceVersion, BOOKMARK events --------------------------

  it("a watch from a compacted resourceVersion gets an ERROR event with a 410 Expired Status", async (t) => {
    if (etcd === undefined || etcd.certSource !== "kpki init") return t.skip("needs etcd");
    await ok(k, ["create", "namespace", "w410"]);
    for (let i = 0; i < 3; i++) await ok(k, ["create", "cm", `c${i}`, "-n", "w410"]);
    await withEtcd(etcd, async (c) => {
      const st = await c.maintenance.status();
      await c.kv.compact({ revision: st.header.revision, physical: true });
    });
    const w = await raw(`${srv.url}/api/v1/namespaces/w410/configmaps?watch=1&resourceVersion=1`, creds, { until: (b) => b.includes("\n") });
    assert.equal(w.status, 200, w.body);
    const ev = lines(w.body)[0] as { type: string; object: { kind: string; code: number; reason: string; message: string } };
    assert.equal(ev.type, "ERROR", w.body);
    assert.deepEqual([ev.object.kind, ev.object.code, ev.object.reason], ["Status", 410, "Expired"]);
    assert.match(ev.object.message, /^too old resource version: 1 \(\d+\)$|^The resourceVersion for the provided watch is too old\.$/);
    // kubectl lists first and watches from that list's revision: it is never too old, so -w works after compaction.
    const watcher = k.spawn(["get", "cm", "-n", "w410", "-w"]);
    try {
      await waitUntil(() => watcher.lines().length >= 4, 10_000, "the listed rows");
      await ok(k, ["create", "cm", "after", "-n", "w410"]);
      await waitUntil(() => watcher.lines().some((l) => /^after\s/.test(l)), 10_000, "the new configmap's row");
      assert.doesNotMatch(watcher.stderr(), /error/i);
    } finally {
      await watcher.stop();
    }
  });

  it("GET/LIST resourceVersion: \"0\" and a reached N answer; a future N is kube's 504 ResourceVersionTooLarge", async () => {
    await ok(k, ["create", "namespace", "rvget"]);
    const made = JSON.parse(await ok(k, ["create", "cm", "c", "-n", "rvget", "--from-literal=k=v", "-o", "json"])) as { metadata: { resourceVersion: string } };
    const base = `${srv.url}/api/v1/namespaces/rvget/configmaps`;
    for (const rv of ["0", made.metadata.resourceVersion]) {
      const got = await raw(`${base}/c?resourceVersion=${rv}`, creds);
      assert.equal(got.status, 200, got.body);
      assert.deepEqual((JSON.parse(got.body) as { data: unknown }).data, { k: "v" });
    }
    const future = String(Number(made.metadata.resourceVersion) + 100_000);
    for (const url of [`${base}/c?resourceVersion=${future}`, `${base}?resourceVersion=${future}`]) {
      const r = await raw(url, creds);
      assert.equal(r.status, 504, r.body);
      const st = JSON.parse(r.body) as { reason: string; message: string; details: { causes: { reason: string }[]; retryAfterSeconds: number } };
      assert.equal(st.reason, "Timeout");
      assert.match(st.message, new RegExp(`^Timeout: Too large resource version: ${future}, current: \\d+$`));
      assert.deepEqual([st.details.causes[0]?.reason, st.details.retryAfterSeconds], ["ResourceVersionTooLarge", 1]);
    }
    const bad = await raw(`${base}/c?resourceVersion=abc`, creds);
    assert.equal(bad.status, 400, bad.body);
    const r = await k(["get", "--raw", `/api/v1/namespaces/rvget/configmaps/c?resourceVersion=${future}`]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Too large resource version/);
  });

  it("allowWatchBookmarks=true streams BOOKMARK events carrying the current resourceVersion", async () => {
    await ok(k, ["create", "namespace", "bm"]);
    const url = `${srv.url}/api/v1/namespaces/bm/configmaps?watch=1&allowWatchBookmarks=true`;
    const w = await raw(url, creds, { until: (b) => b.includes('"BOOKMARK"'), timeoutMs: 5000 });
    const bm = lines(w.body).find((e) => e["type"] === "BOOKMARK") as { object: { kind: string; apiVersion: string; metadata: { resourceVersion: string } } };
    assert.ok(bm !== undefined, w.body);
    assert.deepEqual([bm.object.kind, bm.object.apiVersion], ["ConfigMap", "v1"]);
    assert.match(bm.object.metadata.resourceVersion, /^\d+$/);
    // Without allowWatchBookmarks, none (kube sends them only to clients that asked).
    const plain = await raw(`${srv.url}/api/v1/namespaces/bm/configmaps?watch=1&timeoutSeconds=1`, creds);
    assert.doesNotMatch(plain.body, /BOOKMARK/);
  });

  it("sendInitialEvents=true (WatchList): the state, then a BOOKMARK annotated k8s.io/initial-events-end", async () => {
    await ok(k, ["create", "namespace", "wl"]);
    await ok(k, ["create", "cm", "one", "-n", "wl"]);
    const base = `${srv.url}/api/v1/namespaces/wl/configmaps?watch=1&fieldSelector=metadata.name%3Done`;
    const w = await raw(`${base}&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan`, creds, { until: (b) => b.includes("initial-events-end") });
    const evs = lines(w.body) as { type: string; object: { metadata: { name?: string; resourceVersion: string; annotations?: Record<string, string> } } }[];
    assert.deepEqual(evs.map((e) => e.type), ["ADDED", "BOOKMARK"], w.body);
    assert.equal(evs[0]?.object.metadata.name, "one");
    assert.deepEqual(evs[1]?.object.metadata.annotations, { "k8s.io/initial-events-end": "true" });
    // kube's ValidateListOptions: 422 without the two companions.
    const bad = await raw(`${base}&sendInitialEvents=true`, creds);
    assert.equal(bad.status, 422, bad.body);
    assert.match(bad.body, /sendInitialEvents requires setting allowWatchBookmarks to true/);
  });

  // ---- 2. -o wide columns ------------------------------------------------------------------------

  it("-o wide prints kube's wide columns for every kind kpki serves", async () => {
    await ok(k, ["create", "namespace", "wide"]);
    const n = ["-n", "wide"];
    await ok(k, ["create", "cm", "c", ...n]);
    await ok(k, ["create", "secret", "generic", "s", "--from-literal=a=b", ...n]);
    await ok(k, ["create", "role", "r", "--verb=get", "--resource=pods", ...n]);
    await ok(k, ["create", "rolebinding", "rb", "--role=r", "--user=u", ...n]);
    await ok(k, ["create", "deployment", "d", "--image=nginx", ...n]);
    const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "wide" }, spec: { containers: [{ name: "c", image: "nginx" }] } };
    const node = { apiVersion: "v1", kind: "Node", metadata: { name: "wide-node" } };
    await ok(k, ["create", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items: [pod, node] }));
    const header = async (args: readonly string[]): Promise<string[]> => ((await ok(k, ["get", ...args, "-o", "wide"])).split("\n")[0] ?? "").trim().split(/\s{2,}/);
    const want: [string[], string[]][] = [
      [["cm", ...n], ["NAME", "DATA", "AGE"]],
      [["secrets", ...n], ["NAME", "TYPE", "DATA", "AGE"]],
      [["sa", ...n], ["NAME", "SECRETS", "AGE"]],
      [["ns", "wide"], ["NAME", "STATUS", "AGE"]],
      [["roles", ...n], ["NAME", "CREATED AT"]],
      [["clusterroles", "admin"], ["NAME", "CREATED AT"]],
      [["rolebindings", ...n], ["NAME", "ROLE", "AGE", "USERS", "GROUPS", "SERVICEACCOUNTS"]],
      [["clusterrolebindings", "cluster-admin"], ["NAME", "ROLE", "AGE", "USERS", "GROUPS", "SERVICEACCOUNTS"]],
      [["deployments", ...n], ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"]],
      [["pods", ...n], ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED NODE", "READINESS GATES"]],
      [["nodes", "wide-node"], ["NAME", "STATUS", "ROLES", "AGE", "VERSION", "INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"]],
      [["svc", "-n", "default"], ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", "SELECTOR"]],
      [["leases", "-n", "kube-system"], ["NAME", "HOLDER", "AGE"]],
    ];
    for (const [args, cols] of want) assert.deepEqual(await header(args), cols, `kubectl get ${args.join(" ")} -o wide`);
    const rb = await ok(k, ["get", "rolebinding", "rb", ...n, "-o", "wide", "--no-headers"]);
    assert.match(rb, /^rb\s+Role\/r\s+\S+\s+u\s*$/m);
    const dep = await ok(k, ["get", "deployment", "d", ...n, "-o", "wide", "--no-headers"]);
    assert.match(dep, /^d\s+0\/1\s+0\s+0\s+\S+\s+nginx\s+nginx\s+app=d\s*$/m);
  });

  it("-o wide on CSRs prints kube's six columns (kubectl 1.27 and 1.33 too)", async () => {
    const csr = {
      apiVersion: "certificates.k8s.io/v1",
      kind: "CertificateSigningRequest",
      metadata: { name: "wide-csr" },
      spec: { request: csrPem(), signerName: "example.com/x", usages: ["client auth"], expirationSeconds: 3600 },
    };
    await ok(k, ["create", "-f", "-"], JSON.stringify(csr));
    for (const kc of [k, k127, k133]) {
      if (kc === undefined) continue;
      const out = await ok(kc, ["get", "csr", "wide-csr", "-o", "wide"]);
      assert.match(out, /^NAME\s+AGE\s+SIGNERNAME\s+REQUESTOR\s+REQUESTEDDURATION\s+CONDITION\n/);
      assert.match(out, /\nwide-csr\s+\S+\s+example\.com\/x\s+kubernetes-admin\s+60m\s+Pending\n/);
    }
  });

  // ---- 3. body limits and malformed bodies ---------------------------------------------------------

  it("a body over 3 MiB is a 413 Status, chunked or with a Content-Length", async () => {
    const big = JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "big" }, data: { a: "x".repeat(3 * MiB) } });
    const r = await raw(`${srv.url}/api/v1/namespaces/default/configmaps`, creds, { method: "POST", body: big, contentType: "application/json" });
    assert.equal(r.status, 413);
    const st = JSON.parse(r.body) as { kind: string; reason: string; message: string; code: number };
    assert.deepEqual([st.kind, st.reason, st.message, st.code], ["Status", "RequestEntityTooLarge", "Request entity too large: limit is 3145728", 413]);
    const viaKubectl = await k(["create", "-f", "-"], { input: big });
    assert.match(viaKubectl.stderr, /Request entity too large: limit is 3145728/);
  });

  it("malformed JSON, YAML, protobuf and wrongly typed fields are 400 BadRequest, never 500", async () => {
    const url = `${srv.url}/api/v1/namespaces/default/configmaps`;
    const cases: [string, string | Buffer, RegExp][] = [
      ["application/json", '{"apiVersion":"v1",', /json/i],
      ["application/json", "", /json/i],
      ["application/json", "[1,2]", /object/],
      ["application/yaml", "apiVersion: v1\nkind: [ConfigMap\n", /yaml/i],
      ["application/vnd.kubernetes.protobuf", "garbage", /protobuf/],
      ["application/vnd.kubernetes.protobuf", Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x0a, 0x03, 0x0a, 0x01]), /protobuf/],
      ["application/json", '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":5}}', /cannot unmarshal number into Go struct field ObjectMeta\.metadata\.name of type string/],
      ["application/json", '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"t1","labels":"x"}}', /cannot unmarshal string into Go struct field ObjectMeta\.metadata\.labels of type map\[string\]string/],
      ["application/json", '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"t2"},"data":{"a":1}}', /cannot unmarshal number into Go struct field ConfigMap\.data of type string/],
      ["application/json", '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"t3","finalizers":"x"}}', /cannot unmarshal string into Go struct field ObjectMeta\.metadata\.finalizers of type \[\]string/],
    ];
    for (const [type, body, message] of cases) {
      const r = await raw(url, creds, { method: "POST", body, contentType: type });
      const st = JSON.parse(r.body) as { kind: string; reason: string; message: string };
      assert.deepEqual([r.status, st.kind, st.reason], [400, "Status", "BadRequest"], `${type} ${String(body)}: ${r.body}`);
      assert.match(st.message, message);
    }
    const none = await ok(k, ["get", "cm", "-n", "default", "-o", "name"]);
    assert.doesNotMatch(none, /configmap\/t\d/);
    const yaml = await k(["create", "-f", "-", "--validate=false"], { input: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: t4}\ndata: {a: [1]}\n" });
    assert.match(yaml.stderr, /Error from server \(BadRequest\).*cannot unmarshal array into Go struct field ConfigMap\.data of type string/);
  });

  // ---- 4. name / namespace in the body vs the URL ---------------------------------------------------

  it("a name or namespace in the body that differs from the URL is a 400 with kube's messages", async () => {
    await ok(k, ["create", "cm", "n1", "-n", "default"]);
    const url = `${srv.url}/api/v1/namespaces/default/configmaps`;
    const cm = (name: string, namespace?: string): string => JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, ...(namespace ? { namespace } : {}) } });
    const cases: [string, string, string, string][] = [
      ["PUT", `${url}/n1`, cm("other"), "the name of the object (other) does not match the name on the URL (n1)"],
      ["PUT", `${url}/n1`, cm("n1", "kube-system"), "the namespace of the provided object does not match the namespace sent on the request"],
      ["POST", url, cm("n2", "kube-system"), "the namespace of the provided object does not match the namespace sent on the request"],
    ];
    for (const [method, u, body, message] of cases) {
      const r = await raw(u, creds, { method, body, contentType: "application/json" });
      const st = JSON.parse(r.body) as { reason: string; message: string };
      assert.deepEqual([r.status, st.reason, st.message], [400, "BadRequest", message], `${method} ${body}`);
    }
    // A patch that renames: kube's patcher runs checkName on the patched object.
    const p = await k(["patch", "cm", "n1", "-n", "default", "--type=merge", "-p", '{"metadata":{"name":"zz"}}']);
    assert.match(p.stderr, /Error from server \(BadRequest\): the name of the object \(zz\) does not match the name on the URL \(n1\)/);
    const pn = await k(["patch", "cm", "n1", "-n", "default", "--type=merge", "-p", '{"metadata":{"namespace":"kube-system"}}']);
    assert.match(pn.stderr, /Error from server \(BadRequest\): the namespace of the object \(kube-system\) does not match the namespace on the request \(default\)/);
  });

  // ---- 5. RBAC escalation prevention ----------------------------------------------------------------

  it("create role/rolebinding beyond one's own permissions is 403 unless escalate/bind is granted (1.27, 1.32, 1.33)", async () => {
    await ok(k, ["create", "namespace", "esc"]);
    await ok(k, ["create", "sa", "lim", "-n", "esc"]);
    await ok(k, ["create", "role", "mk", "-n", "esc", "--verb=create,get", "--resource=roles,rolebindings"]);
    await ok(k, ["create", "rolebinding", "mk", "-n", "esc", "--role=mk", "--serviceaccount=esc:lim"]);
    const as = ["-n", "esc", "--as=system:serviceaccount:esc:lim"];
    const held = /is forbidden: user "system:serviceaccount:esc:lim" \(groups=\["system:serviceaccounts" "system:serviceaccounts:esc" "system:authenticated"\]\) is attempting to grant RBAC permissions not currently held:\n\{APIGroups:\[""\], Resources:\["secrets"\], Verbs:\["get"\]\}/;
    let i = 0;
    for (const kc of [k127, k, k133]) {
      if (kc === undefined) continue;
      i++;
      const r = await kc(["create", "role", `sec${i}`, "--verb=get", "--resource=secrets", ...as]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`roles\\.rbac\\.authorization\\.k8s\\.io "sec${i}" ${held.source}`));
      // Within its own permissions: allowed.
      await ok(kc, ["create", "role", `own${i}`, "--verb=get", "--resource=roles", ...as]);
    }
    // Binding a role whose permissions one lacks needs `bind` on it.
    await ok(k, ["create", "role", "sec", "-n", "esc", "--verb=get", "--resource=secrets"]);
    const b = await k(["create", "rolebinding", "b1", "--role=sec", "--user=bob", ...as]);
    assert.match(b.stderr, new RegExp(`rolebindings\\.rbac\\.authorization\\.k8s\\.io "b1" ${held.source}`));
    await ok(k, ["create", "role", "bnd", "-n", "esc", "--verb=bind", "--resource=roles", "--resource-name=sec"]);
    await ok(k, ["create", "rolebinding", "bnd", "-n", "esc", "--role=bnd", "--serviceaccount=esc:lim"]);
    await waitUntil(async () => (await k(["create", "rolebinding", "b1", "--role=sec", "--user=bob", ...as])).code === 0, 5000, "bind to take effect");
    // `escalate` lets it write a role with permissions it does not hold.
    await ok(k, ["create", "role", "esc", "-n", "esc", "--verb=escalate", "--resource=roles"]);
    await ok(k, ["create", "rolebinding", "esc", "-n", "esc", "--role=esc", "--serviceaccount=esc:lim"]);
    await waitUntil(async () => (await k(["create", "role", "sec-ok", "--verb=get", "--resource=secrets", ...as])).code === 0, 5000, "escalate to take effect");
  });

  // ---- 6. namespace deletion, patches ---------------------------------------------------------------

  it("delete namespace: Terminating, then gone with everything in it; nothing is recreated inside it", async () => {
    await ok(k, ["create", "namespace", "doomed"]);
    await ok(k, ["create", "cm", "c", "-n", "doomed"]);
    await ok(k, ["create", "secret", "generic", "s", "-n", "doomed", "--from-literal=a=b"]);
    await ok(k, ["create", "role", "r", "-n", "doomed", "--verb=get", "--resource=pods"]);
    await waitUntil(async () => (await k(["get", "cm/kube-root-ca.crt", "sa/default", "-n", "doomed"])).code === 0, 10_000, "the controllers to fill the namespace");
    const watcher = k.spawn(["get", "ns", "doomed", "-w", "--output-watch-events", "--no-headers"]);
    await waitUntil(() => watcher.lines().length >= 1, 10_000, "the watch's first row");
    const del = await ok(k, ["delete", "namespace", "doomed"]);
    assert.match(del, /namespace "doomed" deleted/);
    try {
      await waitUntil(() => watcher.lines().some((l) => /^DELETED\s/.test(l)), 10_000, "the DELETED event");
      assert.ok(watcher.lines().some((l) => /^MODIFIED\s+doomed\s+Terminating\s/.test(l)), watcher.lines().join("\n"));
    } finally {
      await watcher.stop();
    }
    const gone = await k(["get", "ns", "doomed"]);
    assert.match(gone.stderr, /namespaces "doomed" not found/);
    // Controllers (root CA publisher, service accounts) must not have put anything back.
    await new Promise((r) => setTimeout(r, 300));
    const left = await ok(k, ["get", "cm,secrets,roles,sa", "-A", "--field-selector", "metadata.namespace=doomed", "-o", "name"]);
    assert.equal(left, "");
    const inside = await k(["create", "cm", "late", "-n", "doomed"]);
    assert.match(inside.stderr, /namespaces "doomed" not found/);
  });

  it("a namespace held by a finalizer stays Terminating, empty, and refuses new content until released", async () => {
    const ns = { apiVersion: "v1", kind: "Namespace", metadata: { name: "held", finalizers: ["audit.example.com/hold"] } };
    await ok(k, ["create", "-f", "-"], JSON.stringify(ns));
    await ok(k, ["create", "cm", "c", "-n", "held"]);
    await ok(k, ["delete", "namespace", "held", "--wait=false"]);
    assert.match(await ok(k, ["get", "ns", "held", "--no-headers"]), /^held\s+Terminating\s/);
    assert.equal(await ok(k, ["get", "cm", "-n", "held", "-o", "name"]), "");
    const late = await k(["create", "cm", "late", "-n", "held"]);
    assert.match(late.stderr, /configmaps "late" is forbidden: unable to create new content in namespace held because it is being terminated/);
    await ok(k, ["patch", "ns", "held", "--type=json", "-p", '[{"op":"remove","path":"/metadata/finalizers"}]']);
    assert.match((await k(["get", "ns", "held"])).stderr, /namespaces "held" not found/);
  });

  it("patch: strategic merge (default), merge and JSON patch on a configmap; merge patch on CSR status", async () => {
    await ok(k, ["create", "cm", "pt", "-n", "default", "--from-literal=a=1", "--from-literal=b=2"]);
    const data = async (args: readonly string[]): Promise<unknown> => JSON.parse(await ok(k, ["patch", "cm", "pt", "-n", "default", ...args, "-o", "jsonpath={.data}"]));
    assert.deepEqual(await data(["-p", '{"data":{"a":"x","b":null}}']), { a: "x" });
    assert.deepEqual(await data(["--type=merge", "-p", '{"data":{"c":"3"}}']), { a: "x", c: "3" });
    assert.deepEqual(await data(["--type=json", "-p", '[{"op":"remove","path":"/data/a"},{"op":"add","path":"/data/d","value":"4"}]']), { c: "3", d: "4" });
    const failed = await k(["patch", "cm", "pt", "-n", "default", "--type=json", "-p", '[{"op":"test","path":"/data/d","value":"5"}]']);
    assert.match(failed.stderr, /The request is invalid: testing value \/data\/d failed/);
    // Strategic merge: metadata.finalizers is a merged primitive list in kube (patchStrategy=merge).
    await ok(k, ["patch", "cm", "pt", "-n", "default", "-p", '{"metadata":{"finalizers":["a.io/x"]}}']);
    const fin = await ok(k, ["patch", "cm", "pt", "-n", "default", "-p", '{"metadata":{"finalizers":["b.io/y"]}}', "-o", "jsonpath={.metadata.finalizers}"]);
    assert.deepEqual(JSON.parse(fin), ["a.io/x", "b.io/y"]);
    await ok(k, ["patch", "cm", "pt", "-n", "default", "--type=json", "-p", '[{"op":"remove","path":"/metadata/finalizers"}]']);

    const csr = { apiVersion: "certificates.k8s.io/v1", kind: "CertificateSigningRequest", metadata: { name: "pt-csr" }, spec: { request: csrPem(), signerName: "example.com/x", usages: ["client auth"] } };
    await ok(k, ["create", "-f", "-"], JSON.stringify(csr));
    await ok(k, ["certificate", "approve", "pt-csr"]);
    const cond = { type: "Failed", status: "True", reason: "SignerFailed", message: "no CA" };
    const types = await ok(k, ["patch", "csr", "pt-csr", "--subresource=status", "--type=merge", "-p", JSON.stringify({ status: { conditions: [cond] } })]).catch((e: unknown) => String(e));
    // Replacing the list would drop Approved, which /status may not do (kube's validation).
    assert.match(types, /updates may not remove a condition of type "Approved"|Forbidden/);
    const sm = await ok(k, ["patch", "csr", "pt-csr", "--subresource=status", "-p", JSON.stringify({ status: { conditions: [cond] } }), "-o", "jsonpath={.status.conditions[*].type}"]);
    assert.equal(sm, "Approved Failed");
    assert.match(await ok(k, ["get", "csr", "pt-csr", "--no-headers"]), /\sApproved,Failed\s*$/m);
  });
});

async function withEtcd(etcd: EtcdCluster, fn: (c: Awaited<ReturnType<typeof connectEtcd>>["client"]) => Promise<void>): Promise<void> {
  const conn = await connectEtcd({ endpoints: etcd.endpoints, caPem: etcd.caPem, certPem: etcd.certPem, keyPem: etcd.keyPem });
  try {
    await fn(conn.client);
  } finally {
    conn.client.close();
  }
}

let csrCache: string | undefined;
/** A fresh PKCS#10 request (openssl, P-256, CN=audit), base64 of its PEM as spec.request holds it. */
function csrPem(): string {
  if (csrCache !== undefined) return csrCache;
  const r = spawnSync("sh", ["-c", "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null -subj /CN=audit 2>/dev/null"], { encoding: "utf8" });
  assert.match(r.stdout, /BEGIN CERTIFICATE REQUEST/);
  csrCache = Buffer.from(r.stdout).toString("base64");
  return csrCache;
}
