// `kpki user add` against kpki serve with the real kubectl: the kubeconfig it writes works at once
// (seed 001 in one command), and a caller who may not approve waits for `kubectl certificate approve`.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nodeIo } from "../src/cli/index.ts";
import { command as userAdd } from "../src/cli/cmd-user.ts";
import { issueClientCert, userKubeconfig } from "./helpers/certs.ts";
import { startTestServer, type TestServer } from "./helpers/kpki.ts";
import { createKubectl, kubectlBinary, type Kubectl } from "./helpers/kubectl.ts";

const POD_READER = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  namespace: default
  name: pod-reader
rules:
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "list", "watch"]
`;

const CSR_REQUESTER = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: csr-requester
rules:
- apiGroups: ["certificates.k8s.io"]
  resources: ["certificatesigningrequests"]
  verbs: ["create", "get", "list", "watch"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: csr-requester
subjects:
- kind: User
  name: requester
  apiGroup: rbac.authorization.k8s.io
roleRef:
  kind: ClusterRole
  name: csr-requester
  apiGroup: rbac.authorization.k8s.io
`;

function io(cwd: string) {
  const out: string[] = [];
  const err: string[] = [];
  return { io: nodeIo({ cwd, stdout: (s) => void out.push(s), stderr: (s) => void err.push(s) }), out, err };
}

describe("kpki user add", { skip: kubectlBinary() === undefined && "kubectl not installed" }, () => {
  let server: TestServer;
  let work: string;
  let admin: Kubectl;
  before(async () => {
    server = await startTestServer();
    work = await mkdtemp(join(tmpdir(), "kpki-useradd-"));
    admin = createKubectl(server.adminConf);
    const r = await admin(["apply", "-f", "-"], { input: `${POD_READER}---\n${CSR_REQUESTER}` });
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    admin?.cleanup();
    await server?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("writes a kubeconfig kubectl uses at once (seed 001 in one command)", async () => {
    const c = io(work);
    const code = await userAdd.run(["add", "minjun", "--group", "dev-team", "--role", "pod-reader", "--namespace", "default", "--ttl", "24h", "--kubeconfig", server.adminConf, "-o", "minjun.conf"], c.io);
    assert.equal(code, 0, c.err.join(""));
    assert.match(c.out.join(""), /certificatesigningrequest\.certificates\.k8s\.io\/minjun-[0-9a-f]{8} approved/);
    assert.match(c.out.join(""), /rolebinding\.rbac\.authorization\.k8s\.io\/kpki-user-minjun-pod-reader created/);
    assert.equal((await stat(join(work, "minjun.conf"))).mode & 0o777, 0o600);
    const minjun = createKubectl(join(work, "minjun.conf"));
    try {
      const pods = await minjun(["get", "pods"]);
      assert.equal(pods.code, 0, pods.stderr);
      const dep = await minjun(["get", "deployments"]);
      assert.equal(dep.stderr.trim(), 'Error from server (Forbidden): deployments.apps is forbidden: User "minjun" cannot list resource "deployments" in API group "apps" in the namespace "default"');
      const who = await minjun(["auth", "whoami", "-o", "jsonpath={.status.userInfo.groups}"]);
      if (who.code === 0) assert.match(who.stdout, /dev-team/);
    } finally {
      minjun.cleanup();
    }
    const csrs = await admin(["get", "csr", "--no-headers"]);
    assert.match(csrs.stdout, /minjun-[0-9a-f]{8}\s+\S+\s+kubernetes\.io\/kube-apiserver-client\s+kubernetes-admin\s+24h\s+Approved,Issued/);
  });

  it("a caller who may not approve prints the kubectl line and waits for an approver", async () => {
    const pair = await issueClientCert(server.ca, { cn: "requester" });
    const conf = join(work, "requester.conf");
    await writeFile(conf, userKubeconfig({ server: server.url, caPem: server.ca.certPem, user: "requester", pair }), { mode: 0o600 });
    const c = io(work);
    const running = userAdd.run(["add", "ana", "--kubeconfig", conf, "-o", "ana.conf", "--wait", "60s"], c.io);
    let name = "";
    for (let i = 0; i < 200 && name === ""; i++) {
      name = /kubectl certificate approve (\S+)/.exec(c.err.join(""))?.[1] ?? "";
      if (name === "") await new Promise((r) => setTimeout(r, 50));
    }
    assert.notEqual(name, "", c.err.join(""));
    const ap = await admin(["certificate", "approve", name]);
    assert.equal(ap.code, 0, ap.stderr);
    assert.equal(await running, 0);
    const ana = createKubectl(join(work, "ana.conf"));
    try {
      const r = await ana(["get", "pods"]);
      assert.equal(r.stderr.trim(), 'Error from server (Forbidden): pods is forbidden: User "ana" cannot list resource "pods" in API group "" in the namespace "default"');
    } finally {
      ana.cleanup();
    }
  });
});
