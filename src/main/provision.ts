// The PKI `kpki serve` runs on. On an empty data dir it provisions exactly what `kpki init --dir DIR`
// writes (it runs that very command), later starts reuse the files as they are. With explicit
// --client-ca-file/--tls-cert-file/--tls-private-key-file it serves an existing PKI (kubeadm's too).
import { readFile, writeFile, access, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { findCommand, nodeIo } from "../cli/index.ts";
import { addContextClusterAlias } from "../cluster/index.ts";
import { parseCertificatesPem, type Certificate } from "../pki/index.ts";

export interface ServingPki {
  readonly clientCas: readonly Certificate[];
  readonly clientCaPem: string;
  readonly tlsCertPem: string;
  readonly tlsKeyPem: string;
  /** The cluster CA (cert + key PEM) when kpki provisioned the dir: the CSR signers use it. */
  readonly clusterCa?: { readonly certPem: string; readonly keyPem: string };
  /** Whether this start wrote the PKI. */
  readonly provisioned: boolean;
}

export interface PkiFiles {
  readonly clientCaFile?: string;
  readonly tlsCertFile?: string;
  readonly tlsKeyFile?: string;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

export async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : String(err);
    throw new Error(`cannot read ${what} ${path}: ${why}`);
  }
}

/** Runs `kpki init --dir DIR --server URL` in-process, quietly (its plan goes nowhere). A service range
 *  (--service-cluster-ip-range) becomes the spec's serviceCIDR, so the serving certificate names the
 *  kubernetes Service's address of that range, as `kpki init` with that serviceCIDR would. */
async function runInit(dataDir: string, server: string, serviceCidr: string | undefined): Promise<void> {
  const entry = findCommand("init");
  if (entry === undefined) throw new Error("the init command is missing from this build");
  const { command } = await entry.load();
  const errors: string[] = [];
  const io = nodeIo({ stdout: () => undefined, stderr: (s) => void errors.push(s) });
  const spec = serviceCidr === undefined ? undefined : await mkdtemp(join(tmpdir(), "kpki-spec-"));
  try {
    const config: string[] = [];
    if (spec !== undefined) {
      await writeFile(join(spec, "cluster.yaml"), `serviceCIDR: ${JSON.stringify(serviceCidr)}\n`);
      config.push("--config", join(spec, "cluster.yaml"));
    }
    const code = await command.run(["--dir", dataDir, "--server", server, ...config], io);
    if (code !== 0) throw new Error(`provisioning ${dataDir} failed: ${errors.join("").trim() || `exit ${code}`}`);
  } finally {
    if (spec !== undefined) await rm(spec, { recursive: true, force: true });
  }
}

