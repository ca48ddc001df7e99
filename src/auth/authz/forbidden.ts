// The 403 texts of apiserver endpoints/handlers/responsewriters/errors.go (reference §6.2).
import { ApiError, groupResourceString } from "../../api/index.ts";
import type { RequestAttributes } from "../types.ts";
import { goQuote } from "../format.ts";

/** forbiddenMessage + the `&<>` sanitizer, then `: <reason>` when the authorizer gave one (unsanitized,
 *  as Kubernetes does). */
export function forbiddenMessage(a: RequestAttributes, reason: string): string {
  const msg = sanitize(innerMessage(a));
  return reason === "" ? msg : `${msg}: ${reason}`;
}

function innerMessage(a: RequestAttributes): string {
  const user = goQuote(a.user.name);
  if (!a.isResourceRequest) return `User ${user} cannot ${a.verb} path ${goQuote(a.path)}`;
  const resource = a.subresource === "" ? a.resource : `${a.resource}/${a.subresource}`;
  const what = `User ${user} cannot ${a.verb} resource ${goQuote(resource)} in API group ${goQuote(a.apiGroup)}`;
  return a.namespace === "" ? `${what} at the cluster scope` : `${what} in the namespace ${goQuote(a.namespace)}`;
}

function sanitize(s: string): string {
  return s.replace(/[&<>]/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : "&gt;"));
}

/** The whole Forbidden error (apimachinery NewForbidden): `<gr> "<name>" is forbidden: <msg>`, details with
 *  kind = the resource (plural); non-resource requests get `forbidden: <msg>` and empty details. */
export function forbiddenError(a: RequestAttributes, reason: string): ApiError {
  const msg = forbiddenMessage(a, reason);
  if (!a.isResourceRequest || (a.apiGroup === "" && a.resource === "")) {
    return new ApiError("Forbidden", `forbidden: ${msg}`, {});
  }
  const gr = groupResourceString(a.apiGroup, a.resource);
  const message = a.name === "" ? `${gr} is forbidden: ${msg}` : `${gr} ${goQuote(a.name)} is forbidden: ${msg}`;
  return new ApiError("Forbidden", message, {
    ...(a.name !== "" ? { name: a.name } : {}),
    ...(a.apiGroup !== "" ? { group: a.apiGroup } : {}),
    kind: a.resource,
  });
}
