// certificates.k8s.io/v1 CertificateSigningRequest: wire types, small helpers shared by registry/ and
// controllers/, and the validation of pkg/apis/certificates/validation/validation.go with Kubernetes'
// exact messages (reference k8s-csr-api-and-signers.md §2). Pure: no I/O.
import { fromBase64, fromUtf8, messageOf } from "../base/index.ts";
import { parseCsrPem, verifyCsrSignature } from "../pki/index.ts";
import type { Csr } from "../pki/index.ts";
import type { FieldError } from "./errors.ts";
import type { ApiObject, ObjectMeta } from "./meta.ts";
import { validateSignerName } from "./signer-name.ts";
import { certificateDataError } from "./certificate-data.ts";
export { certificateDataError } from "./certificate-data.ts";

export { validateSignerName } from "./signer-name.ts";

export const CERTIFICATES_GROUP = "certificates.k8s.io";
export const CERTIFICATES_API_VERSION = "certificates.k8s.io/v1";
export const CSR_RESOURCE = "certificatesigningrequests";

export const KUBE_APISERVER_CLIENT_SIGNER = "kubernetes.io/kube-apiserver-client";
export const KUBE_APISERVER_CLIENT_KUBELET_SIGNER = "kubernetes.io/kube-apiserver-client-kubelet";
export const KUBELET_SERVING_SIGNER = "kubernetes.io/kubelet-serving";
export const LEGACY_UNKNOWN_SIGNER = "kubernetes.io/legacy-unknown";

/** kpki addition: the user who added the Approved/Denied condition (written only by the /approval
 *  strategy; every other write keeps the stored value), so the issuance ledger can name the approver. */
export const APPROVER_ANNOTATION = "certificates.kpki.io/approver";

/** The 23 KeyUsage strings of certificates.k8s.io (types.go), sorted as Go's sets.List prints them. */
export const KEY_USAGES: readonly string[] = Object.freeze(
  [
    "signing", "digital signature", "content commitment", "key encipherment", "key agreement",
    "data encipherment", "cert sign", "crl sign", "encipher only", "decipher only", "any",
    "server auth", "client auth", "code signing", "email protection", "s/mime", "ipsec end system",
    "ipsec tunnel", "ipsec user", "timestamping", "ocsp signing", "microsoft sgc", "netscape sgc",
  ].sort(),
);

export interface CertificateSigningRequestCondition {
  type: string;
  status?: string;
  reason?: string;
  message?: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
}

export interface CertificateSigningRequestSpec {
  /** base64 of the PEM "CERTIFICATE REQUEST" block (Go []byte on the wire). */
  request: string;
  signerName: string;
  expirationSeconds?: number;
  usages?: string[];
  username?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

export interface CertificateSigningRequestStatus {
  conditions?: CertificateSigningRequestCondition[];
  /** base64 of the PEM certificate chain. */
  certificate?: string;
}

export interface CertificateSigningRequest extends ApiObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: CertificateSigningRequestSpec;
  status?: CertificateSigningRequestStatus;
}

// ---- helpers -------------------------------------------------------------------------------

function bytesOf(b64: string | undefined): Uint8Array {
  if (b64 === undefined || b64 === "") return new Uint8Array(0);
  return fromBase64(b64);
}

/** The PEM text of spec.request. */
export function csrRequestPem(obj: CertificateSigningRequest): string {
  return fromUtf8(bytesOf(obj.spec?.request));
}

/** The PEM text of status.certificate ("" when none). */
export function csrCertificatePem(obj: CertificateSigningRequest): string {
  return fromUtf8(bytesOf(obj.status?.certificate));
}

/** Parsed requests by their wire text. A CSR is parsed and verified on create, on every /status and
 *  /approval write, by admission and by two controllers; the request is immutable, so the outcome is
 *  cached (bounded, oldest evicted). Parsing and signature checks are pure, so caching is safe. */
interface ParsedRequest {
  readonly csr?: Csr;
  readonly error?: string;
  signatureError?: string | null;
}
const PARSE_CACHE_MAX = 1024;
const parseCache = new Map<string, ParsedRequest>();

function parsedRequest(obj: CertificateSigningRequest): ParsedRequest {
  const key = obj.spec?.request ?? "";
  const hit = parseCache.get(key);
  if (hit) return hit;
  let entry: ParsedRequest;
  try {
    entry = { csr: parseCsrPem(csrRequestPem(obj)) };
  } catch (err) {
    entry = { error: messageOf(err) };
  }
  if (parseCache.size >= PARSE_CACHE_MAX) parseCache.delete(parseCache.keys().next().value ?? "");
  parseCache.set(key, entry);
  return entry;
}

