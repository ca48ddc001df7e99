// kpki backup: an online, consistent backup of a running kpki's whole state (every Kubernetes object
// and the issuance ledger) written as a ready-to-use kpki.db. A running `kpki serve` on SQLite holds
// DIR/kpki.db exclusively (not even `sqlite3 .backup` may read it), so the server itself serves a
// snapshot at the non-resource path /kpki/backup: every key under "/" read at ONE revision (paginated
// with the revision pinned, as kube's continue tokens are), which works the same on etcd. Restore:
// stop kpki, put the file at DIR/kpki.db, start kpki. Objects get new resourceVersions (clients relist).
import { rename, rm } from "node:fs/promises";
import { CliError, apiTargetFromKubeconfig, defineCommand, str, type Io } from "../cli/index.ts";
import { fromBase64, messageOf, toBase64 } from "../base/index.ts";
import type { ExtraPathHandler } from "../server/index.ts";
import { openSqliteBackend, type StorageBackend } from "../storage/index.ts";

export const BACKUP_PATH = "/kpki/backup";

export interface BackupItem {
  readonly key: string;
  /** base64 of the stored bytes. */
  readonly value: string;
  readonly modRevision: number;
}

export interface Backup {
  readonly apiVersion: "kpki.io/v1";
  readonly kind: "Backup";
  /** The storage revision every item was read at. */
  readonly revision: number;
  readonly items: readonly BackupItem[];
}

/** Every key of `backend` as of one revision. */
export async function snapshot(backend: StorageBackend): Promise<Backup> {
  const items: BackupItem[] = [];
  let revision: number | undefined;
  let startAfter: string | undefined;
  for (;;) {
    const page = await backend.list("/", { limit: 1000, ...(startAfter !== undefined ? { startAfter } : {}), ...(revision !== undefined ? { revision } : {}) });
    revision ??= page.revision;
    for (const kv of page.items) items.push({ key: kv.key, value: toBase64(kv.value), modRevision: kv.modRevision });
    startAfter = page.items.at(-1)?.key;
    if (!page.more || startAfter === undefined) break;
  }
  return { apiVersion: "kpki.io/v1", kind: "Backup", revision: revision ?? 0, items };
}

/** The server side: GET /kpki/backup → Backup JSON (authn + RBAC nonResourceURLs already passed). */
export function backupHandler(backend: StorageBackend): ExtraPathHandler {
  return async () => ({ contentType: "application/json", body: JSON.stringify(await snapshot(backend)) });
}

/** Writes `b` as a new SQLite database at `path` (temp file + rename: never a half-written backup).
 *  Keys are written in their original revision order, so relative order survives. */
export async function writeSqliteBackup(b: Backup, path: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await rm(tmp, { force: true });
  const db = openSqliteBackend(tmp);
  try {
    for (const item of [...b.items].sort((x, y) => x.modRevision - y.modRevision)) await db.create(item.key, fromBase64(item.value));
  } finally {
    await db.close();
  }
  await rm(`${tmp}-wal`, { force: true });
  await rm(`${tmp}-shm`, { force: true });
  await rename(tmp, path);
}


async function fromServer(io: Io, kubeconfig: string): Promise<Backup> {
  const { target } = await apiTargetFromKubeconfig(io, kubeconfig);
  const r = await io.request(target, "GET", BACKUP_PATH);
  if (r.status !== 200) {
    const msg = (r.body as { message?: unknown } | null)?.message;
    throw new CliError("failed", `GET ${target.server}${BACKUP_PATH}: ${r.status} ${typeof msg === "string" ? msg : r.text.slice(0, 200)}`);
  }
  return r.body as Backup;
}

/** No server answering: read DIR/kpki.db itself (fails, naming the lock, if a server holds it). */
async function fromDataDir(dir: string): Promise<Backup> {
  let backend: StorageBackend;
  try {
    backend = openSqliteBackend(`${dir}/kpki.db`);
  } catch (err) {
    throw new CliError("failed", `cannot back up ${dir}: ${messageOf(err)}`);
  }
  try {
    return await snapshot(backend);
  } finally {
    await backend.close();
  }
}

async function readBackup(io: Io, o: { dataDir?: string; kubeconfig?: string }): Promise<Backup> {
  if (o.kubeconfig !== undefined) return fromServer(io, o.kubeconfig);
  const dir = o.dataDir as string;
  if (await io.exists(`${dir}/admin.conf`)) {
    try {
      return await fromServer(io, `${dir}/admin.conf`);
    } catch (err) {
      if (!(err instanceof CliError && err.code === "network")) throw err;
    }
  }
  if (!(await io.exists(`${dir}/kpki.db`))) throw new CliError("input", `nothing to back up in ${dir}: no server answers and ${dir}/kpki.db does not exist`);
  return fromDataDir(dir);
}

export const command = defineCommand(
  {
    name: "backup",
    summary: "Write a consistent backup of a kpki's state (objects + ledger) as a kpki.db, online.",
    synopsis: ["backup (--data-dir DIR | --kubeconfig FILE) -o FILE"],
    options: [
      { name: "data-dir", type: "string", arg: "DIR", help: "kpki serve's data dir: its running server (DIR/admin.conf), else DIR/kpki.db" },
      { name: "kubeconfig", type: "string", arg: "FILE", help: `any replica's server (GET ${BACKUP_PATH}; SQLite or etcd storage)` },
      { name: "output", short: "o", type: "string", arg: "FILE", help: "where to write the backup (a SQLite database)" },
    ],
    notes: [
      `Needs GET on the non-resource URL ${BACKUP_PATH} (cluster-admin has it): the backup holds every Secret.`,
      "Restore: stop kpki, move DIR/kpki.db* away, copy FILE to DIR/kpki.db, start kpki.",
    ],
  },
  async (p, io) => {
    if (p.positionals.length > 0) throw new CliError("usage", `backup: unexpected argument "${p.positionals[0]}"`);
    const [dataDir, kubeconfig, out] = [str(p, "data-dir"), str(p, "kubeconfig"), str(p, "output")];
    if ((dataDir === undefined) === (kubeconfig === undefined)) throw new CliError("usage", "backup: give --data-dir or --kubeconfig (one of them)");
    if (out === undefined || out === "") throw new CliError("usage", "backup: -o FILE is required");
    const path = out.startsWith("/") ? out : `${io.cwd.replace(/\/+$/, "")}/${out}`;
    if (await io.exists(path)) throw new CliError("input", `backup: ${out} exists; not overwriting it`);
    const b = await readBackup(io, { ...(dataDir !== undefined ? { dataDir } : {}), ...(kubeconfig !== undefined ? { kubeconfig } : {}) });
    await writeSqliteBackup(b, path);
    io.stdout(`backed up ${b.items.length} keys at revision ${b.revision} to ${out}\n`);
    return 0;
  },
);
