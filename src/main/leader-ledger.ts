// Takeover sweep of the issuance ledger. The signing controller records a certificate in the
// ledger (create-only) BEFORE it writes status.certificate, so a leader killed between the two
// writes leaves a live ledger entry for a certificate nobody received; the next leader then signs
// that CSR again. Before its controllers start, a new leader marks such entries void — the same
// /kpki/ledger/void/<serial> record a replica that loses the status compare-and-swap writes — so
// the ledger keeps exactly one live entry per delivered certificate and still lists every signature.
// Safe because it runs while this replica holds the Lease and before it signs anything: the old
// leader stopped leading (renew deadline < lease duration) before this one could acquire.
import { fromBase64, fromUtf8, messageOf, utf8, type Clock } from "../base/index.ts";
import type { CertificateSigningRequest } from "../api/index.ts";
import { LEDGER_VOID_PREFIX, listLedger } from "../controllers/index.ts";
import { parseCertificatePem } from "../pki/index.ts";
import { StorageError, type StorageBackend, type Store } from "../storage/index.ts";

/** The serial (lowercase hex) of the leaf in status.certificate, undefined when there is none. */
function deliveredSerial(csr: CertificateSigningRequest): string | undefined {
  const b64 = csr.status?.certificate ?? "";
  if (b64 === "") return undefined;
  try {
    return parseCertificatePem(fromUtf8(fromBase64(b64))).serialHex;
  } catch {
    return "unreadable"; // a certificate is there (an external signer's, say): nothing to void against
  }
}

/** Voids live ledger entries whose CSR still exists but holds no certificate or another one.
 *  Entries of deleted CSRs are left alone (nothing to compare them with). Returns their serials. */
export async function voidUndelivered(backend: StorageBackend, csrs: Store<CertificateSigningRequest>, clock: Clock): Promise<string[]> {
  const live = (await listLedger(backend)).filter((r) => r.discarded === undefined);
  if (live.length === 0) return [];
  const byUid = new Map<string, CertificateSigningRequest>();
  for (const c of (await csrs.list()).items) byUid.set(c.metadata.uid ?? "", c);
  const voided: string[] = [];
  for (const r of live) {
    const csr = byUid.get(r.csr.uid);
    if (csr === undefined) continue;
    const delivered = deliveredSerial(csr);
    if (delivered === r.serial || delivered === "unreadable") continue;
    const reason = delivered === undefined
      ? "the replica that signed it stopped before writing status.certificate"
      : `status.certificate holds certificate ${delivered}`;
    const record = { at: clock.now().toISOString(), reason: `not delivered: ${reason}` };
    try {
      await backend.create(`${LEDGER_VOID_PREFIX}${r.serial}`, utf8(JSON.stringify(record)));
      voided.push(r.serial);
    } catch (err) {
      if (!(err instanceof StorageError && err.code === "exists")) throw new Error(`cannot void ledger entry ${r.serial}: ${messageOf(err)}`, { cause: err });
    }
  }
  return voided;
}
