// Real etcd for end-to-end tests: 1 or 3 members of Debian's etcd-server on free loopback ports,
// client and peer TLS with client-cert-auth, certificates from `kpki init` (kubeadm layout) — or,
// while that is unavailable, from openssl in the same layout — and the members started with exactly
// the flags `kpki etcd flags` prints. Data lives in a temp dir (tmpfs when there is one).
import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { etcdMemberFlags } from "../../src/cli/cmd-etcd.ts";
import { connectEtcd } from "../../src/storage/etcd/client.ts";

const ETCD = "/usr/bin/etcd";
const REPO = resolve(import.meta.dirname, "../..");

export interface EtcdMember {
  readonly name: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  readonly flags: readonly string[];
  process: ChildProcess | undefined;
}

export interface EtcdCluster {
  readonly dir: string;
  readonly endpoints: string[];
  readonly members: EtcdMember[];
  /** TLS material for clients: etcd/ca.crt and apiserver-etcd-client.{crt,key}. */
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
  /** Where the certificates came from. */
  readonly certSource: "kpki init" | "openssl";
  /** The index of the member that is raft leader now. */
  leaderIndex(): Promise<number>;
  /** kill -9 one member and wait for it to exit. */
  kill(index: number): Promise<void>;
  /** Start a stopped member again (same data dir) and wait until it answers. */
  restart(index: number): Promise<void>;
  stop(): Promise<void>;
}

export function etcdAvailable(): boolean {
  return existsSync(ETCD);
}

/** `baseDir`: where data goes (default tmpfs /dev/shm for fast tests; benchmarks pass a disk dir). */
export async function startEtcd(options: { members?: 1 | 3; baseDir?: string } = {}): Promise<EtcdCluster> {
  const n = options.members ?? 1;
  const base = options.baseDir ?? (existsSync("/dev/shm") ? "/dev/shm" : tmpdir());
  const dir = mkdtempSync(join(base, "kpki-etcd-"));
  const certSource = makeCertificates(dir);
  const ports = await freePorts(2 * n);
  const peers = Array.from({ length: n }, (_, i) => ({ name: `m${i}`, peerUrl: `https://127.0.0.1:${ports[2 * i + 1]}` }));
  const members: EtcdMember[] = peers.map((p, i) => {
    const clientUrl = `https://127.0.0.1:${ports[2 * i]}`;
    const flags = [
      ...etcdMemberFlags({ dir, name: p.name, peers, clientUrl, dataDir: join(dir, `${p.name}.etcd`) }),
      "--initial-cluster-token=kpki-test",
      "--log-level=error",
      "--logger=zap",
    ];
    return { name: p.name, clientUrl, peerUrl: p.peerUrl, flags, process: undefined };
  });
  const pem = (f: string): string => readFileSync(join(dir, "pki", f), "utf8");
  const cluster: EtcdCluster = {
    dir,
    endpoints: members.map((m) => m.clientUrl),
    members,
    caPem: pem("etcd/ca.crt"),
    certPem: pem("apiserver-etcd-client.crt"),
    keyPem: pem("apiserver-etcd-client.key"),
    certSource,
    async leaderIndex() {
      for (let i = 0; i < members.length; i++) {
        const conn = await connectEtcd({ endpoints: [(members[i] as EtcdMember).clientUrl], caPem: cluster.caPem, certPem: cluster.certPem, keyPem: cluster.keyPem });
        try {
          const st = await conn.client.maintenance.status(conn.deadline());
          if (st.leader === st.header.member_id) return i;
        } finally {
          conn.close();
        }
      }
      throw new Error("no etcd member reports itself as leader");
    },
    async kill(i) {
      const m = members[i] as EtcdMember;
      const p = m.process;
      m.process = undefined;
      if (p && p.exitCode === null) {
        const exited = new Promise((r) => p.once("exit", r));
        p.kill("SIGKILL");
        await exited;
      }
    },
    async restart(i) {
      const m = members[i] as EtcdMember;
      launch(dir, m);
      await waitReady(cluster, [m]);
    },
    async stop() {
      for (let i = 0; i < members.length; i++) await cluster.kill(i);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  for (const m of members) launch(dir, m);
  try {
    await waitReady(cluster, members);
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}

/** Every etcd this process started, killed if the test process exits without stopping them. */
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const p of running) p.kill("SIGKILL");
});

