// kpki certs ledger: every certificate the CSR signers issued (serial, SHA-256, subject, SANs, signer,
// requester, approver and reason, validity), kept in storage under /kpki/ledger/ so it outlives the
// CSR objects the cleaner deletes after an hour. A running `kpki serve` holds DIR/kpki.db exclusively,
// so the server also exposes the ledger read-only at the non-resource path /kpki/ledger (RBAC:
// nonResourceURLs, which cluster-admin's "*" covers); the command asks the server first and reads the
// data dir directly only when no server answers.
import { join } from "node:path";
import { CliError, apiTargetFromKubeconfig, defineCommand, outputFormat, type Io } from "../cli/index.ts";
import { formatLedger, listLedger, type LedgerRecord } from "../controllers/index.ts";
import type { ExtraPathHandler } from "../server/index.ts";
import { openSqliteBackend, type StorageBackend } from "../storage/index.ts";
import { pathExists, viaServerOrDataDir, whereFrom, type Where } from "./server-or-dir.ts";

export const LEDGER_PATH = "/kpki/ledger";

export interface LedgerList {
  readonly apiVersion: "kpki.io/v1";
  readonly kind: "LedgerList";
  readonly items: readonly LedgerRecord[];
}

/** The server side: GET /kpki/ledger → LedgerList JSON (authn + RBAC already passed). */
export function ledgerHandler(backend: StorageBackend): ExtraPathHandler {
  return async () => {
    const list: LedgerList = { apiVersion: "kpki.io/v1", kind: "LedgerList", items: await listLedger(backend) };
    return { contentType: "application/json", body: JSON.stringify(list) };
  };
}


async function fromApi(io: Io, kubeconfig: string): Promise<LedgerRecord[]> {
  const { target } = await apiTargetFromKubeconfig(io, kubeconfig);
  const r = await io.request(target, "GET", LEDGER_PATH);
  if (r.status !== 200) {
    const msg = typeof r.body === "object" && r.body !== null && typeof (r.body as { message?: unknown }).message === "string" ? (r.body as { message: string }).message : r.text.slice(0, 200);
    throw new CliError("failed", `GET ${target.server}${LEDGER_PATH}: ${r.status} ${msg}`);
  }
  return [...(r.body as LedgerList).items];
}

async function fromDataDir(dir: string): Promise<LedgerRecord[]> {
  const db = join(dir, "kpki.db");
  if (!(await pathExists(db))) throw new CliError("input", `no ledger in ${dir}: ${db} does not exist (a server with --storage memory keeps none on disk)`);
  let backend: StorageBackend;
  try {
    backend = openSqliteBackend(db);
  } catch (err) {
    throw new CliError("failed", `cannot read the ledger in ${dir}: ${(err as Error).message}; with the server running, use --kubeconfig ${join(dir, "admin.conf")}`);
  }
  try {
    return await listLedger(backend);
  } finally {
    await backend.close();
  }
}

/** The ledger from the server (DIR/admin.conf or --kubeconfig), else from DIR/kpki.db (server-or-dir.ts). */
export function readLedger(io: Io, w: Where): Promise<LedgerRecord[]> {
  return viaServerOrDataDir(io, w, (kubeconfig) => fromApi(io, kubeconfig), fromDataDir);
}

export const command = defineCommand(
  {
    name: "certs ledger",
    summary: "List every certificate the CSR signers issued, with requester and approver.",
    synopsis: ["certs ledger [--data-dir DIR | --kubeconfig FILE] [-o json]"],
    options: [
      { name: "data-dir", type: "string", arg: "DIR", help: "kpki serve's data dir: its server if running (DIR/admin.conf), else DIR/kpki.db" },
      { name: "kubeconfig", type: "string", arg: "FILE", help: `read from the server (GET ${LEDGER_PATH}); default $KUBECONFIG or ~/.kube/config` },
      { name: "output", short: "o", type: "string", arg: "json|text", help: "output format (default text)" },
    ],
    notes: [`Needs GET on the non-resource URL ${LEDGER_PATH} (cluster-admin has it).`],
  },
  async (p, io) => {
    if (p.positionals.length > 0) throw new CliError("usage", `certs ledger: unexpected argument "${p.positionals[0]}"`);
    const out = outputFormat(p, "certs ledger");
    const records = await readLedger(io, whereFrom("certs ledger", p));
    io.stdout(out === "json" ? `${JSON.stringify({ apiVersion: "kpki.io/v1", kind: "LedgerList", items: records }, null, 2)}\n` : formatLedger(records));
    return 0;
  },
);
