// The issuance ledger: one create-only record per certificate the signing controller made, kept in
// the StorageBackend under /kpki/ledger/ so it works on memory, SQLite and etcd and outlives the CSR
// (which the cleaner deletes after an hour). A serial can never be written twice (create throws
// "exists"). A certificate that lost the status compare-and-swap (another replica won) is signed but
// never delivered: it gets a second create-only record under /kpki/ledger/void/ so the audit trail
// still shows every signature the CA made.
import { fromUtf8, utf8 } from "../base/index.ts";
import type { StorageBackend } from "../storage/index.ts";
import { ControllerError } from "./errors.ts";

export const LEDGER_PREFIX = "/kpki/ledger/cert/";
export const LEDGER_VOID_PREFIX = "/kpki/ledger/void/";

export interface LedgerEntry {
  /** Lowercase hex, as Certificate.serialHex. */
  readonly serial: string;
  readonly sha256: string;
  readonly subject: string;
  readonly sans: { readonly dns: readonly string[]; readonly ip: readonly string[]; readonly email: readonly string[]; readonly uri: readonly string[] };
  readonly signerName: string;
  readonly issuer: string;
  readonly usages: readonly string[];
  readonly requester: { readonly username: string; readonly uid?: string; readonly groups: readonly string[] };
  readonly approver: { readonly name?: string; readonly reason: string; readonly message: string };
  readonly notBefore: string;
  readonly notAfter: string;
  readonly issuedAt: string;
  readonly csr: { readonly name: string; readonly uid: string };
}

export interface LedgerRecord extends LedgerEntry {
  /** Set when the certificate was signed but another writer's certificate was stored instead. */
  readonly discarded?: { readonly at: string; readonly reason: string };
}

export async function recordIssued(backend: StorageBackend, entry: LedgerEntry): Promise<void> {
  try {
    await backend.create(`${LEDGER_PREFIX}${entry.serial}`, utf8(JSON.stringify(entry)));
  } catch (err) {
    throw new ControllerError("ledger", `cannot record certificate ${entry.serial} in the ledger: ${(err as Error).message}`, { cause: err });
  }
}

export async function recordDiscarded(backend: StorageBackend, serial: string, at: Date, reason: string): Promise<void> {
  try {
    await backend.create(`${LEDGER_VOID_PREFIX}${serial}`, utf8(JSON.stringify({ at: at.toISOString(), reason })));
  } catch (err) {
    throw new ControllerError("ledger", `cannot mark certificate ${serial} discarded in the ledger: ${(err as Error).message}`, { cause: err });
  }
}

async function listAll(backend: StorageBackend, prefix: string): Promise<Map<string, unknown>> {
  const out = new Map<string, unknown>();
  let startAfter: string | undefined;
  for (;;) {
    const page = await backend.list(prefix, { limit: 500, ...(startAfter ? { startAfter } : {}) });
    for (const kv of page.items) out.set(kv.key.slice(prefix.length), JSON.parse(fromUtf8(kv.value)) as unknown);
    const last = page.items[page.items.length - 1];
    if (!page.more || last === undefined) return out;
    startAfter = last.key;
  }
}

/** Every ledger record, oldest issuance first (for `kpki certs ledger`). */
export async function listLedger(backend: StorageBackend): Promise<LedgerRecord[]> {
  const [certs, voids] = await Promise.all([listAll(backend, LEDGER_PREFIX), listAll(backend, LEDGER_VOID_PREFIX)]);
  const out: LedgerRecord[] = [];
  for (const [serial, v] of certs) {
    const entry = v as LedgerEntry;
    const d = voids.get(serial) as { at: string; reason: string } | undefined;
    out.push(d ? { ...entry, discarded: d } : entry);
  }
  return out.sort((a, b) => a.issuedAt.localeCompare(b.issuedAt) || a.serial.localeCompare(b.serial));
}

/** One line per record: the text form of `kpki certs ledger`. */
export function formatLedger(records: readonly LedgerRecord[]): string {
  const rows = records.map((r) => {
    const sans = [...r.sans.dns, ...r.sans.ip, ...r.sans.email, ...r.sans.uri].join(",") || "-";
    const approver = `${r.approver.name ?? "?"} (${r.approver.reason})`;
    const state = r.discarded ? " DISCARDED" : "";
    return `${r.issuedAt}  ${r.serial}  ${r.subject}  sans=${sans}  signer=${r.signerName}  requester=${r.requester.username}  approver=${approver}  notAfter=${r.notAfter}  csr=${r.csr.name}${state}`;
  });
  return rows.length === 0 ? "No certificates recorded\n" : `${rows.join("\n")}\n`;
}