export async function loadServingPki(dataDir: string, files: PkiFiles, server: string, serviceCidr?: string): Promise<ServingPki> {
  const explicit = files.clientCaFile !== undefined || files.tlsCertFile !== undefined || files.tlsKeyFile !== undefined;
  let provisioned = false;
  if (!explicit && !(await exists(join(dataDir, "pki", "ca.crt")))) {
    await runInit(dataDir, server, serviceCidr);
    provisioned = true;
  }
  const caFile = files.clientCaFile ?? join(dataDir, "pki", "ca.crt");
  const certFile = files.tlsCertFile ?? join(dataDir, "pki", "apiserver.crt");
  const keyFile = files.tlsKeyFile ?? join(dataDir, "pki", "apiserver.key");
  const clientCaPem = await readText(caFile, "client CA file");
  let clientCas: Certificate[];
  try {
    clientCas = parseCertificatesPem(clientCaPem);
  } catch (err) {
    throw new Error(`cannot parse client CA file ${caFile}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (clientCas.length === 0) throw new Error(`client CA file ${caFile} holds no CERTIFICATE block`);
  const tlsCertPem = await readText(certFile, "serving certificate");
  const tlsKeyPem = await readText(keyFile, "serving key");
  const caKeyFile = join(dataDir, "pki", "ca.key");
  const clusterCa = !explicit && (await exists(caKeyFile)) ? { certPem: clientCaPem, keyPem: await readText(caKeyFile, "CA key") } : undefined;
  return { clientCas, clientCaPem, tlsCertPem, tlsKeyPem, clusterCa, provisioned };
}

/** Whether a server of this cluster answers at `server` (a TLS handshake its CA verifies). */
export type LiveCheck = (server: string) => Promise<boolean>;

export interface KubeconfigPlacement {
  /** The admin kubeconfig that points at this server. */
  readonly adminPath: string;
  /** One line for the log when something was written or deliberately left alone. */
  readonly note?: string;
}

const KUBECONFIGS = ["admin.conf", "super-admin.conf"];

/** The first `server:` of a kubeconfig (YAML plain, single- or double-quoted). */
export function kubeconfigServer(text: string): string | undefined {
  const v = /^\s*server:\s*(.+?)\s*$/m.exec(text)?.[1];
  if (v === undefined) return undefined;
  if (v.startsWith('"')) {
    try {
      return JSON.parse(v) as string;
    } catch {
      return v;
    }
  }
  return v.replace(/^'(.*)'$/, "$1");
}

/** Writes DIR/<name> re-pointed at `server` to `target(name)` (credentials stay as written); returns what changed. */
async function writePointed(dataDir: string, server: string, target: (name: string) => string): Promise<string[]> {
  const changed: string[] = [];
  for (const name of KUBECONFIGS) {
    const source = join(dataDir, name);
    if (!(await exists(source))) continue;
    // Every cluster entry (the context-named alias too: cluster/kubeconfig-alias.ts says why).
    const next = addContextClusterAlias(await readFile(source, "utf8")).replace(/^(\s*server:\s*).*$/gm, `$1${JSON.stringify(server)}`);
    const path = join(dataDir, target(name));
    if ((await readFile(path, "utf8").catch(() => undefined)) === next) continue;
    await writeFile(path, next, { mode: 0o600 });
    changed.push(path);
  }
  return changed;
}

/** Points the data dir's admin.conf (and super-admin.conf) at this server — unless they point at
 *  another server of this cluster that answers (a replica sharing the dir): then they stay as they
 *  are and this replica writes admin-<port>.conf (super-admin-<port>.conf) instead, so starting a
 *  second replica never silently moves the first one's users. A stale address (nothing answers, e.g.
 *  a restart on a new --listen port) is replaced, as a single server always did. */
export async function placeKubeconfigs(dataDir: string, server: string, isLive: LiveCheck): Promise<KubeconfigPlacement> {
  const adminPath = join(dataDir, "admin.conf");
  const current = kubeconfigServer((await readFile(adminPath, "utf8").catch(() => undefined)) ?? "");
  if (current !== undefined && current !== server && (await isLive(current))) {
    const perReplica = (name: string): string => name.replace(/\.conf$/, `-${new URL(server).port || "443"}.conf`);
    const written = await writePointed(dataDir, server, perReplica);
    const note = `kpki: ${adminPath} points at ${current}, where another server answers; left it as is${written.length > 0 ? ` and wrote ${written.join(", ")}` : ""} for ${server}`;
    return { adminPath: join(dataDir, perReplica("admin.conf")), note };
  }
  const changed = await writePointed(dataDir, server, (name) => name);
  const was = current !== undefined && current !== server ? ` (was ${current}, where no server answers)` : "";
  // Rewriting our own address only normalises the file (quoting, the context alias): not worth a line.
  return { adminPath, ...(changed.length > 0 && current !== server ? { note: `kpki: pointed ${changed.join(", ")} at ${server}${was}` } : {}) };
}

/** A TLS handshake with `server` that `caPem` verifies, within `timeoutMs` (the name is not checked:
 *  any serving certificate of this cluster's CA means a replica of this cluster). */
export function answersWithCa(caPem: string, timeoutMs = 1000): LiveCheck {
  return (server) =>
    new Promise((resolve) => {
      let url: URL;
      try {
        url = new URL(server);
      } catch {
        return resolve(false);
      }
      const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
      const socket = tlsConnect({ host, port: Number(url.port || 443), ca: caPem, checkServerIdentity: () => undefined, ALPNProtocols: ["http/1.1"] });
      const done = (live: boolean): void => {
        socket.destroy();
        resolve(live);
      };
      socket.setTimeout(timeoutMs, () => done(false));
      socket.once("secureConnect", () => done(socket.authorized));
      socket.once("error", () => done(false));
    });
}
