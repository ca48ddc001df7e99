// ApiError: the API layer's error with a closed code union. Registry and auth throw it; only
// server/status.ts turns it into an HTTP status + metav1.Status body (DESIGN.md rule 7).
// Messages follow apimachinery/pkg/api/errors exactly (reference k8s-authn-and-rbac.md §6.4).
import { KpkiError } from "../base/index.ts";
import { groupResourceString } from "./meta.ts";

export type ApiErrorCode =
  | "BadRequest" // 400
  | "Unauthorized" // 401
  | "Forbidden" // 403
  | "NotFound" // 404
  | "MethodNotAllowed" // 405
  | "NotAcceptable" // 406
  | "AlreadyExists" // 409
  | "Conflict" // 409
  | "Gone" // 410 (resourceVersion too old)
  | "Expired" // 410 (continue token too old)
  | "RequestEntityTooLarge" // 413
  | "UnsupportedMediaType" // 415
  | "Invalid" // 422
  | "TooManyRequests" // 429
  | "InternalError" // 500
  | "ServiceUnavailable" // 503
  | "Timeout"; // 504

export interface StatusCause {
  readonly reason?: string;
  readonly message?: string;
  readonly field?: string;
}

export interface StatusDetails {
  readonly name?: string;
  readonly group?: string;
  readonly kind?: string;
  readonly uid?: string;
  readonly causes?: readonly StatusCause[];
  readonly retryAfterSeconds?: number;
}

export class ApiError extends KpkiError<ApiErrorCode> {
  readonly details: StatusDetails | undefined;
  constructor(code: ApiErrorCode, message: string, details?: StatusDetails, options?: { cause?: unknown }) {
    super(code, message, options);
    this.details = details;
  }
}

// ---- field errors (apimachinery/pkg/util/validation/field) ------------------------------------

export type FieldErrorType =
  | "FieldValueRequired"
  | "FieldValueInvalid"
  | "FieldValueNotSupported"
  | "FieldValueDuplicate"
  | "FieldValueForbidden"
  | "FieldValueTooLong"
  | "FieldValueTooMany"
  | "FieldValueNotFound"
  | "FieldValueTypeInvalid"
  | "InternalError";

export interface FieldError {
  readonly type: FieldErrorType;
  readonly field: string;
  readonly value?: unknown;
  readonly detail?: string;
  /** For NotSupported: the supported values. For TooLong: [max]. */
  readonly allowed?: readonly (string | number)[];
}

/** Go's strconv.Quote for what JSON.stringify writes differently (control characters, DEL); Go keeps
 *  printable non-ASCII as it is, as JSON.stringify does. */