/** ParseCSR of pkg/apis/certificates/helpers.go: first PEM block must be a CERTIFICATE REQUEST. Throws
 *  an Error with the parse message. */
export function parseCsrRequest(obj: CertificateSigningRequest): Csr {
  const p = parsedRequest(obj);
  if (p.csr === undefined) throw new Error(p.error ?? "cannot parse CSR");
  return p.csr;
}

export function conditionsOf(obj: CertificateSigningRequest): CertificateSigningRequestCondition[] {
  return obj.status?.conditions ?? [];
}

export function hasConditionType(obj: CertificateSigningRequest, type: string): boolean {
  return conditionsOf(obj).some((c) => c.type === type);
}

/** IsCertificateRequestApproved: an Approved condition and no Denied condition (status values not read). */
export function isCsrApproved(obj: CertificateSigningRequest): boolean {
  return hasConditionType(obj, "Approved") && !hasConditionType(obj, "Denied");
}

/** HasTrueCondition(Failed): a Failed condition whose status is True or empty. */
export function isCsrFailed(obj: CertificateSigningRequest): boolean {
  return conditionsOf(obj).some((c) => c.type === "Failed" && (c.status === "True" || !c.status));
}

/** kubectl's CONDITION column (extractCSRStatus, §11): Denied|Approved|Pending [,Failed] [,Issued]. */
export function csrConditionText(obj: CertificateSigningRequest): string {
  let s = hasConditionType(obj, "Denied") ? "Denied" : hasConditionType(obj, "Approved") ? "Approved" : "Pending";
  if (hasConditionType(obj, "Failed")) s += ",Failed";
  if ((obj.status?.certificate ?? "") !== "") s += ",Issued";
  return s;
}

/** RFC 3339 with second precision, as metav1.Time serializes. */
export function metaTime(d: Date): string {
  return `${d.toISOString().slice(0, 19)}Z`;
}

/** populateConditionTimestamps (strategy.go): fill lastUpdateTime; keep lastTransitionTime from an old
 *  condition of the same type and status, else now. Also v1 defaulting: empty status → "True". */
export function populateConditionTimestamps(
  next: CertificateSigningRequestCondition[],
  old: readonly CertificateSigningRequestCondition[],
  now: Date,
): CertificateSigningRequestCondition[] {
  const t = metaTime(now);
  return next.map((c) => {
    const status = c.status === undefined || c.status === "" ? "True" : c.status;
    const prev = old.find((o) => o.type === c.type && o.status === status && o.lastTransitionTime);
    return {
      ...c,
      status,
      lastUpdateTime: c.lastUpdateTime || t,
      lastTransitionTime: c.lastTransitionTime || prev?.lastTransitionTime || t,
    };
  });
}

// ---- validation (§2) -----------------------------------------------------------------------

export type CsrUpdateKind = "main" | "status" | "approval";

interface Options {
  allowBothApprovedAndDenied: boolean;
  allowLegacySignerName: boolean;
  allowDuplicateConditionTypes: boolean;
  allowEmptyConditionType: boolean;
  allowArbitraryCertificate: boolean;
  allowDuplicateUsages: boolean;
  allowUnknownUsages: boolean;
  allowSettingCertificate: boolean;
  allowSettingApprovalConditions: boolean;
}

const STRICT: Options = {
  allowBothApprovedAndDenied: false,
  allowLegacySignerName: false,
  allowDuplicateConditionTypes: false,
  allowEmptyConditionType: false,
  allowArbitraryCertificate: false,
  allowDuplicateUsages: false,
  allowUnknownUsages: false,
  allowSettingCertificate: false,
  allowSettingApprovalConditions: false,
};

const invalid = (field: string, value: unknown, detail: string): FieldError => ({ type: "FieldValueInvalid", field, value, detail });
const forbidden = (field: string, detail: string): FieldError => ({ type: "FieldValueForbidden", field, detail });

const SIGNATURE_ERRORS = {
  rsa: "crypto/rsa: verification error",
  ecdsa: "x509: ECDSA verification failure",
  ed25519: "x509: Ed25519 verification failure",
} as const;

const verified = new WeakMap<Csr, boolean>();

