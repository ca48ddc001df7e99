// Seed 001 with the real tools against kpki serve: openssl genrsa + req -subj "/CN=minjun/O=dev-team",
// base64 into the seed's csr.yaml, kubectl apply, get csr (Pending), certificate approve, the
// certificate fetched with jsonpath | base64 --decode, set-credentials --embed-certs, set-context,
// the pod-reader Role + RoleBinding, use-context, get pods OK, get deployments → the exact Forbidden
// line. Run with the installed kubectl and with kubectl.1.27 and kubectl.1.33.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFile, mkdtemp, rm, symlink, mkdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestServer, type TestServer } from "./helpers/kpki.ts";
import { kubectlBinary } from "./helpers/kubectl.ts";

// Seed 001's pod-reader-role.yaml, verbatim (Korean comments included).
const POD_READER_YAML = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  namespace: default
  name: pod-reader
rules:
- apiGroups: [""] # ""는 코어 API 그룹을 의미합니다.
  resources: ["pods"]
  verbs: ["get", "list", "watch"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: read-pods-minjun
  namespace: default
subjects:
- kind: User
  name: minjun # CSR 생성 시 CN에 지정한 사용자 이름
  apiGroup: rbac.authorization.k8s.io
roleRef:
  kind: Role
  name: pod-reader
  apiGroup: rbac.authorization.k8s.io
`;
const FORBIDDEN_DEPLOYMENTS =
  'Error from server (Forbidden): deployments.apps is forbidden: User "minjun" cannot list resource "deployments" in API group "apps" in the namespace "default"';

interface Sh {
  (cmd: string): Promise<{ code: number | null; stdout: string; stderr: string }>;
  readonly dir: string;
}

/** bash -c in a work dir whose PATH puts `kubectl` = the chosen binary first, with a fresh HOME. */
async function shell(dir: string, kubectl: string, kubeconfig: string): Promise<Sh> {
  const bin = join(dir, "bin");
  await mkdir(bin, { recursive: true });
  await symlink(kubectl, join(bin, "kubectl"));
  const env = { PATH: `${bin}:${process.env["PATH"] ?? ""}`, HOME: dir, KUBECACHEDIR: join(dir, "cache"), KUBECONFIG: kubeconfig };
  const run = (cmd: string) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn("bash", ["-c", cmd], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
      child.on("error", reject);
      child.on("close", (code) => (clearTimeout(timer), resolve({ code, stdout, stderr })));
    });
  return Object.assign(run, { dir });
}

const CSR_YAML = (b64: string) => `apiVersion: certificates.k8s.io/v1
kind: CertificateSigningRequest
metadata:
  name: minjun-csr
spec:
  request: ${b64}
  signerName: kubernetes.io/kube-apiserver-client
  usages:
  - client auth
`;

const VERSIONS: (undefined | "1.27" | "1.33")[] = [undefined, "1.27", "1.33"];

for (const version of VERSIONS) {
  const binary = kubectlBinary(version);
  describe(`seed 001 with kubectl ${version ?? "(dispatcher)"}`, { skip: binary === undefined && "kubectl not installed" }, () => {
    let server: TestServer;
    let work: string;
    let sh: Sh;
    before(async () => {
      server = await startTestServer();
      work = await mkdtemp(join(tmpdir(), "kpki-seed001-"));
      const kubeconfig = join(work, "config");
      await copyFile(server.adminConf, kubeconfig);
      sh = await shell(work, binary!, kubeconfig);
    });
    after(async () => {
      await server?.close();
      if (work) await rm(work, { recursive: true, force: true });
    });

    it("walks the seed end to end", async () => {
      const ok = async (cmd: string) => {
        const r = await sh(cmd);
        assert.equal(r.code, 0, `${cmd}\n${r.stderr}`);
        return r.stdout;
      };
      await ok("openssl genrsa -out minjun.key 2048");
      await ok('openssl req -new -key minjun.key -out minjun.csr -subj "/CN=minjun/O=dev-team"');
      const b64 = (await ok("cat minjun.csr | base64 -w 0")).trim();
      await writeFile(join(work, "csr.yaml"), CSR_YAML(b64));
      assert.equal((await ok("kubectl apply -f csr.yaml")).trim(), "certificatesigningrequest.certificates.k8s.io/minjun-csr created");
      const pending = await ok("kubectl get csr");
      assert.match(pending, /^NAME\s+AGE\s+SIGNERNAME\s+REQUESTOR\s+REQUESTEDDURATION\s+CONDITION$/m);
      assert.match(pending, /^minjun-csr\s+\S+\s+kubernetes\.io\/kube-apiserver-client\s+kubernetes-admin\s+<none>\s+Pending$/m);
      assert.equal((await ok("kubectl certificate approve minjun-csr")).trim(), "certificatesigningrequest.certificates.k8s.io/minjun-csr approved");
      let cond = "";
      for (let i = 0; i < 100 && !cond.includes("Approved,Issued"); i++) {
        cond = await ok("kubectl get csr minjun-csr --no-headers");
        if (!cond.includes("Issued")) await new Promise((r) => setTimeout(r, 100)); // the signer is another loop
      }
      assert.match(cond, /Approved,Issued/);
      await ok("kubectl get csr minjun-csr -o jsonpath='{.status.certificate}' | base64 --decode > minjun.crt");
      const subject = await ok("openssl x509 -in minjun.crt -noout -subject");
      assert.match(subject, /CN\s*=\s*minjun, O\s*=\s*dev-team|O\s*=\s*dev-team, CN\s*=\s*minjun/);
      await ok("openssl verify -CAfile <(kubectl config view --raw --minify -o jsonpath='{.clusters[0].cluster.certificate-authority-data}' | base64 --decode) minjun.crt");
      await ok("kubectl config set-credentials minjun --client-key=minjun.key --client-certificate=minjun.crt --embed-certs=true");
      // Verbatim: `cut -d/ -f2` of "kubernetes-admin@kubernetes" is the whole context name, which kpki's
      // admin.conf also defines as a cluster (cluster/kubeconfig-alias.ts).
      await ok("kubectl config set-context minjun-context --cluster=$(kubectl config current-context | cut -d/ -f2) --user=minjun");
      assert.match(await ok("kubectl config get-contexts"), /minjun-context/);
      await writeFile(join(work, "pod-reader-role.yaml"), POD_READER_YAML);
      await ok("kubectl apply -f pod-reader-role.yaml");
      await ok("kubectl config use-context minjun-context");
      const pods = await sh("kubectl get pods --namespace=default");
      assert.equal(pods.code, 0, pods.stderr);
      assert.match(pods.stdout + pods.stderr, /No resources found in default namespace\.|NAME/);
      const dep = await sh("kubectl get deployments --namespace=default");
      assert.equal(dep.code, 1);
      assert.equal(dep.stderr.trim(), FORBIDDEN_DEPLOYMENTS);
    });
  });
}
