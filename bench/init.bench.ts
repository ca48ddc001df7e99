// `kpki init` (in-process, P-256) for 3 and 1000 nodes against a cfssl process loop and an openssl
// process loop that make the same certificates (one process per certificate: `cfssl gencert` /
// `openssl req -x509 -CA`). The 1000-node process loops are extrapolated from a 100-node run
// (per-certificate cost × certificate count), which the notes say.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import type { Reporter } from "./run.ts";
import { nodeIo, runCli } from "../src/cli/index.ts";
import { clusterCertSpecs, type CertSpec } from "../src/cluster/index.ts";
import { DEFAULT_CLUSTER, clusterSpecFromObject, type ClusterSpec } from "../src/config/index.ts";

function specFor(nodes: number): ClusterSpec {
  if (nodes === 3) return DEFAULT_CLUSTER;
  const workers = Array.from({ length: nodes - 1 }, (_, i) => ({ name: `node-${i}`, ips: [`10.${Math.floor(i / 65536) % 256}.${Math.floor(i / 256) % 256}.${i % 256}`] }));
  return clusterSpecFromObject({ controlPlane: [{ name: "server", ips: ["192.168.10.100"] }], workers }, "bench");
}

function yamlFor(spec: ClusterSpec): string {
  return JSON.stringify({ controlPlane: spec.controlPlane, workers: spec.workers }); // JSON is YAML
}

let lastCpu = { user: 0, system: 0 };
const SHM = "/dev/shm";
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** Output trees are removed only at the end of the bench: see `cleanUp`. */
const outputs: string[] = [];

async function kpkiInit(nodes: number, base = tmpdir()): Promise<number> {
  const work = mkdtempSync(join(base, "kpki-bench-"));
  outputs.push(work);
  writeFileSync(join(work, "cluster.yaml"), yamlFor(specFor(nodes)));
  const io = nodeIo({ stdout: () => undefined, stderr: () => undefined });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const code = await runCli(["init", "--dir", join(work, "out"), "--config", join(work, "cluster.yaml")], io);
  const s = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  lastCpu = { user: cpu.user / 1e6, system: cpu.system / 1e6 };
  if (code !== 0) throw new Error("kpki init failed");
  return s;
}

/** A fresh journaled ext4 (an image file, loop-mounted) for the disk figure: this VM's root file system
 *  has no journal, and ext4 without one skips inodes freed in the last 1–6 minutes one by one while
 *  allocating (the kernel's recently_deleted()), so on it the same init swings 1.2–2.5 s with whatever
 *  deleted files before (the test suite, a previous bench). Needs root, mkfs.ext4 and a loop device. */
function freshExt4(): { dir: string; close(): void } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const image = join(tmpdir(), `kpki-bench-ext4-${process.pid}.img`);
  const dir = mkdtempSync(join(tmpdir(), "kpki-bench-mnt-"));
  const ok = (cmd: string, args: string[]): boolean => spawnSync(cmd, args, { stdio: "ignore" }).status === 0;
  const close = (): void => {
    ok("umount", [dir]);
    rmSync(image, { force: true });
    rmSync(dir, { recursive: true, force: true });
  };
  writeFileSync(image, "");
  if (ok("truncate", ["-s", "1G", image]) && ok("mkfs.ext4", ["-q", "-F", image]) && ok("mount", ["-o", "loop", image, dir])) return { dir, close };
  close();
  return undefined;
}

const run = (cmd: string, args: string[], cwd: string): void => {
  const r = spawnSync(cmd, args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.slice(0, 3).join(" ")}: ${r.stderr.toString().slice(0, 200)}`);
};

const subjectOf = (s: CertSpec): string => `${s.organizations.map((o) => `/O=${o}`).join("")}/CN=${s.commonName}`;
const caFile = (name: string): string => name.replace(/[^a-z0-9-]/g, "_");

/** One `cfssl gencert` per certificate (initca for CAs), output kept as JSON files. */
function cfsslLoop(specs: CertSpec[], work: string): void {
  writeFileSync(join(work, "cfg.json"), JSON.stringify({ signing: { profiles: { s: { expiry: "8760h", usages: ["signing", "server auth", "client auth"] } } } }));
  for (const s of specs) {
    const req = { CN: s.commonName, hosts: [...s.sans.dns, ...s.sans.ip], key: { algo: "ecdsa", size: 256 }, names: s.organizations.map((O) => ({ O })) };
    writeFileSync(join(work, "req.json"), JSON.stringify(req));
    const out = join(work, `${caFile(s.name)}.json`);
    const args = s.isCa ? ["gencert", "-initca", "req.json"] : ["gencert", `-ca=${caFile(s.ca!)}.pem`, `-ca-key=${caFile(s.ca!)}-key.pem`, "-config=cfg.json", "-profile=s", "req.json"];
    const r = spawnSync("cfssl", args, { cwd: work, stdio: ["ignore", "pipe", "pipe"] });
    if (r.status !== 0) throw new Error(`cfssl: ${r.stderr.toString().slice(0, 200)}`);
    writeFileSync(out, r.stdout);
    if (s.isCa) {
      const j = JSON.parse(r.stdout.toString()) as { cert: string; key: string };
      writeFileSync(join(work, `${caFile(s.name)}.pem`), j.cert);
      writeFileSync(join(work, `${caFile(s.name)}-key.pem`), j.key);
    }
  }
}

/** One `openssl req -x509 [-CA]` per certificate: new P-256 key + certificate with SANs and EKU. */
function opensslLoop(specs: CertSpec[], work: string): void {
  for (const s of specs) {
    const base = caFile(s.name);
    const args = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${base}.key`, "-out", `${base}.crt`, "-days", s.isCa ? "3650" : "365", "-subj", subjectOf(s)];
    if (!s.isCa) {
      args.push("-CA", `${caFile(s.ca!)}.crt`, "-CAkey", `${caFile(s.ca!)}.key`);
      const eku = s.usages.filter((u) => u.endsWith(" auth")).map((u) => (u === "server auth" ? "serverAuth" : "clientAuth"));
      if (eku.length) args.push("-addext", `extendedKeyUsage=${eku.join(",")}`);
      const sans = [...s.sans.dns.map((d) => `DNS:${d}`), ...s.sans.ip.map((i) => `IP:${i}`)];
      if (sans.length) args.push("-addext", `subjectAltName=${sans.join(",")}`);
    }
    run("openssl", args, work);
  }
}