/** verifyCsrSignature, remembered per parsed Csr (frozen, so its DER cannot change under the result).
 *  The create validation and the signer's proof-of-possession check see the same cached Csr object,
 *  so the public-key import + verify — the dearest part of issuance after the CA's own signature — runs
 *  once per request; pass it as the signer's `verifyCsr`. */
export function verifyCsrOnce(csr: Csr): boolean {
  let ok = verified.get(csr);
  if (ok === undefined) {
    ok = verifyCsrSignature(csr);
    verified.set(csr, ok);
  }
  return ok;
}

/** validateCSR: parse the first PEM block and check the proof of possession. */
function requestError(obj: CertificateSigningRequest): string | undefined {
  const p = parsedRequest(obj);
  if (p.csr === undefined) return p.error;
  if (p.signatureError === undefined) {
    // Go's CheckSignature error texts per key type (crypto/x509).
    p.signatureError = verifyCsrOnce(p.csr) ? null : SIGNATURE_ERRORS[p.csr.keyAlgorithm.kind];
  }
  return p.signatureError ?? undefined;
}

function validateUsages(usages: readonly string[], o: Options): FieldError[] {
  const errs: FieldError[] = [];
  if (usages.length === 0) errs.push({ type: "FieldValueRequired", field: "spec.usages", detail: "" });
  if (!o.allowUnknownUsages) {
    usages.forEach((u, i) => {
      if (!KEY_USAGES.includes(u)) {
        errs.push({ type: "FieldValueNotSupported", field: `spec.usages[${i}]`, value: u, allowed: KEY_USAGES });
      }
    });
  }
  if (!o.allowDuplicateUsages) {
    const seen = new Set<string>();
    usages.forEach((u, i) => {
      if (seen.has(u)) errs.push({ type: "FieldValueDuplicate", field: `spec.usages[${i}]`, value: u });
      seen.add(u);
    });
  }
  return errs;
}

const TRUE_ONLY = new Set(["Approved", "Denied", "Failed"]);

function validateConditions(conds: readonly CertificateSigningRequestCondition[], o: Options): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  let hasApproved = false;
  let hasDenied = false;
  conds.forEach((c, i) => {
    const p = `status.conditions[${i}]`;
    const type = c.type ?? "";
    if (!o.allowEmptyConditionType && type === "") errs.push({ type: "FieldValueRequired", field: `${p}.type`, detail: "" });
    const allowed = TRUE_ONLY.has(type) ? ["True"] : ["False", "True", "Unknown"];
    if (!c.status) errs.push({ type: "FieldValueRequired", field: `${p}.status`, detail: "" });
    else if (!allowed.includes(c.status)) errs.push({ type: "FieldValueNotSupported", field: `${p}.status`, value: c.status, allowed });
    if (!o.allowBothApprovedAndDenied) {
      const clash = (type === "Approved" && hasDenied) || (type === "Denied" && hasApproved);
      if (type === "Approved") hasApproved = true;
      if (type === "Denied") hasDenied = true;
      if (clash) errs.push(invalid(`${p}.type`, type, "Approved and Denied conditions are mutually exclusive"));
    }
    if (!o.allowDuplicateConditionTypes) {
      if (seen.has(type)) errs.push({ type: "FieldValueDuplicate", field: `${p}.type`, value: type });
      seen.add(type);
    }
  });
  return errs;
}

function validateObject(obj: CertificateSigningRequest, o: Options): FieldError[] {
  const errs: FieldError[] = [];
  if (obj.metadata?.namespace) errs.push(forbidden("metadata.namespace", "not allowed on this type"));
  const spec = obj.spec ?? ({ request: "", signerName: "" } as CertificateSigningRequestSpec);
  const reqErr = requestError(obj);
  if (reqErr !== undefined) errs.push(invalid("spec.request", csrRequestPemSafe(obj), reqErr));
  errs.push(...validateUsages(spec.usages ?? [], o));
  const signer = spec.signerName ?? "";
  if (!o.allowLegacySignerName && signer === LEGACY_UNKNOWN_SIGNER) {
    errs.push(invalid("spec.signerName", signer, "the legacy signerName is not allowed via this API version"));
  } else {
    errs.push(...validateSignerName(signer));
  }
  const exp = spec.expirationSeconds;
  if (exp !== undefined && exp !== null && exp < 600) {
    errs.push(invalid("spec.expirationSeconds", exp, "may not specify a duration less than 600 seconds (10 minutes)"));
  }
  errs.push(...validateConditions(conditionsOf(obj), o));
  if (!o.allowArbitraryCertificate) {
    const e = certificateDataError(csrCertificatePemSafe(obj));
    if (e !== undefined) errs.push(invalid("status.certificate", "<certificate data>", e));
  }
  return errs;
}

