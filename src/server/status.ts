// The ONLY place where error codes become HTTP statuses (DESIGN.md rule 7). Every error reaches
// the client as a metav1.Status with apimachinery's field order (reference k8s-authn-and-rbac.md §6.1):
// kind, apiVersion, metadata, status, message, reason, details{name, group, kind, uid, causes,
// retryAfterSeconds}, code — kubectl prints `Error from server (<reason>): <message>` from it.
import { ApiError, type ApiErrorCode, type StatusDetails } from "../api/index.ts";
import { StorageError, type StorageErrorCode } from "../storage/index.ts";

export const HTTP_STATUS: Readonly<Record<ApiErrorCode, number>> = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  MethodNotAllowed: 405,
  NotAcceptable: 406,
  AlreadyExists: 409,
  Conflict: 409,
  Gone: 410,
  Expired: 410,
  RequestEntityTooLarge: 413,
  UnsupportedMediaType: 415,
  Invalid: 422,
  TooManyRequests: 429,
  InternalError: 500,
  ServiceUnavailable: 503,
  Timeout: 504,
};

// Storage errors that escape the registry untranslated (it normally maps exists/not-found/conflict
// to resource-specific ApiErrors itself).
const STORAGE_ERRORS: Readonly<Record<StorageErrorCode, ApiErrorCode>> = {
  exists: "AlreadyExists",
  "not-found": "NotFound",
  conflict: "Conflict",
  compacted: "Gone",
  unavailable: "ServiceUnavailable",
  // kube-apiserver answers 500 here (kubernetes#112152); the client's request is what is too big.
  "too-large": "RequestEntityTooLarge",
  "too-new": "Timeout",
  corrupt: "InternalError",
  invalid: "BadRequest",
};

export interface StatusBody {
  readonly kind: "Status";
  readonly apiVersion: "v1";
  readonly metadata: Record<string, never>;
  readonly status: "Failure" | "Success";
  readonly message: string;
  readonly reason: string;
  readonly details?: StatusDetails;
  readonly code: number;
}

function orderedDetails(d: StatusDetails): StatusDetails {
  const out: { -readonly [K in keyof StatusDetails]: StatusDetails[K] } = {};
  if (d.name) out.name = d.name;
  if (d.group) out.group = d.group;
  if (d.kind) out.kind = d.kind;
  if (d.uid) out.uid = d.uid;
  if (d.causes && d.causes.length > 0) {
    out.causes = d.causes.map((c) => {
      const cause: { reason?: string; message?: string; field?: string } = {};
      if (c.reason) cause.reason = c.reason;
      if (c.message) cause.message = c.message;
      if (c.field) cause.field = c.field;
      return cause;
    });
  }
  if (d.retryAfterSeconds) out.retryAfterSeconds = d.retryAfterSeconds;
  return out;
}

export function statusBody(code: ApiErrorCode, message: string, details?: StatusDetails): StatusBody {
  const http = HTTP_STATUS[code];
  const base = { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason: code } as const;
  return details === undefined ? { ...base, code: http } : { ...base, details: orderedDetails(details), code: http };
}

/** Any thrown value → ApiError (unknown failures become 500 InternalError, message kept). */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof StorageError) {
    const code = STORAGE_ERRORS[err.code];
    if (code === "Gone") return new ApiError("Gone", `too old resource version: ${err.message}`);
    return new ApiError(code, err.message);
  }
  const m = err instanceof Error ? err.message : String(err);
  return new ApiError("InternalError", `Internal error occurred: ${m}`, { causes: [{ message: m }] });
}

/** HTTP status + Status body for any thrown value. */
export function errorResponse(err: unknown): { readonly httpStatus: number; readonly body: StatusBody } {
  const e = toApiError(err);
  return { httpStatus: HTTP_STATUS[e.code], body: statusBody(e.code, e.message, e.details) };
}

/** apiserver's 401 body (NewUnauthorized("Unauthorized"), no details; §6.3). */
export const UNAUTHORIZED_BODY = JSON.stringify(statusBody("Unauthorized", "Unauthorized"));

/** A Success Status (DELETE of a collection-less object may answer it). */
export function successStatus(details?: StatusDetails): Record<string, unknown> {
  const body: Record<string, unknown> = { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success" };
  if (details) body["details"] = orderedDetails(details);
  return body;
}
