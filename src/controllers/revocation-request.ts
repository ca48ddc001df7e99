// A revocation request → a stored record: `{ certificate: PEM }` names issuer and serial itself; a bare
// `{ serial }` is looked up in the issuance ledger (the CSR signers' certificates), and `{ serial,
// issuer }` names a CA this server knows (for certificates kpki did not issue through a CSR, e.g.
// admin.conf's). Shared by POST /kpki/revocations and the offline `kpki certs revoke`.
import { equalBytes, fromUtf8 } from "../base/index.ts";
import { formatDn, parseCertificatePem, parseDn, type Certificate } from "../pki/index.ts";
import type { StorageBackend } from "../storage/index.ts";
import { LEDGER_PREFIX, type LedgerEntry } from "./ledger.ts";
import { REVOCATION_REASONS, issuerId, normalizeSerial, reasonError, recordRevocation, type RecordOutcome } from "./revocation.ts";
import type { CrlReason } from "../pki/index.ts";

export interface RevocationContext {
  readonly backend: StorageBackend;
  /** The CAs whose certificates may be revoked here (the signers' and the client CAs). */
  readonly cas: readonly Certificate[];
  readonly revokedBy: string;
  readonly now: Date;
}

export type RevokeResult = RecordOutcome | { readonly outcome: "invalid"; readonly message: string } | { readonly outcome: "not-found"; readonly message: string };

interface Target {
  readonly serial: string;
  readonly issuerDer: Uint8Array;
  readonly issuer: string;
  readonly subject: string;
}

type Resolved = { readonly ok: true; readonly target: Target } | { readonly ok: false; readonly outcome: "invalid" | "not-found"; readonly message: string };

const invalid = (message: string): Resolved => ({ ok: false, outcome: "invalid", message });
const rfc4514 = (c: Certificate): string => formatDn(c.subject, "rfc4514");

function fromCertificate(pem: string, cas: readonly Certificate[]): Resolved {
  let cert: Certificate;
  try {
    cert = parseCertificatePem(pem);
  } catch (err) {
    return invalid(`cannot parse the certificate: ${(err as Error).message}`);
  }
  const issuer = formatDn(cert.issuer, "rfc4514");
  // Only certificates of a CA this server trusts or signs with: revoking a certificate of another
  // cluster by mistake would silently do nothing, which is worse than an error.
  if (!cas.some((ca) => equalBytes(ca.subjectDer, cert.issuerDer))) return invalid(`certificate ${cert.serialHex} was issued by "${issuer}", not by a CA of this server (${cas.map(rfc4514).join("; ")})`);
  return { ok: true, target: { serial: cert.serialHex, issuerDer: cert.issuerDer, issuer, subject: formatDn(cert.subject, "rfc4514") } };
}

async function ledgerEntry(backend: StorageBackend, serial: string): Promise<LedgerEntry | undefined> {
  const kv = await backend.get(`${LEDGER_PREFIX}${serial}`);
  return kv === undefined ? undefined : (JSON.parse(fromUtf8(kv.value)) as LedgerEntry);
}

function caNamed(text: string, cas: readonly Certificate[]): Certificate | undefined {
  let want: string;
  try {
    want = formatDn(parseDn(text), "rfc4514");
  } catch {
    want = text;
  }
  return cas.find((ca) => rfc4514(ca) === want || rfc4514(ca) === text);
}

async function fromSerial(text: string, issuer: string | undefined, ctx: RevocationContext): Promise<Resolved> {
  const serial = normalizeSerial(text);
  if (serial === undefined) return invalid(`serial "${text}" is not a hex serial number (at most 20 octets)`);
  const entry = await ledgerEntry(ctx.backend, serial);
  if (issuer === undefined && entry === undefined) {
    return { ok: false, outcome: "not-found", message: `serial ${serial} is not in the issuance ledger; give the certificate itself, or its issuer with the serial` };
  }
  const name = issuer ?? (entry as LedgerEntry).issuer;
  const ca = caNamed(name, ctx.cas);
  if (ca === undefined) return invalid(`issuer "${name}" of serial ${serial} is not a CA of this server (${ctx.cas.map(rfc4514).join("; ")})`);
  const subject = entry !== undefined && entry.issuer === rfc4514(ca) ? entry.subject : "";
  return { ok: true, target: { serial, issuerDer: ca.subjectDer, issuer: rfc4514(ca), subject } };
}

/** Parses and checks the request body, resolves the certificate and writes the record create-only. */
export async function revokeCertificate(body: unknown, ctx: RevocationContext): Promise<RevokeResult> {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return { outcome: "invalid", message: "the body must be a JSON object: { certificate } or { serial, issuer? }, and reason" };
  const b = body as Record<string, unknown>;
  const known = new Set(["certificate", "serial", "issuer", "reason"]);
  const extra = Object.keys(b).filter((k) => !known.has(k));
  if (extra.length > 0) return { outcome: "invalid", message: `unknown field "${extra[0]}": use certificate, serial, issuer and reason` };
  for (const k of known) if (b[k] !== undefined && typeof b[k] !== "string") return { outcome: "invalid", message: `${k} must be a string` };
  const { certificate, serial, issuer } = b as Partial<Record<string, string>>;
  const reason = (b["reason"] as string | undefined) ?? "unspecified";
  if (!(REVOCATION_REASONS as readonly string[]).includes(reason)) return { outcome: "invalid", message: reasonError(reason) };
  if ((certificate === undefined) === (serial === undefined)) return { outcome: "invalid", message: "give either certificate (PEM) or serial, not both or neither" };
  if (certificate !== undefined && issuer !== undefined) return { outcome: "invalid", message: "issuer goes with serial; a certificate names its own issuer" };
  const r = certificate !== undefined ? fromCertificate(certificate, ctx.cas) : await fromSerial(serial as string, issuer, ctx);
  if (!r.ok) return r.outcome === "invalid" ? { outcome: "invalid", message: r.message } : { outcome: "not-found", message: r.message };
  const t = r.target;
  const record = { serial: t.serial, issuer: t.issuer, subject: t.subject, reason: reason as CrlReason, revokedAt: ctx.now.toISOString().replace(/\.\d{3}Z$/, "Z"), revokedBy: ctx.revokedBy };
  return recordRevocation(ctx.backend, issuerId(t.issuerDer), record);
}
