// The csrsigning controller (pkg/controller/certificates/signer/signer.go; reference §4–§6): for an
// Approved, not Failed, not yet issued CSR of a signer it serves, run the signer's checks (violation →
// Failed/SignerValidationFailure), sign with that signer's CA, and write status.certificate with a
// compare-and-swap on resourceVersion so two replicas can never store two certificates for one CSR.
import {
  APPROVER_ANNOTATION,
  conditionsOf,
  isCsrApproved,
  isCsrFailed,
  metaTime,
  parseCsrRequest,
} from "../../api/index.ts";
import type { CertificateSigningRequest, CertificateSigningRequestCondition } from "../../api/index.ts";
import { isKpkiError, messageOf, toBase64, utf8, MINUTE, DAY } from "../../base/index.ts";
import type { Clock } from "../../base/index.ts";
import type { Signer, SigningProfile } from "../../ca/index.ts";
import { encodeCertificatePem, formatDn } from "../../pki/index.ts";
import type { Certificate, Csr } from "../../pki/index.ts";
import type { StorageBackend, Store } from "../../storage/index.ts";
import { ControllerError, silentLogger } from "../errors.ts";
import type { Logger } from "../errors.ts";
import { recordDiscarded, recordIssued } from "../ledger.ts";
import type { LedgerEntry } from "../ledger.ts";
import type { Reconciler } from "../loop.ts";
import { BUILT_IN_SIGNER_CHECKS, signingDurationMs } from "./checks.ts";

export const DEFAULT_CLUSTER_SIGNING_DURATION_MS = 365 * DAY;
const BACKDATE_MS = 5 * MINUTE;

export interface SigningControllerOptions {
  readonly store: Store<CertificateSigningRequest>;
  /** signerName → the CA that signs for it (kube-controller-manager's per-signer cert/key files). */
  readonly signers: ReadonlyMap<string, Signer>;
  /** --cluster-signing-duration (default one year). */
  readonly certTtlMs?: number;
  readonly ledger?: StorageBackend;
  readonly clock: Clock;
  readonly logger?: Logger;
}

function isSelfSigned(c: Certificate): boolean {
  return Buffer.compare(Buffer.from(c.subjectDer), Buffer.from(c.issuerDer)) === 0;
}

/** status.certificate: the leaf, then — when the signing CA is an intermediate — the CA chain up to
 *  but not including the self-signed root (kpki addition; kube-controller-manager writes the leaf only,
 *  which equals this when the CA is a root). */
export function statusChainPem(leaf: Certificate, signer: Signer): string {
  const seen = new Set<string>([leaf.fingerprintSha256]);
  const parts = [encodeCertificatePem(leaf)];
  for (const c of [signer.caCertificate, ...signer.chain]) {
    if (isSelfSigned(c) || seen.has(c.fingerprintSha256)) continue;
    seen.add(c.fingerprintSha256);
    parts.push(encodeCertificatePem(c));
  }
  return parts.join("");
}

function failedCondition(message: string, now: Date): CertificateSigningRequestCondition {
  const t = metaTime(now);
  return { type: "Failed", status: "True", reason: "SignerValidationFailure", message, lastUpdateTime: t, lastTransitionTime: t };
}

function isConflict(err: unknown): boolean {
  return isKpkiError(err) && (err.code === "conflict" || err.code === "Conflict");
}

function ledgerEntry(obj: CertificateSigningRequest, cert: Certificate, signer: Signer, now: Date): LedgerEntry {
  const approved = conditionsOf(obj).find((c) => c.type === "Approved");
  const approverName = obj.metadata.annotations?.[APPROVER_ANNOTATION];
  return {
    serial: cert.serialHex,
    sha256: cert.fingerprintSha256,
    subject: formatDn(cert.subject, "rfc4514"),
    sans: { dns: [...cert.sans.dns], ip: [...cert.sans.ip], email: [...cert.sans.email], uri: [...cert.sans.uri] },
    signerName: obj.spec.signerName,
    issuer: formatDn(signer.caCertificate.subject, "rfc4514"),
    usages: [...(obj.spec.usages ?? [])],
    requester: { username: obj.spec.username ?? "", ...(obj.spec.uid ? { uid: obj.spec.uid } : {}), groups: [...(obj.spec.groups ?? [])] },
    approver: { ...(approverName ? { name: approverName } : {}), reason: approved?.reason ?? "", message: approved?.message ?? "" },
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    issuedAt: now.toISOString(),
    csr: { name: obj.metadata.name ?? "", uid: obj.metadata.uid ?? "" },
  };
}