function launch(dir: string, m: EtcdMember): void {
  const log = openSync(join(dir, `${m.name}.log`), "a");
  const p = spawn(ETCD, m.flags, { stdio: ["ignore", log, log] });
  running.add(p);
  p.once("exit", () => running.delete(p));
  m.process = p;
}

async function waitReady(c: EtcdCluster, members: readonly EtcdMember[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (const m of members) {
    const conn = await connectEtcd({ endpoints: [m.clientUrl], caPem: c.caPem, certPem: c.certPem, keyPem: c.keyPem, requestTimeoutMs: 1000 });
    try {
      for (;;) {
        try {
          await conn.client.kv.range({ key: Buffer.from("/ready-probe") }, conn.deadline());
          break;
        } catch (err) {
          if (m.process?.exitCode !== null && m.process?.exitCode !== undefined) {
            throw new Error(`etcd ${m.name} exited (${m.process.exitCode}): ${readFileSync(join(c.dir, `${m.name}.log`), "utf8").slice(-2000)}`);
          }
          if (Date.now() > deadline) throw new Error(`etcd ${m.name} not ready in 30 s: ${String(err)}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    } finally {
      conn.close();
    }
  }
}

async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<import("node:net").Server>((res, rej) => {
      const s = createServer();
      s.once("error", rej);
      s.listen(0, "127.0.0.1", () => res(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as import("node:net").AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/** `kpki init --dir DIR` when it runs; otherwise openssl writes the same files. */
function makeCertificates(dir: string): "kpki init" | "openssl" {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(REPO, "src/main/cli.ts"), "init", "--dir", dir], { cwd: REPO, encoding: "utf8" });
  const needed = ["etcd/ca.crt", "etcd/server.crt", "etcd/server.key", "etcd/peer.crt", "etcd/peer.key", "apiserver-etcd-client.crt", "apiserver-etcd-client.key"];
  if (r.status === 0 && needed.every((f) => existsSync(join(dir, "pki", f)))) return "kpki init";
  opensslCertificates(join(dir, "pki"));
  return "openssl";
}

function opensslCertificates(pki: string): void {
  const sh = (args: string[]): void => {
    const r = spawnSync("openssl", args, { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
  };
  spawnSync("mkdir", ["-p", join(pki, "etcd")]);
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  sh(["req", "-x509", ...ec, "-keyout", join(pki, "etcd/ca.key"), "-out", join(pki, "etcd/ca.crt"), "-days", "2", "-subj", "/CN=etcd-ca",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
  const leaf = (file: string, subj: string, ext: string): void => {
    const extFile = join(pki, `${file.replace("/", "-")}.ext`);
    writeFileSync(extFile, `${ext}\nkeyUsage=critical,digitalSignature,keyEncipherment\n`);
    sh(["req", "-new", ...ec, "-keyout", join(pki, `${file}.key`), "-out", join(pki, `${file}.csr`), "-subj", subj]);
    sh(["x509", "-req", "-in", join(pki, `${file}.csr`), "-CA", join(pki, "etcd/ca.crt"), "-CAkey", join(pki, "etcd/ca.key"),
      "-CAcreateserial", "-days", "2", "-out", join(pki, `${file}.crt`), "-extfile", extFile]);
  };
  const both = "extendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1";
  leaf("etcd/server", "/CN=localhost", both);
  leaf("etcd/peer", "/CN=localhost", both);
  leaf("apiserver-etcd-client", "/O=system:masters/CN=kube-apiserver-etcd-client", "extendedKeyUsage=clientAuth");
}

/** SIGSTOP a member and wait until every one of its threads is stopped ("T" in /proc): kill() only
 *  queues the signal, and a request sent in the next instant could still be answered. */
export async function freezeMember(member: EtcdMember): Promise<void> {
  const pid = member.process?.pid;
  if (pid === undefined) throw new Error(`etcd member ${member.name} is not running`);
  member.process?.kill("SIGSTOP");
  const stopped = (): boolean => {
    try {
      return readdirSync(`/proc/${pid}/task`).every((t) => / T /.test(readFileSync(`/proc/${pid}/task/${t}/stat`, "utf8").replace(/^.*\)/, ")")));
    } catch {
      return false;
    }
  };
  for (const end = Date.now() + 5000; !stopped(); ) {
    if (Date.now() > end) throw new Error(`etcd member ${member.name} did not stop`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
