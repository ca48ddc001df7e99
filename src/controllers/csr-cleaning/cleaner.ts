// The csrcleaner controller (pkg/controller/certificates/cleaner/cleaner.go; reference §9): once an
// hour, delete CSRs that were approved-and-issued, denied or failed more than 1 h ago, left pending
// for 24 h, or whose certificate has expired. The ledger keeps the record of what was issued.
import { conditionsOf, csrCertificatePem } from "../../api/index.ts";
import type { CertificateSigningRequest } from "../../api/index.ts";
import { HOUR, decodePem, messageOf, whenAborted } from "../../base/index.ts";
import type { Clock } from "../../base/index.ts";
import { parseCertificateDer } from "../../pki/index.ts";
import type { Store } from "../../storage/index.ts";
import { silentLogger } from "../errors.ts";
import type { Logger } from "../errors.ts";
import { timerSchedule } from "../queue.ts";
import type { Schedule } from "../queue.ts";

export const POLLING_INTERVAL_MS = HOUR;
export const APPROVED_EXPIRATION_MS = HOUR;
export const DENIED_EXPIRATION_MS = HOUR;
export const PENDING_EXPIRATION_MS = 24 * HOUR;

/** "Older than" of cleaner.go: a zero timestamp never matches; t − now < −d. */
function olderThan(t: string | undefined, d: number, now: Date): boolean {
  if (!t) return false;
  const ms = Date.parse(t);
  return !Number.isNaN(ms) && ms - now.getTime() < -d;
}

function conditionOlderThan(obj: CertificateSigningRequest, type: string, d: number, now: Date): boolean {
  return conditionsOf(obj).some((c) => c.type === type && olderThan(c.lastUpdateTime, d, now));
}

/** The first certificate's notAfter is in the past. Throws on a non-PEM / unparsable certificate. */
function isIssuedExpired(obj: CertificateSigningRequest, now: Date): boolean {
  const pem = csrCertificatePem(obj);
  if (pem === "" || !conditionsOf(obj).some((c) => c.type === "Approved")) return false;
  const block = decodePem(pem)[0];
  if (block === undefined) throw new Error("expected the certificate associated with the CSR to be PEM encoded");
  let notAfter: Date;
  try {
    notAfter = parseCertificateDer(block.der).notAfter;
  } catch (err) {
    throw new Error(`unable to parse certificate data: ${messageOf(err)}`);
  }
  return notAfter.getTime() < now.getTime();
}

/** Why this CSR is due for deletion (the log text of cleaner.go), or undefined. */
export function cleaningReason(obj: CertificateSigningRequest, now: Date): string | undefined {
  const name = obj.metadata.name ?? "";
  const issued = (obj.status?.certificate ?? "") !== "";
  if (issued && conditionOlderThan(obj, "Approved", APPROVED_EXPIRATION_MS, now)) return `Cleaning CSR "${name}" as it is more than 1h0m0s old and approved.`;
  if (conditionOlderThan(obj, "Denied", DENIED_EXPIRATION_MS, now)) return `Cleaning CSR "${name}" as it is more than 1h0m0s old and denied.`;
  if (conditionOlderThan(obj, "Failed", DENIED_EXPIRATION_MS, now)) return `Cleaning CSR "${name}" as it is more than 1h0m0s old and failed.`;
  if (conditionsOf(obj).length === 0 && olderThan(obj.metadata.creationTimestamp, PENDING_EXPIRATION_MS, now)) {
    return `Cleaning CSR "${name}" as it is more than 24h0m0s old and unhandled.`;
  }
  if (isIssuedExpired(obj, now)) return `Cleaning CSR "${name}" as the associated certificate is expired.`;
  return undefined;
}

/** One pass over every CSR; returns the names deleted. Errors are logged per CSR; the pass continues. */
export async function cleanOnce(store: Store<CertificateSigningRequest>, clock: Clock, logger: Logger = silentLogger): Promise<string[]> {
  const deleted: string[] = [];
  const now = clock.now();
  let cont: string | undefined;
  do {
    const page = await store.list({ limit: 500, ...(cont ? { continue: cont } : {}) });
    for (const obj of page.items) {
      const name = obj.metadata.name ?? "";
      try {
        const why = cleaningReason(obj, now);
        if (why === undefined) continue;
        logger.info(why);
        await store.delete("", name);
        deleted.push(name);
      } catch (err) {
        logger.error(`unable to delete CSR ${JSON.stringify(name)}: ${messageOf(err)}`);
      }
    }
    cont = page.continue;
  } while (cont);
  return deleted;
}

/** Run cleanOnce at start and then every hour until `signal` aborts. */
export async function runCleaner(
  store: Store<CertificateSigningRequest>,
  opts: { clock: Clock; logger?: Logger; schedule?: Schedule; intervalMs?: number },
  signal: AbortSignal,
): Promise<void> {
  const schedule = opts.schedule ?? timerSchedule;
  while (!signal.aborted) {
    await cleanOnce(store, opts.clock, opts.logger);
    await new Promise<void>((resolve) => {
      const cancel = schedule(resolve, opts.intervalMs ?? POLLING_INTERVAL_MS);
      whenAborted(signal, () => (cancel(), resolve())); // also when it came during cleanOnce
    });
  }
}
