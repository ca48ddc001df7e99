// Certificate revocation records. Kubernetes cannot revoke a client certificate; kpki keeps one
// create-only, permanent record per revoked certificate in the StorageBackend (memory, SQLite, etcd)
// under /kpki/revoked/<issuer-id>/<serial>, beside the issuance ledger. The issuer id is part of the
// key because a serial is unique only per issuer (RFC 5280 §4.1.2.2): the hex SHA-256 (first 128 bits)
// of the issuer Name DER, exactly as the certificate carries it. Revoking twice keeps the first record.
import { createHash } from "node:crypto";
import { fromUtf8, utf8 } from "../base/index.ts";
import { isCrlReason, type CrlReason } from "../pki/index.ts";
import { StorageError, type StorageBackend } from "../storage/index.ts";

export const REVOKED_PREFIX = "/kpki/revoked/";

/** The RFC 5280 §5.3.1 reasons kpki offers. certificateHold is not: a kpki revocation is permanent
 *  (no removeFromCRL), and aACompromise concerns attribute certificates. */
export const REVOCATION_REASONS: readonly CrlReason[] = Object.freeze([
  "unspecified", "keyCompromise", "cACompromise", "affiliationChanged", "superseded", "cessationOfOperation", "privilegeWithdrawn",
] as const);

export interface RevocationRecord {
  /** Lowercase hex without leading zeros, as Certificate.serialHex. */
  readonly serial: string;
  /** The issuer, RFC 4514 text (formatDn(…, "rfc4514")); the key holds the exact DER's hash. */
  readonly issuer: string;
  /** RFC 4514 text; "" when only a serial was given and no ledger record names the subject. */
  readonly subject: string;
  readonly reason: CrlReason;
  /** RFC 3339 UTC. */
  readonly revokedAt: string;
  /** The user who asked (the API request's user, or "kpki certs revoke (offline)"). */
  readonly revokedBy: string;
}

/** A stored record and the issuer id from its key. */
export interface StoredRevocation extends RevocationRecord {
  readonly issuerId: string;
}

const ISSUER_ID = /^[0-9a-f]{32}$/;

/** Hex SHA-256 of the issuer Name DER, first 32 hex digits (a key part, not a security boundary: the
 *  set is looked up only with names the authenticator already verified). */
export function issuerId(issuerDer: Uint8Array): string {
  return createHash("sha256").update(issuerDer).digest("hex").slice(0, 32);
}

/** "0x00AB:CD" / "ab cd" / "00abcd" → "abcd" (Certificate.serialHex's form); undefined when not hex. */
export function normalizeSerial(text: string): string | undefined {
  const clean = text.trim().replace(/^0x/i, "").replace(/[:\s]/g, "").toLowerCase();
  if (!/^[0-9a-f]+$/.test(clean) || clean.length > 40) return undefined; // §4.1.2.2: at most 20 octets
  return clean.replace(/^0+(?=.)/, "");
}

export function revocationKey(id: string, serial: string): string {
  return `${REVOKED_PREFIX}${id}/${serial}`;
}

/** issuer id + serial from a key under REVOKED_PREFIX; undefined for anything else. */
export function parseRevocationKey(key: string): { issuerId: string; serial: string } | undefined {
  if (!key.startsWith(REVOKED_PREFIX)) return undefined;
  const [id, serial, ...rest] = key.slice(REVOKED_PREFIX.length).split("/");
  if (id === undefined || serial === undefined || rest.length > 0 || !ISSUER_ID.test(id) || normalizeSerial(serial) !== serial) return undefined;
  return { issuerId: id, serial };
}

export function reasonError(reason: string): string {
  return `unknown revocation reason "${reason}": use one of ${REVOCATION_REASONS.join(", ")}`;
}

