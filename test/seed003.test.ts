// Seed 003 (Kubernetes docs "Manage TLS certificates in a cluster") with the real tools: the cfssl
// genkey JSON (hosts + ecdsa 256) through `kpki cfssl` and Debian's cfssl, the CSR object with
// signerName kubernetes.io/kubelet-serving and its usages, `kubectl describe csr`, approve, download
// server.crt, then an HTTPS server on server.crt + server-key.pem that `curl --cacert` accepts.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { kpkiCommand } from "../src/cli/testing.ts";
import { startTestServer, type TestServer } from "./helpers/kpki.ts";
import { kubectlBinary } from "./helpers/kubectl.ts";

const GENKEY_JSON = `{
  "hosts": [
    "my-svc.my-namespace.svc.cluster.local",
    "my-pod.my-namespace.pod.cluster.local",
    "192.0.2.24",
    "10.0.34.2"
  ],
  "CN": "system:node:my-pod.my-namespace.pod.cluster.local",
  "key": {
    "algo": "ecdsa",
    "size": 256
  },
  "names": [
    {
      "O": "system:nodes"
    }
  ]
}`;

type Run = (cmd: string) => Promise<{ code: number | null; stdout: string; stderr: string }>;

async function shell(dir: string, kubeconfig: string, kubectl: string): Promise<Run> {
  const bin = join(dir, "bin");
  await mkdir(bin, { recursive: true });
  await symlink(kubectl, join(bin, "kubectl"));
  const [node, ...pre] = await kpkiCommand();
  await writeFile(join(bin, "kpki"), `#!/bin/sh\nexec ${[node, ...pre].map((a) => `'${a}'`).join(" ")} "$@"\n`);
  await chmod(join(bin, "kpki"), 0o755);
  const env = { PATH: `${bin}:${process.env["PATH"] ?? ""}`, HOME: dir, KUBECACHEDIR: join(dir, "cache"), KUBECONFIG: kubeconfig };
  return (cmd) =>
    new Promise((resolve, reject) => {
      const child = spawn("bash", ["-c", cmd], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
      child.on("error", reject);
      child.on("close", (code) => (clearTimeout(timer), resolve({ code, stdout, stderr })));
    });
}

const HAVE_CFSSL = existsSync("/usr/bin/cfssl") && existsSync("/usr/bin/cfssljson");

const GENKEYS = [
  { name: "kpki cfssl", genkey: "kpki cfssl genkey - | kpki cfssljson -bare server" },
  { name: "Debian cfssl", genkey: "cfssl genkey - | cfssljson -bare server" },
];
// Both genkey flavours with the installed kubectl; kpki's with kubectl 1.27 and 1.33 as well.
const FLAVOURS = [
  ...GENKEYS.map((g) => ({ ...g, version: undefined })),
  { ...GENKEYS[0]!, version: "1.27" as const },
  { ...GENKEYS[0]!, version: "1.33" as const },
];

describe("seed 003", { skip: kubectlBinary() === undefined && "kubectl not installed" }, () => {
  let server: TestServer;
  let work: string;
  before(async () => {
    server = await startTestServer();
    work = await mkdtemp(join(tmpdir(), "kpki-seed003-"));
  });
  after(async () => {
    await server?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  for (const [i, f] of FLAVOURS.entries()) {
    const binary = kubectlBinary(f.version);
    const skip = binary === undefined ? `kubectl ${f.version ?? ""} not installed` : f.name.startsWith("Debian") && !HAVE_CFSSL ? "cfssl not installed" : false;
    it(`${f.name}, kubectl ${f.version ?? "(dispatcher)"}: genkey, kubelet-serving CSR, describe, approve, download, HTTPS with curl --cacert`, { skip }, async () => {
      const dir = join(work, `f${i}`);
      await mkdir(dir);
      const kubeconfig = join(dir, "config");
      await copyFile(server.adminConf, kubeconfig);
      const sh = await shell(dir, kubeconfig, binary!);
      const ok = async (cmd: string) => {
        const r = await sh(cmd);
        assert.equal(r.code, 0, `${cmd}\n${r.stderr}`);
        return r;
      };
      await ok(`cat <<EOF | ${f.genkey}\n${GENKEY_JSON}\nEOF`);
      assert.match(await readFile(join(dir, "server.csr"), "utf8"), /^-----BEGIN CERTIFICATE REQUEST-----/);
      assert.match(await readFile(join(dir, "server-key.pem"), "utf8"), /PRIVATE KEY-----/);
      const name = `my-svc.my-namespace${i === 0 ? "" : `-${i}`}`;
      await ok(`cat <<EOF | kubectl apply -f -
apiVersion: certificates.k8s.io/v1
kind: CertificateSigningRequest
metadata:
  name: ${name}
spec:
  request: $(cat server.csr | base64 | tr -d '\\n')
  signerName: kubernetes.io/kubelet-serving
  usages:
  - digital signature
  - key encipherment
  - server auth
EOF`);
      const desc = (await ok(`kubectl describe csr ${name}`)).stdout;
      assert.match(desc, /^Requesting User:\s+kubernetes-admin$/m);
      assert.match(desc, /^Status:\s+Pending$/m);
      assert.match(desc, /Common Name:\s+system:node:my-pod\.my-namespace\.pod\.cluster\.local/);
      assert.match(desc, /DNS Names:\s+my-svc\.my-namespace\.svc\.cluster\.local/);
      assert.match(desc, /IP Addresses:\s+192\.0\.2\.24\s+10\.0\.34\.2/);
      await ok(`kubectl certificate approve ${name}`);
      let get = "";
      for (let n = 0; n < 100 && !get.includes("Approved,Issued"); n++) {
        get = (await ok(`kubectl get csr ${name} --no-headers`)).stdout;
        if (!get.includes("Issued")) await new Promise((r) => setTimeout(r, 100));
      }
      assert.match(get, /Approved,Issued/);
      await ok(`kubectl get csr ${name} -o jsonpath='{.status.certificate}' | base64 --decode > server.crt`);
      const https = createServer({ cert: await readFile(join(dir, "server.crt")), key: await readFile(join(dir, "server-key.pem")) }, (_q, s) => s.end("hello from my-svc\n"));
      await new Promise<void>((r) => https.listen(0, "127.0.0.1", r));
      try {
        const port = (https.address() as AddressInfo).port;
        await writeFile(join(dir, "ca.crt"), server.ca.certPem);
        const host = "my-svc.my-namespace.svc.cluster.local";
        const curl = await sh(`curl -sS --cacert ca.crt --resolve ${host}:${port}:127.0.0.1 https://${host}:${port}/`);
        assert.equal(curl.code, 0, curl.stderr);
        assert.equal(curl.stdout, "hello from my-svc\n");
        const ip = await sh(`curl -sS --cacert ca.crt --resolve 192.0.2.24:${port}:127.0.0.1 https://192.0.2.24:${port}/ --connect-to 192.0.2.24:${port}:127.0.0.1:${port}`);
        assert.equal(ip.code, 0, ip.stderr);
        await ok("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other.key -out other-ca.crt -subj /CN=other -days 1 2>/dev/null");
        const wrong = await sh(`curl -sS --cacert other-ca.crt --resolve ${host}:${port}:127.0.0.1 https://${host}:${port}/`);
        assert.notEqual(wrong.code, 0, "a different trust anchor is refused");
      } finally {
        await new Promise((r) => https.close(r));
      }
    });
  }
});