const GO_ESCAPES: Readonly<Record<string, string>> = { "\x07": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v" };
function goQuote(s: string): string {
  let out = "";
  for (const c of s) {
    const code = c.charCodeAt(0);
    if (c === "\\" || c === '"') out += `\\${c}`;
    else if (code < 0x20 || code === 0x7f) out += GO_ESCAPES[c] ?? `\\x${code.toString(16).padStart(2, "0")}`;
    else out += c;
  }
  return `"${out}"`;
}

/** field.Error.ErrorBody's value: %q for a string, %v for numbers and booleans, "null" for nil, and
 *  Go's %#v for anything else — a []string reads `[]string{"a", "b"}` (kube renders e.g. alloc.go's
 *  field.Invalid(spec.clusterIPs, []string…) so). Other composite values stay JSON: their Go types
 *  (structs, maps) are not known here. */
function renderValue(v: unknown): string {
  if (typeof v === "string") return goQuote(v);
  if (Array.isArray(v) && v.every((x) => typeof x === "string")) return `[]string{${v.map(goQuote).join(", ")}}`;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (v === undefined || v === null) return "null";
  return JSON.stringify(v);
}

/** ErrorBody(): "Required value", `Invalid value: "x": detail`, … */
export function fieldErrorBody(e: FieldError): string {
  let body: string;
  switch (e.type) {
    case "FieldValueRequired":
      body = "Required value";
      break;
    case "FieldValueForbidden":
      body = "Forbidden";
      break;
    case "FieldValueTooLong":
      body = "Too long";
      break;
    case "FieldValueTooMany":
      body = "Too many";
      break;
    case "InternalError":
      body = "Internal error";
      break;
    case "FieldValueNotSupported":
      body = `Unsupported value: ${renderValue(e.value)}`;
      if (e.allowed && e.allowed.length > 0) {
        return `${body}: supported values: ${e.allowed.map((a) => goQuote(String(a))).join(", ")}`;
      }
      break;
    case "FieldValueDuplicate":
      body = `Duplicate value: ${renderValue(e.value)}`;
      break;
    case "FieldValueNotFound":
      body = `Not found: ${renderValue(e.value)}`;
      break;
    case "FieldValueTypeInvalid":
      body = `Invalid value: ${renderValue(e.value)}`;
      break;
    default:
      body = `Invalid value: ${renderValue(e.value)}`;
  }
  if (e.type === "FieldValueTooLong" && e.allowed?.[0] !== undefined && !e.detail) {
    return `${body}: may not be more than ${e.allowed[0]} bytes`;
  }
  return e.detail ? `${body}: ${e.detail}` : body;
}

export function fieldErrorString(e: FieldError): string {
  return `${e.field}: ${fieldErrorBody(e)}`;
}

/** utilerrors.NewAggregate: one → itself, several → "[a, b]" (de-duplicated). */
export function aggregateMessages(msgs: readonly string[]): string {
  const uniq = [...new Set(msgs)];
  return uniq.length === 1 ? (uniq[0] ?? "") : `[${uniq.join(", ")}]`;
}

// ---- constructors (apimachinery/pkg/api/errors) ----------------------------------------------

export function notFound(group: string, resource: string, name: string): ApiError {
  return new ApiError("NotFound", `${groupResourceString(group, resource)} "${name}" not found`, {
    name,
    group: group || undefined,
    kind: resource,
  });
}

export function alreadyExists(group: string, resource: string, name: string): ApiError {
  return new ApiError("AlreadyExists", `${groupResourceString(group, resource)} "${name}" already exists`, {
    name,
    group: group || undefined,
    kind: resource,
  });
}

export function conflict(group: string, resource: string, name: string, why: string): ApiError {
  return new ApiError(
    "Conflict",
    `Operation cannot be fulfilled on ${groupResourceString(group, resource)} "${name}": ${why}`,
    { name, group: group || undefined, kind: resource },
  );
}

export const OBJECT_MODIFIED = "the object has been modified; please apply your changes to the latest version and try again";

/** NewInvalid: kind is the Kind ("Role"), group its API group. */
export function invalid(group: string, kind: string, name: string, errs: readonly FieldError[]): ApiError {
  const qualified = group === "" ? kind : `${kind}.${group}`;
  const msg =
    errs.length === 0
      ? `${qualified} "${name}" is invalid`
      : `${qualified} "${name}" is invalid: ${aggregateMessages(errs.map(fieldErrorString))}`;
  return new ApiError("Invalid", msg, {
    name,
    group: group || undefined,
    kind,
    causes: errs.map((e) => ({ reason: e.type, message: fieldErrorBody(e), field: e.field })),
  });
}

export function badRequest(message: string): ApiError {
  return new ApiError("BadRequest", message);
}

/** NewForbidden: `<gr> "<name>" is forbidden: <why>` (gr empty → `forbidden: <why>`). */
export function forbidden(group: string, resource: string, name: string, why: string): ApiError {
  const gr = groupResourceString(group, resource);
  const msg = gr === "" ? `forbidden: ${why}` : name === "" ? `${gr} is forbidden: ${why}` : `${gr} "${name}" is forbidden: ${why}`;
  return new ApiError("Forbidden", msg, {
    name: name || undefined,
    group: group || undefined,
    kind: resource || undefined,
  });
}

export function methodNotSupported(group: string, resource: string, action: string): ApiError {
  return new ApiError(
    "MethodNotAllowed",
    `${action} is not supported on resources of kind "${groupResourceString(group, resource)}"`,
    { group: group || undefined, kind: resource },
  );
}

export function internalError(err: unknown): ApiError {
  const m = err instanceof Error ? err.message : String(err);
  return new ApiError("InternalError", `Internal error occurred: ${m}`, { causes: [{ message: m }] });
}
