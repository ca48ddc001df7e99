// The PKI `kpki serve` runs on. On an empty data dir it provisions exactly what `kpki init --dir DIR`
// writes (it runs that very command), later starts reuse the files as they are. With explicit
// --client-ca-file/--tls-cert-file/--tls-private-key-file it serves an existing PKI (kubeadm's too).
import { readFile, writeFile, access } from "node:fs/promises";
import { join } from "node:path";
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

/** Runs `kpki init --dir DIR --server URL` in-process, quietly (its plan goes nowhere). */
async function runInit(dataDir: string, server: string): Promise<void> {
  const entry = findCommand("init");
  if (entry === undefined) throw new Error("the init command is missing from this build");
  const { command } = await entry.load();
  const errors: string[] = [];
  const io = nodeIo({ stdout: () => undefined, stderr: (s) => void errors.push(s) });
  const code = await command.run(["--dir", dataDir, "--server", server], io);
  if (code !== 0) throw new Error(`provisioning ${dataDir} failed: ${errors.join("").trim() || `exit ${code}`}`);
}

export async function loadServingPki(dataDir: string, files: PkiFiles, server: string): Promise<ServingPki> {
  const explicit = files.clientCaFile !== undefined || files.tlsCertFile !== undefined || files.tlsKeyFile !== undefined;
  let provisioned = false;
  if (!explicit && !(await exists(join(dataDir, "pki", "ca.crt")))) {
    await runInit(dataDir, server);
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

/** Points admin.conf (and super-admin.conf) at the address we listen on; credentials stay as written. */
export async function pointKubeconfigsAt(dataDir: string, server: string): Promise<string[]> {
  const changed: string[] = [];
  for (const name of ["admin.conf", "super-admin.conf"]) {
    const path = join(dataDir, name);
    if (!(await exists(path))) continue;
    const text = await readFile(path, "utf8");
    // Every cluster entry (the context-named alias too: cluster/kubeconfig-alias.ts says why).
    const next = addContextClusterAlias(text).replace(/^(\s*server:\s*).*$/gm, `$1${JSON.stringify(server)}`);
    if (next !== text) {
      await writeFile(path, next, { mode: 0o600 });
      changed.push(path);
    }
  }
  return changed;
}