/** The problems of a record (empty = valid): what storage accepts and what a stored value must be. */
export function validateRecord(value: unknown): string[] {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return ["a revocation record must be a JSON object"];
  const r = value as Record<string, unknown>;
  const errs: string[] = [];
  const str = (k: string): string | undefined => (typeof r[k] === "string" ? (r[k] as string) : (errs.push(`${k} must be a string`), undefined));
  const serial = str("serial");
  if (serial !== undefined && normalizeSerial(serial) !== serial) errs.push(`serial "${serial}" must be lowercase hex without leading zeros (at most 20 octets)`);
  const issuer = str("issuer");
  if (issuer === "") errs.push("issuer must not be empty");
  str("subject");
  const reason = str("reason");
  if (reason !== undefined && !(isCrlReason(reason) && REVOCATION_REASONS.includes(reason))) errs.push(reasonError(reason));
  const at = str("revokedAt");
  if (at !== undefined && (Number.isNaN(Date.parse(at)) || !at.endsWith("Z"))) errs.push(`revokedAt "${at}" must be an RFC 3339 UTC time`);
  const by = str("revokedBy");
  if (by === "") errs.push("revokedBy must not be empty");
  return errs;
}

export type RecordOutcome =
  | { readonly outcome: "revoked"; readonly record: RevocationRecord; readonly issuerId: string }
  | { readonly outcome: "already-revoked"; readonly record: RevocationRecord; readonly issuerId: string };

/** Writes the record create-only; an existing record for the same issuer + serial wins (the first
 *  revocation's reason and time stay, as a CA's CRL keeps the original revocationDate). */
export async function recordRevocation(backend: StorageBackend, id: string, record: RevocationRecord): Promise<RecordOutcome> {
  const errs = validateRecord(record);
  if (errs.length > 0 || !ISSUER_ID.test(id)) throw new Error(`invalid revocation record: ${[...errs, ...(ISSUER_ID.test(id) ? [] : [`issuer id "${id}"`])].join("; ")}`);
  const key = revocationKey(id, record.serial);
  try {
    await backend.create(key, utf8(JSON.stringify(record)));
    return { outcome: "revoked", record, issuerId: id };
  } catch (err) {
    if (!(err instanceof StorageError && err.code === "exists")) throw err;
    const kv = await backend.get(key);
    return { outcome: "already-revoked", record: kv ? (JSON.parse(fromUtf8(kv.value)) as RevocationRecord) : record, issuerId: id };
  }
}

/** A stored key/value as a record; undefined for a malformed one (skipped, never fatal). */
export function decodeRevocation(key: string, value: Uint8Array): StoredRevocation | undefined {
  const k = parseRevocationKey(key);
  if (k === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(fromUtf8(value));
  } catch {
    return undefined;
  }
  if (validateRecord(v).length > 0 || (v as RevocationRecord).serial !== k.serial) return undefined;
  return { ...(v as RevocationRecord), issuerId: k.issuerId };
}

/** Every record (of one issuer when `id` is given), oldest revocation first, and the revision read. */
export async function listRevocations(backend: StorageBackend, id?: string): Promise<{ items: StoredRevocation[]; revision: number }> {
  const prefix = id === undefined ? REVOKED_PREFIX : `${REVOKED_PREFIX}${id}/`;
  const items: StoredRevocation[] = [];
  let startAfter: string | undefined;
  let revision: number | undefined;
  for (;;) {
    const page = await backend.list(prefix, { limit: 500, ...(startAfter ? { startAfter } : {}), ...(revision !== undefined ? { revision } : {}) });
    revision ??= page.revision;
    for (const kv of page.items) {
      const r = decodeRevocation(kv.key, kv.value);
      if (r !== undefined) items.push(r);
    }
    const last = page.items[page.items.length - 1];
    if (!page.more || last === undefined) break;
    startAfter = last.key;
  }
  items.sort((a, b) => a.revokedAt.localeCompare(b.revokedAt) || a.serial.localeCompare(b.serial));
  return { items, revision };
}

/** One line per record: the text form of `kpki certs revoke`'s and the list's output. */
export function formatRevocation(r: RevocationRecord): string {
  return `${r.revokedAt}  ${r.serial}  ${r.subject || "-"}  issuer=${r.issuer}  reason=${r.reason}  by=${r.revokedBy}`;
}