function csrRequestPemSafe(obj: CertificateSigningRequest): string {
  try {
    return csrRequestPem(obj);
  } catch {
    return obj.spec?.request ?? "";
  }
}
function csrCertificatePemSafe(obj: CertificateSigningRequest): string {
  try {
    return csrCertificatePem(obj);
  } catch {
    return obj.status?.certificate ?? "";
  }
}

/** ValidateCertificateSigningRequestCreate: strict on everything (§2.1). */
export function validateCsrCreate(obj: CertificateSigningRequest): FieldError[] {
  return validateObject(obj, STRICT);
}

function hasDuplicates(xs: readonly string[]): boolean {
  return new Set(xs).size !== xs.length;
}

/** Ratchets of §2.3: tolerate bad data the stored object already had. */
function updateOptions(next: CertificateSigningRequest, old: CertificateSigningRequest, kind: CsrUpdateKind): Options {
  const oldTypes = conditionsOf(old).map((c) => c.type ?? "");
  const oldUsages = old.spec?.usages ?? [];
  const certUnchanged = (next.status?.certificate ?? "") === (old.status?.certificate ?? "");
  return {
    allowBothApprovedAndDenied: oldTypes.includes("Approved") && oldTypes.includes("Denied"),
    allowLegacySignerName: old.spec?.signerName === LEGACY_UNKNOWN_SIGNER,
    allowDuplicateConditionTypes: hasDuplicates(oldTypes),
    allowEmptyConditionType: oldTypes.includes(""),
    allowArbitraryCertificate: certUnchanged || certificateDataError(csrCertificatePemSafe(old)) !== undefined,
    allowDuplicateUsages: hasDuplicates(oldUsages),
    allowUnknownUsages: oldUsages.some((u) => !KEY_USAGES.includes(u)),
    allowSettingCertificate: kind === "status",
    allowSettingApprovalConditions: kind === "approval",
  };
}

function ofType(obj: CertificateSigningRequest, t: string): CertificateSigningRequestCondition[] {
  return conditionsOf(obj).filter((c) => c.type === t);
}

/** Semantic deep-equal of condition lists (field by field; absent and "" are the same in Go). */
function sameConditions(a: readonly CertificateSigningRequestCondition[], b: readonly CertificateSigningRequestCondition[]): boolean {
  const keys = ["type", "status", "reason", "message", "lastUpdateTime", "lastTransitionTime"] as const;
  return a.length === b.length && a.every((c, i) => keys.every((k) => (c[k] ?? "") === (b[i]?.[k] ?? "")));
}

/** The three update validators of §2.2 (main resource, /status, /approval). */
export function validateCsrUpdate(next: CertificateSigningRequest, old: CertificateSigningRequest, kind: CsrUpdateKind): FieldError[] {
  const o = updateOptions(next, old, kind);
  const errs = validateObject(next, o);
  for (const t of ["Approved", "Denied", "Failed"]) {
    if (ofType(next, t).length < ofType(old, t).length) {
      errs.push(forbidden("status.conditions", `updates may not remove a condition of type ${JSON.stringify(t)}`));
    }
  }
  if (!o.allowSettingApprovalConditions) {
    for (const t of ["Approved", "Denied"]) {
      const [was, now] = [ofType(old, t), ofType(next, t)];
      if (now.length > was.length) errs.push(forbidden("status.conditions", `updates may not add a condition of type ${JSON.stringify(t)}`));
      else if (now.length === was.length && !sameConditions(was, now)) {
        const diff = `- ${JSON.stringify(was)}\n+ ${JSON.stringify(now)}`;
        errs.push(forbidden("status.conditions", `updates may not modify a condition of type ${JSON.stringify(t)}\n${diff}`));
      }
    }
  }
  if ((next.status?.certificate ?? "") !== (old.status?.certificate ?? "")) {
    if (!o.allowSettingCertificate) errs.push(forbidden("status.certificate", "updates may not set certificate content"));
    else if ((old.status?.certificate ?? "") !== "") {
      errs.push(forbidden("status.certificate", "updates may not modify existing certificate content"));
    }
  }
  return errs;
}
