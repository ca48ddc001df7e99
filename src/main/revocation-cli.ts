// What `kpki certs revoke` and `kpki certs crl` share: like `kpki certs ledger`, they talk to the
// running server when one answers (a running `kpki serve` holds DIR/kpki.db exclusively), and work on
// DIR/kpki.db + DIR/pki/ca.{crt,key} directly when none does (a stopped server sees a revocation at
// its next start, since the set is listed from storage before serving).
import { join } from "node:path";
import { CliError, apiTargetFromKubeconfig, type ApiTarget, type Io } from "../cli/index.ts";
import { parseCertificatesPem, parsePrivateKeyPem, type Certificate } from "../pki/index.ts";
import { openSqliteBackend, type StorageBackend } from "../storage/index.ts";
import type { SigningCa } from "./revocation.ts";
import { pathExists, viaServerOrDataDir, type Where } from "./server-or-dir.ts";

export { whereFrom, type Where } from "./server-or-dir.ts";

/** The data dir opened for an offline operation: storage and the cluster CA. */
export interface OfflineDir {
  readonly dir: string;
  readonly backend: StorageBackend;
  readonly caCerts: readonly Certificate[];
  /** The CA key, read on demand (only the CRL needs it). */
  signingCa(): Promise<SigningCa>;
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
  if (!(await pathExists(db))) throw new CliError("input", `no kpki storage in ${dir}: ${db} does not exist (a server with --storage memory or etcd keeps none there; use --kubeconfig)`);
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

/** viaServerOrDataDir with the server as an ApiTarget and the data dir opened (storage + cluster CA). */
export async function onServerOrDataDir<T>(io: Io, w: Where, online: (t: ApiTarget) => Promise<T>, offline: (d: OfflineDir) => Promise<T>): Promise<T> {
  return viaServerOrDataDir(
    io,
    w,
    async (kubeconfig) => online((await apiTargetFromKubeconfig(io, kubeconfig)).target),
    async (dir) => {
      const d = await openOffline(io, dir);
      try {
        return await offline(d);
      } finally {
        await d.backend.close();
      }
    },
  );
}
