// Certificate revocation, server side and shared with the offline commands: POST/GET /kpki/revocations,
// GET /kpki/crl, and the check `kpki serve` runs on every request. Kubernetes cannot revoke a client
// certificate; kpki keeps permanent records (controllers/revocation.ts), refuses a revoked certificate
// on every replica (the set follows the backend's watch) and publishes a standard CRL (RFC 5280 §5)
// signed by the cluster CA, so nginx, openssl and anything else can refuse it too.
//
// CRL parameters (documented in README "Revoking a certificate"):
//  - thisUpdate = now, nextUpdate = now + 24 h: the CRL is made per request, so a relying party that
//    refreshes it daily (nginx rejects every client once nextUpdate has passed) always holds a valid one;
//  - CRL Number (§5.2.3) = thisUpdate in milliseconds since 1970: monotonic without any stored counter,
//    the same rule on every replica (to within their clock skew), and 6 octets, well under the 20 allowed.
import { ApiError, badRequest } from "../api/index.ts";
import { localKeySigner } from "../ca/index.ts";
import {
  formatRevocation, issuerId, listRevocations, revokeCertificate, startRevocationSet, type RevocationRecord, type RevocationSet, type RevokeResult,
  type StoredRevocation,
} from "../controllers/index.ts";
import { encodeCrlPem, signCrl, type Certificate, type KeyPair } from "../pki/index.ts";
import type { CertificateRefusal, ExtraPathHandler, ExtraWriteHandler } from "../server/index.ts";
import type { StorageBackend } from "../storage/index.ts";
import type { Clock } from "../base/index.ts";

export const REVOCATIONS_PATH = "/kpki/revocations";
export const CRL_PATH = "/kpki/crl";
export const CRL_VALIDITY_MS = 24 * 3600_000;
const KIND = { apiVersion: "kpki.io/v1" } as const;

export interface RevocationList {
  readonly apiVersion: "kpki.io/v1";
  readonly kind: "RevocationList";
  readonly items: readonly StoredRevocation[];
}

/** What POST /kpki/revocations answers (201 revoked, 200 already revoked). */
export interface RevocationResponse {
  readonly apiVersion: "kpki.io/v1";
  readonly kind: "Revocation";
  readonly outcome: "revoked" | "already-revoked";
  readonly record: RevocationRecord;
}

export interface SigningCa {
  readonly cert: Certificate;
  readonly key: KeyPair;
}

/** The CRL of `ca`: every revocation whose issuer is that CA, signed with its key (RFC 5280 §5). */
export async function buildCrlPem(backend: StorageBackend, ca: SigningCa, now: Date): Promise<string> {
  const { items } = await listRevocations(backend, issuerId(ca.cert.subjectDer));
  const signer = localKeySigner(ca.key);
  const thisUpdate = new Date(Math.floor(now.getTime() / 1000) * 1000); // Time has whole seconds (§5.1.2.4)
  const der = await signCrl(
    {
      issuer: ca.cert,
      thisUpdate,
      nextUpdate: new Date(thisUpdate.getTime() + CRL_VALIDITY_MS),
      crlNumber: BigInt(now.getTime()),
      entries: items.map((r) => ({ serialHex: r.serial, revokedAt: new Date(r.revokedAt), reason: r.reason })),
    },
    (tbs) => signer.signSync(tbs),
  );
  return encodeCrlPem(der);
}

/** The API answer for a revocation outcome; invalid → 400, unknown serial → 404 (as Status). */
export function revocationAnswer(r: RevokeResult): { status: number; body: RevocationResponse } {
  if (r.outcome === "invalid") throw badRequest(r.message);
  if (r.outcome === "not-found") throw new ApiError("NotFound", r.message);
  return { status: r.outcome === "revoked" ? 201 : 200, body: { ...KIND, kind: "Revocation", outcome: r.outcome, record: r.record } };
}

export interface RevocationWiring {
  readonly backend: StorageBackend;
  /** CAs whose certificates may be revoked: the client CAs and the signers' CAs. */
  readonly cas: readonly Certificate[];
  /** The cluster CA that signs the CRL; undefined (an external PKI without its key) = no CRL. */
  readonly crlCa: SigningCa | undefined;
  readonly clock: Clock;
  readonly log: (line: string) => void;
}

export function revocationPaths(w: RevocationWiring, set?: RevocationSet): { read: [string, ExtraPathHandler][]; write: [string, ExtraWriteHandler][] } {
  const list: ExtraPathHandler = async () => {
    const body: RevocationList = { ...KIND, kind: "RevocationList", items: (await listRevocations(w.backend)).items };
    return { contentType: "application/json", body: JSON.stringify(body) };
  };
  const crl: ExtraPathHandler = async () => {
    if (w.crlCa === undefined) throw new ApiError("NotFound", "no CRL: this server does not hold the cluster CA's key (an external PKI)");
    return { contentType: "application/x-pem-file", body: await buildCrlPem(w.backend, w.crlCa, w.clock.now()) };
  };
  const revoke: ExtraWriteHandler = async (req) => {
    const result = await revokeCertificate(req.body, { backend: w.backend, cas: w.cas, revokedBy: req.user.name, now: w.clock.now() });
    const answer = revocationAnswer(result);
    if (result.outcome === "revoked" || result.outcome === "already-revoked") set?.add(result.issuerId, result.record.serial);
    if (answer.status === 201) w.log(`revocations: ${formatRevocation(answer.body.record)}`);
    return { status: answer.status, contentType: "application/json", body: JSON.stringify(answer.body) };
  };
  return { read: [[REVOCATIONS_PATH, list], [CRL_PATH, crl]], write: [[REVOCATIONS_PATH, revoke]] };
}

/** The per-request check, with one log line per revoked certificate a minute (a client retrying in a
 *  loop must not flood the log; serial and subject only, no key material). */
export function refusalCheck(set: RevocationSet, clock: Clock, log: (line: string) => void): CertificateRefusal {
  const lastLogged = new Map<string, number>();
  return (leaf) => {
    if (!set.isRevoked(leaf)) return false;
    const now = clock.now().getTime();
    const key = `${leaf.serialHex}/${leaf.fingerprintSha256}`;
    if (now - (lastLogged.get(key) ?? -Infinity) >= 60_000) {
      lastLogged.set(key, now);
      log(`revocations: refused revoked client certificate serial=${leaf.serialHex} subject="${formatSubject(leaf)}"`);
    }
    return true;
  };
}

function formatSubject(c: Certificate): string {
  return [...c.subject.attributes].reverse().map((a) => `${a.type}=${a.value}`).join(",");
}

/** Fills the set from storage before the server serves (fail closed) and keeps it current. */
export async function startRevocations(w: RevocationWiring, signal: AbortSignal): Promise<{ set: RevocationSet; refuse: CertificateRefusal }> {
  const set = await startRevocationSet(w.backend, signal, { log: w.log });
  return { set, refuse: refusalCheck(set, w.clock, w.log) };
}