function timeLoop(loop: (specs: CertSpec[], work: string) => void, specs: CertSpec[]): number {
  const work = mkdtempSync(join(tmpdir(), "kpki-bench-loop-"));
  const t0 = performance.now();
  outputs.push(work);
  loop(specs, work);
  return (performance.now() - t0) / 1000;
}

export default async function bench(r: Reporter): Promise<void> {
  try {
    await measure(r);
  } finally {
    for (const dir of outputs.splice(0)) rmSync(dir, { recursive: true, force: true });
  }
}

async function measure(r: Reporter): Promise<void> {
  await kpkiInit(3); // warm-up (module loading, JIT)
  const specs3 = clusterCertSpecs(specFor(3));
  const specs100 = clusterCertSpecs(specFor(100));
  const specs1000 = clusterCertSpecs(specFor(1000));
  const ours3 = await kpkiInit(3);
  const load = loadavg()[0] ?? 0;
  // Median of three: one 1000-node run is seconds of file creation, and other jobs on a shared VM
  // make single runs swing ±50 %.
  const ours1000 = median([await kpkiInit(1000), await kpkiInit(1000), await kpkiInit(1000)]);
  const cpu1000 = lastCpu;
  const ext4 = freshExt4();
  let onExt4: number | undefined;
  try {
    if (ext4) onExt4 = median([await kpkiInit(1000, ext4.dir), await kpkiInit(1000, ext4.dir), await kpkiInit(1000, ext4.dir)]);
  } finally {
    ext4?.close();
  }
  const shm = existsSync(SHM) ? median([await kpkiInit(1000, SHM), await kpkiInit(1000, SHM), await kpkiInit(1000, SHM)]) : undefined;
  const cfssl3 = timeLoop(cfsslLoop, specs3);
  const openssl3 = timeLoop(opensslLoop, specs3);
  r.row({ name: `kpki init, 3 nodes (${specs3.length} certs, P-256)`, ours: ours3, peer: cfssl3, peerName: "cfssl loop", unit: "s", lowerIsBetter: true });
  r.row({ name: `kpki init, 3 nodes vs openssl loop`, ours: ours3, peer: openssl3, peerName: "openssl loop", unit: "s", lowerIsBetter: true });
  const cfssl100 = timeLoop(cfsslLoop, specs100);
  const openssl100 = timeLoop(opensslLoop, specs100);
  const scale = specs1000.length / specs100.length;
  r.row({ name: `kpki init, 1000 nodes (${specs1000.length} certs, P-256), files in ${tmpdir()}`, ours: ours1000, peer: cfssl100 * scale, peerName: "cfssl loop", unit: "s", lowerIsBetter: true, note: `cfssl measured ${cfssl100.toFixed(2)} s for 100 nodes, ×${scale.toFixed(2)}; this VM's root ext4 has no journal, see the note` });
  if (onExt4 !== undefined) {
    r.row({ name: `kpki init, 1000 nodes, files on a fresh ext4 (journaled)`, ours: onExt4, peer: cfssl100 * scale, peerName: "cfssl loop", unit: "s", lowerIsBetter: true, note: "a loop-mounted image: a disk file system without this VM's root fs quirks" });
  } else r.note("the fresh-ext4 row needs root, mkfs.ext4 and a loop device; skipped");
  if (shm !== undefined) {
    r.row({ name: `kpki init, 1000 nodes, files on tmpfs (${SHM})`, ours: shm, peer: cfssl100 * scale, peerName: "cfssl loop", unit: "s", lowerIsBetter: true, note: "the same work without this VM's disk: what kpki itself costs" });
  }
  r.row({ name: `kpki init, 1000 nodes vs openssl loop`, ours: ours1000, peer: openssl100 * scale, peerName: "openssl loop", unit: "s", lowerIsBetter: true, note: `openssl measured ${openssl100.toFixed(2)} s for 100 nodes, ×${scale.toFixed(2)}` });
  r.note(`kpki init 1000 nodes used ${(cpu1000.user + cpu1000.system).toFixed(2)} s of CPU (user ${cpu1000.user.toFixed(2)} + sys ${cpu1000.system.toFixed(2)}, all threads) for ${ours1000.toFixed(2)} s wall, load average ${load.toFixed(1)} before it on ${availableParallelism()} CPUs; sys is the kernel creating and fsyncing ~5,000 files, wall above CPU is waiting on the disk and, on a busy machine, other processes.`);
  r.note("goal (issue 2): 1000 nodes ≥ 20× as fast as the cfssl loop");
  r.note("on an ext4 without a journal (this VM's root), allocating inodes right after many were deleted scans past each recently freed one (kernel recently_deleted(), up to 6 min): the tmpdir row then swings 1.2–2.5 s with what ran before; the fresh-ext4 row does not");
  r.note("kpki: in-process, median of 3 runs, files written to a temp dir (keys 0600, atomic renames, fsynced) and kubeconfigs included;");
  r.note("process loops: one process per certificate, same CN/O/SANs, 1000-node figures extrapolated linearly from 100 nodes.");
}