export function createSigningController(o: SigningControllerOptions): Reconciler<CertificateSigningRequest> {
  const logger = o.logger ?? silentLogger;
  const ttl = o.certTtlMs ?? DEFAULT_CLUSTER_SIGNING_DURATION_MS;

  async function writeFailed(obj: CertificateSigningRequest, message: string): Promise<void> {
    const status = { ...(obj.status ?? {}), conditions: [...conditionsOf(obj), failedCondition(message, o.clock.now())] };
    try {
      await o.store.update({ ...obj, status });
    } catch (err) {
      throw new ControllerError("sign-failed", `error adding failure condition for csr: ${messageOf(err)}`, { cause: err });
    }
  }

  async function sign(obj: CertificateSigningRequest, csr: Csr, signer: Signer): Promise<Certificate | undefined> {
    const profile: SigningProfile = { name: obj.spec.signerName, usages: obj.spec.usages ?? [], expiryMs: signingDurationMs(obj.spec.expirationSeconds, ttl), backdateMs: BACKDATE_MS, copySubject: true };
    try {
      return (await signer.sign(csr, profile, { now: o.clock.now() })).certificate;
    } catch (err) {
      // The pre-issuance lint gate refusing is terminal for this request: say so instead of retrying forever.
      if (isKpkiError(err) && err.code === "lint-failed") {
        await writeFailed(obj, err.message);
        return undefined;
      }
      throw new ControllerError("sign-failed", `error auto signing csr: ${messageOf(err)}`, { cause: err });
    }
  }

  async function store(obj: CertificateSigningRequest, cert: Certificate, signer: Signer): Promise<void> {
    const certificate = toBase64(utf8(statusChainPem(cert, signer)));
    const now = o.clock.now();
    try {
      await o.store.update({ ...obj, status: { ...(obj.status ?? {}), certificate } });
    } catch (err) {
      if (o.ledger) await recordDiscarded(o.ledger, cert.serialHex, now, `status write failed: ${messageOf(err)}`).catch(() => undefined);
      if (!isConflict(err)) throw new ControllerError("sign-failed", `error updating signature for csr: ${messageOf(err)}`, { cause: err });
      const fresh = await o.store.get("", obj.metadata.name ?? "");
      if ((fresh?.status?.certificate ?? "") !== "") return; // another replica issued it: done
      throw new ControllerError("sign-failed", `error updating signature for csr: ${messageOf(err)}`, { cause: err });
    }
    logger.info(`csrsigning: issued certificate ${cert.serialHex} for CSR "${obj.metadata.name}" (${obj.spec.signerName})`);
  }

  return {
    name: "csrsigning",
    wants: (obj) => (obj.status?.certificate ?? "") === "" && o.signers.has(obj.spec.signerName) && isCsrApproved(obj) && !isCsrFailed(obj),
    async reconcile(obj) {
      if ((obj.status?.certificate ?? "") !== "") return;
      if (!isCsrApproved(obj) || isCsrFailed(obj)) return;
      const signer = o.signers.get(obj.spec.signerName);
      if (signer === undefined) return;
      let csr: Csr;
      try {
        csr = parseCsrRequest(obj);
      } catch (err) {
        throw new ControllerError("parse-csr", `unable to parse csr "${obj.metadata.name}": ${messageOf(err)}`, { cause: err });
      }
      const problem = BUILT_IN_SIGNER_CHECKS[obj.spec.signerName]?.(csr, obj.spec.usages ?? []);
      if (problem !== undefined) return writeFailed(obj, problem);
      const cert = await sign(obj, csr, signer);
      if (cert === undefined) return;
      // Ledger first: the record exists before the certificate can be delivered; a lost race marks it void.
      if (o.ledger) await recordIssued(o.ledger, ledgerEntry(obj, cert, signer, o.clock.now()));
      await store(obj, cert, signer);
    },
  };
}
