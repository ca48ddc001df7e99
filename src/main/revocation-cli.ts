// What `kpki certs revoke` and `kpki certs crl` share: like `kpki certs ledger`, they talk to the
// running server when one answers (a running `kpki serve` holds DIR/kpki.db exclusively), and work on
// DIR/kpki.db + DIR/pki/ca.{crt,key} directly when none does (a stopped server sees a revocation at
// its next start, since the set is listed from storage before serving).
import { access } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { CliError, apiTargetFromKubeconfig, type ApiTarget, type Io } from "../cli/index.ts";
import { parseCertificatesPem, parsePrivateKeyPem, type Certificate } from "../pki/index.ts";
import { openSqliteBackend, type StorageBackend } from "../storage/index.ts";
import type { SigningCa } from "./revocation.ts";

export interface Where {
  readonly dataDir?: string;
  readonly kubeconfig?: string;
}

/** The data dir opened for an offline operation: storage and the cluster CA. */
export interface OfflineDir {
  readonly dir: string;
  readonly backend: StorageBackend;
  readonly caCerts: readonly Certificate[];
  /** The CA key, read on demand (only the CRL needs it). */
  signingCa(): Promise<SigningCa>;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

/** A server answer that is not a success → one line naming the request; 400/404 carry the server's message alone. */
export function serverFailure(target: ApiTarget, method: string, path: string, r: { status: number; body: unknown; text: string }): CliError {
  const msg = typeof r.body === "object" && r.body !== null && typeof (r.body as { message?: unknown }).message === "string" ? (r.body as { message: string }).message : r.text.slice(0, 200).trim();
  if (r.status === 400 || r.status === 404) return new CliError("input", msg);
  const hint = r.status === 401 ? " (is this kubeconfig's certificate revoked? use another admin identity, e.g. DIR/super-admin.conf, with --kubeconfig)" : "";
  return new CliError("failed", `${method} ${target.server}${path}: ${r.status} ${msg}${hint}`);
}

async function openOffline(io: Io, dir: string): Promise<OfflineDir> {
  const db = join(dir, "kpki.db");
  if (!(await exists(db))) throw new CliError("input", `no kpki storage in ${dir}: ${db} does not exist (a server with --storage memory or etcd keeps none there; use --kubeconfig)`);
  const caFile = join(dir, "pki", "ca.crt");
  let caCerts: Certificate[];
  try {
    caCerts = parseCertificatesPem(new TextDecoder().decode(await io.readFile(caFile)));
  } catch (err) {
    throw new CliError("input", `cannot read the cluster CA ${caFile}: ${(err as Error).message}`);
  }
  let backend: StorageBackend;
  try {
    backend = openSqliteBackend(db);
  } catch (err) {
    throw new CliError("failed", `cannot open ${db}: ${(err as Error).message}; with the server running, use --kubeconfig ${join(dir, "admin.conf")}`);
  }
  const signingCa = async (): Promise<SigningCa> => {
    const keyFile = join(dir, "pki", "ca.key");
    const cert = caCerts[0];
    if (cert === undefined) throw new CliError("input", `${caFile} holds no certificate`);
    try {
      return { cert, key: parsePrivateKeyPem(await io.readText(keyFile)) };
    } catch (err) {
      throw new CliError("input", `cannot read the cluster CA key ${keyFile}: ${(err as Error).message}`);
    }
  };
  return { dir, backend, caCerts, signingCa };
}

/** --kubeconfig → that server; --data-dir → its server via DIR/admin.conf when it answers, else the
 *  data dir itself; neither → $KUBECONFIG or ~/.kube/config (kubectl's default). */
export async function onServerOrDataDir<T>(io: Io, w: Where, online: (t: ApiTarget) => Promise<T>, offline: (d: OfflineDir) => Promise<T>): Promise<T> {
  const viaKubeconfig = async (kc: string): Promise<T> => online((await apiTargetFromKubeconfig(io, kc)).target);
  if (w.kubeconfig !== undefined) return viaKubeconfig(w.kubeconfig);
  if (w.dataDir === undefined) return viaKubeconfig((io.env["KUBECONFIG"] ?? "").split(":").find((x) => x !== "") ?? join(homedir(), ".kube", "config"));
  const admin = join(w.dataDir, "admin.conf");
  if (await exists(admin)) {
    try {
      return await viaKubeconfig(admin);
    } catch (err) {
      if (!(err instanceof CliError && err.code === "network")) throw err;
    }
  }
  const d = await openOffline(io, w.dataDir);
  try {
    return await offline(d);
  } finally {
    await d.backend.close();
  }
}

/** --data-dir / --kubeconfig from parsed values (not both). */
export function whereFrom(name: string, str: (k: string) => string | undefined): Where {
  const dataDir = str("data-dir");
  const kubeconfig = str("kubeconfig");
  if (dataDir !== undefined && kubeconfig !== undefined) throw new CliError("usage", `${name}: give --data-dir or --kubeconfig, not both`);
  return { ...(dataDir !== undefined ? { dataDir } : {}), ...(kubeconfig !== undefined ? { kubeconfig } : {}) };
}
