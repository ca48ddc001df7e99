// Several `kpki serve` replicas on one etcd for end-to-end tests and benches: real processes
// (./bin/kpki, kill -9 able) or in-process servers, an HTTPS API client with keep-alive and an
// admin client certificate, and openssl-made CSRs.
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:https";
import { join } from "node:path";
import { issueClientCert, userKubeconfig, type PemPair } from "./certs.ts";
import type { EtcdCluster } from "./etcd.ts";
import { freePort, spawnKpki, waitUntil, type ServeProcess } from "./kpki.ts";

export interface ApiResponse {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

export interface ApiClient {
  readonly url: string;
  call(method: string, path: string, body?: unknown): Promise<ApiResponse>;
  close(): void;
}

/** mTLS JSON client with keep-alive (`maxSockets` connections at most). Network errors reject. */
export function apiClient(url: string, caPem: string, id: PemPair, maxSockets = 16): ApiClient {
  const agent = new Agent({ keepAlive: true, maxSockets, ca: caPem, cert: id.certPem, key: id.keyPem });
  const u = new URL(url);
  return {
    url,
    call: (method, path, body) =>
      new Promise((resolve, reject) => {
        const data = body === undefined ? undefined : JSON.stringify(body);
        const req = request(
          { host: u.hostname, port: u.port, method, path, agent, timeout: 20_000, headers: { accept: "application/json", ...(data ? { "content-type": "application/json" } : {}) } },
          (res) => {
            let text = "";
            res.setEncoding("utf8");
            res.on("data", (c: string) => (text += c));
            res.on("end", () => {
              let parsed: Record<string, unknown> = {};
              try {
                parsed = JSON.parse(text) as Record<string, unknown>;
              } catch {
                parsed = { text };
              }
              resolve({ status: res.statusCode ?? 0, body: parsed });
            });
            res.on("error", reject);
          },
        );
        req.on("timeout", () => req.destroy(new Error(`${method} ${path}: timed out`)));
        req.on("error", reject);
        req.end(data);
      }),
    close: () => agent.destroy(),
  };
}

/** A system:masters client certificate from the data dir's cluster CA. */
export async function adminIdentity(dir: string): Promise<{ caPem: string; id: PemPair }> {
  const caPem = readFileSync(join(dir, "pki", "ca.crt"), "utf8");
  const id = await issueClientCert({ certPem: caPem, keyPem: readFileSync(join(dir, "pki", "ca.key"), "utf8") }, { cn: "replica-test-admin", groups: ["system:masters"] });
  return { caPem, id };
}

/** Writes a kubeconfig for `url` with the admin identity; returns its path. */
export function writeKubeconfig(path: string, url: string, admin: { caPem: string; id: PemPair }): string {
  writeFileSync(path, userKubeconfig({ server: url, caPem: admin.caPem, user: "replica-test-admin", pair: admin.id }), { mode: 0o600 });
  return path;
}

export interface Replica {
  readonly url: string;
  readonly identity: string;
  readonly proc: ServeProcess;
  /** kill -9, resolves when the process has exited. */
  kill(): Promise<void>;
}

const started = new Set<ServeProcess>();
process.once("exit", () => {
  for (const p of started) p.child.kill("SIGKILL");
});

/** `./bin/kpki serve --data-dir DIR --listen 127.0.0.1:<free port> ARGS…`; resolves once it serves
 *  and (on etcd, where replicas log it) has logged its leader-election identity. */
export async function spawnServe(dir: string, args: readonly string[] = []): Promise<Replica> {
  const port = await freePort();
  const proc = spawnKpki(["serve", "--data-dir", dir, "--listen", `127.0.0.1:${port}`, ...args]);
  started.add(proc);
  void proc.exited.then(() => started.delete(proc));
  const identity = (): string | undefined => /leader election: (\S+) campaigning/.exec(proc.stderr())?.[1];
  const shared = args.includes("etcd");
  try {
    await waitUntil(() => proc.child.exitCode !== null || (/kpki serving on/.test(proc.stdout()) && (!shared || identity() !== undefined)), 30_000, `kpki serve on port ${port}`);
  } catch (err) {
    proc.child.kill("SIGKILL");
    throw new Error(`${String(err)}; stderr: ${proc.stderr().slice(-1000)}`);
  }
  if (proc.child.exitCode !== null) throw new Error(`kpki serve exited ${proc.child.exitCode}: ${proc.stderr().slice(-1000)}`);
  return {
    url: `https://127.0.0.1:${port}`,
    identity: identity() ?? "",
    proc,
    async kill() {
      if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill("SIGKILL");
      await proc.exited;
    },
  };
}

/** A replica on `etcd`: the data dir is the etcd helper's `kpki init` layout (PKI shared by all replicas). */
export function spawnReplica(dir: string, etcd: EtcdCluster, extra: readonly string[] = []): Promise<Replica> {
  return spawnServe(dir, ["--storage", "etcd", "--etcd-servers", etcd.endpoints.join(","), ...extra]);
}

/** The controllers' Lease holder as the API shows it ("" when none). */
export async function leaseHolder(client: ApiClient, name = "kpki-controller-manager"): Promise<string> {
  const r = await client.call("GET", `/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/${name}`);
  if (r.status !== 200) return "";
  return ((r.body["spec"] as { holderIdentity?: string } | undefined)?.holderIdentity) ?? "";
}

/** A PKCS#10 request made by openssl (P-256, fresh key), PEM. */
export function opensslCsr(cn: string, org = "replica-testers"): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn("openssl", ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "/dev/null", "-subj", `/O=${org}/CN=${cn}`], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    p.stderr.on("data", (d: Buffer) => (err += d.toString()));
    p.on("error", reject);
    p.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`openssl req failed: ${err}`))));
  });
}

/** `count` openssl CSRs, `parallel` openssl processes at a time. */
export async function opensslCsrs(count: number, prefix: string, parallel = 4): Promise<string[]> {
  const out: string[] = new Array<string>(count);
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    for (let i = next++; i < count; i = next++) out[i] = await opensslCsr(`${prefix}-${i}`);
  }));
  return out;
}

export const CSR_PATH = "/apis/certificates.k8s.io/v1/certificatesigningrequests";

export function csrObject(name: string, pem: string): Record<string, unknown> {
  return {
    apiVersion: "certificates.k8s.io/v1",
    kind: "CertificateSigningRequest",
    metadata: { name },
    spec: { request: Buffer.from(pem).toString("base64"), signerName: "kubernetes.io/kube-apiserver-client", usages: ["client auth"], expirationSeconds: 3600 },
  };
}

/** GET, add the Approved condition, PUT …/approval: kubectl certificate approve. Returns the PUT status. */
export async function approve(client: ApiClient, name: string): Promise<number> {
  const cur = await client.call("GET", `${CSR_PATH}/${name}`);
  if (cur.status !== 200) return cur.status;
  const status = (cur.body["status"] ?? {}) as { conditions?: unknown[] };
  const condition = { type: "Approved", status: "True", reason: "ReplicaTest", message: "approved by the replica test", lastUpdateTime: new Date().toISOString().replace(/\.\d+Z$/, "Z") };
  const next = { ...cur.body, status: { ...status, conditions: [...(status.conditions ?? []), condition] } };
  return (await client.call("PUT", `${CSR_PATH}/${name}/approval`, next)).status;
}
