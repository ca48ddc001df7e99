// The CertificateSigningRequest REST strategy (pkg/registry/certificates/certificates/strategy.go,
// reference k8s-csr-api-and-signers.md §3): what create, update, /status and /approval may change.
import {
  APPROVER_ANNOTATION,
  conditionsOf,
  populateConditionTimestamps,
  validateCsrCreate,
  validateCsrUpdate,
} from "../../api/index.ts";
import type {
  CertificateSigningRequest,
  CertificateSigningRequestCondition,
  CsrUpdateKind,
  FieldError,
  ObjectMeta,
} from "../../api/index.ts";
import type { RequestContext } from "./types.ts";


function withAnnotation(meta: ObjectMeta, value: string | undefined): ObjectMeta {
  const annotations = { ...(meta.annotations ?? {}) };
  if (value === undefined) delete annotations[APPROVER_ANNOTATION];
  else annotations[APPROVER_ANNOTATION] = value;
  const out: ObjectMeta = { ...meta, annotations };
  if (Object.keys(annotations).length === 0) delete out.annotations;
  return out;
}

function storedApprover(current: CertificateSigningRequest): string | undefined {
  return current.metadata.annotations?.[APPROVER_ANNOTATION];
}

/** PrepareForCreate: requester identity from authentication, never from the body; status wiped
 *  ("users cannot create pre-approved certificate requests"). */
export function prepareCsrForCreate(obj: CertificateSigningRequest, ctx: RequestContext): CertificateSigningRequest {
  const { user } = ctx;
  const spec = { ...obj.spec };
  delete spec.username;
  delete spec.uid;
  delete spec.groups;
  delete spec.extra;
  spec.username = user.name;
  if (user.uid) spec.uid = user.uid;
  if (user.groups.length > 0) spec.groups = [...user.groups];
  const extraKeys = Object.keys(user.extra);
  if (extraKeys.length > 0) spec.extra = Object.fromEntries(extraKeys.map((k) => [k, [...(user.extra[k] ?? [])]]));
  return { ...obj, metadata: withAnnotation(obj.metadata, undefined), spec, status: { conditions: [] } };
}

function countOf(conds: readonly CertificateSigningRequestCondition[], type: string): number {
  return conds.filter((c) => c.type === type).length;
}

/** /status keeps existing Approved/Denied instances when their count is unchanged (edits silently
 *  discarded); a changed count is left for validation to reject. */
function keepApprovalConditions(
  next: CertificateSigningRequestCondition[],
  old: readonly CertificateSigningRequestCondition[],
): CertificateSigningRequestCondition[] {
  let out = next;
  for (const t of ["Approved", "Denied"]) {
    if (countOf(next, t) !== countOf(old, t)) continue;
    const olds = old.filter((c) => c.type === t);
    let i = 0;
    out = out.map((c) => (c.type === t ? (olds[i++] ?? c) : c));
  }
  return out;
}

function newlyDecided(next: readonly CertificateSigningRequestCondition[], old: readonly CertificateSigningRequestCondition[]): boolean {
  return ["Approved", "Denied"].some((t) => countOf(next, t) > countOf(old, t));
}

export function prepareCsrForUpdate(
  next: CertificateSigningRequest,
  current: CertificateSigningRequest,
  ctx: RequestContext,
  subresource: string,
): CertificateSigningRequest {
  const old = conditionsOf(current);
  const requested = next.status?.conditions ?? [];
  if (subresource === "status") {
    const conditions = populateConditionTimestamps(keepApprovalConditions(requested, old), old, ctx.now);
    const status = { ...(next.status ?? {}), conditions };
    return { ...next, metadata: withAnnotation(next.metadata, storedApprover(current)), spec: current.spec, status };
  }
  if (subresource === "approval") {
    const conditions = populateConditionTimestamps(requested, old, ctx.now);
    const approver = newlyDecided(conditions, old) ? ctx.user.name : storedApprover(current);
    const status = { ...(current.status ?? {}), conditions };
    return { ...next, metadata: withAnnotation(next.metadata, approver), spec: current.spec, status };
  }
  // Main resource: spec and status come from storage; only metadata changes.
  return { ...next, metadata: withAnnotation(next.metadata, storedApprover(current)), spec: current.spec, status: current.status ?? { conditions: [] } };
}

export function validateCsr(obj: CertificateSigningRequest): FieldError[] {
  return validateCsrCreate(obj);
}

function updateKind(subresource: string): CsrUpdateKind {
  return subresource === "status" ? "status" : subresource === "approval" ? "approval" : "main";
}

export function validateCsrUpdateFor(next: CertificateSigningRequest, current: CertificateSigningRequest, subresource: string): FieldError[] {
  return validateCsrUpdate(next, current, updateKind(subresource));
}

/** Field selectors kube-apiserver supports on CSRs: metadata.name and spec.signerName (§3). */
export function csrFieldValue(obj: CertificateSigningRequest, field: string): string | undefined {
  if (field === "metadata.name") return obj.metadata.name ?? "";
  if (field === "spec.signerName") return obj.spec?.signerName ?? "";
  return undefined;
}
