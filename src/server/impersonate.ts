// User impersonation (`kubectl --as/--as-group`), apiserver/pkg/endpoints/filters/impersonation.go:
// every requested identity part is authorized for the *requestor* with verb "impersonate" on users,
// groups, serviceaccounts, uids or userextras; then the request continues as the impersonated user
// (plus system:authenticated unless it is system:anonymous). Without the right: a 403 Forbidden.
import type { IncomingMessage } from "node:http";
import { badRequest, forbidden } from "../api/index.ts";
import { forbiddenMessage, type Authorizer, type RequestAttributes, type UserInfo } from "../auth/index.ts";

const EXTRA_PREFIX = "impersonate-extra-";
const SA_PREFIX = "system:serviceaccount:";

function values(req: IncomingMessage, name: string): string[] {
  const v = req.headers[name];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function impersonationAttributes(requestor: UserInfo, resource: string, name: string, apiGroup = "", namespace = "", subresource = ""): RequestAttributes {
  return { user: requestor, verb: "impersonate", isResourceRequest: true, path: "", apiGroup, apiVersion: "", resource, subresource, namespace, name };
}

/** The attributes to check for an Impersonate-User value (service accounts are their own resource). */
function userAttributes(requestor: UserInfo, name: string): RequestAttributes {
  if (name.startsWith(SA_PREFIX)) {
    const [ns = "", sa = ""] = name.slice(SA_PREFIX.length).split(":");
    return impersonationAttributes(requestor, "serviceaccounts", sa, "", ns);
  }
  return impersonationAttributes(requestor, "users", name);
}

/** undefined when the request impersonates nobody; otherwise the user to continue as (or throws 400/403). */
export async function impersonatedUser(req: IncomingMessage, requestor: UserInfo, authorizer: Authorizer): Promise<UserInfo | undefined> {
  const name = values(req, "impersonate-user")[0];
  const groups = values(req, "impersonate-group");
  const uid = values(req, "impersonate-uid")[0];
  const extraKeys = Object.keys(req.headers).filter((h) => h.startsWith(EXTRA_PREFIX));
  if (name === undefined) {
    if (groups.length > 0 || uid !== undefined || extraKeys.length > 0) {
      throw badRequest("requested impersonation of groups, uid or extra without impersonating a user");
    }
    return undefined;
  }
  const checks: RequestAttributes[] = [userAttributes(requestor, name), ...groups.map((g) => impersonationAttributes(requestor, "groups", g))];
  const extra: Record<string, string[]> = {};
  for (const h of extraKeys) {
    const key = decodeURIComponent(h.slice(EXTRA_PREFIX.length));
    extra[key] = values(req, h).flatMap((v) => v.split(",").map((s) => s.trim()));
    for (const v of extra[key] ?? []) checks.push(impersonationAttributes(requestor, "userextras", v, "authentication.k8s.io", "", key));
  }
  if (uid !== undefined) checks.push(impersonationAttributes(requestor, "uids", uid, "authentication.k8s.io"));
  for (const a of checks) {
    const d = await authorizer.authorize(a);
    if (d.verdict !== "allow") throw forbidden(a.apiGroup, a.resource, a.name, forbiddenMessage(a, d.reason));
  }
  const allGroups = [...groups];
  if (groups.length === 0 && name.startsWith(SA_PREFIX)) {
    const ns = name.slice(SA_PREFIX.length).split(":")[0] ?? "";
    allGroups.push("system:serviceaccounts", `system:serviceaccounts:${ns}`);
  }
  if (name !== "system:anonymous" && !allGroups.includes("system:authenticated")) allGroups.push("system:authenticated");
  return { name, groups: allGroups, extra, ...(uid !== undefined ? { uid } : {}) };
}
