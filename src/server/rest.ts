// Resource requests: RequestInfo verb → the registry's ResourceHandler (docs/CONTRACTS.md registry ↔
// server). Authentication and authorization already happened; this decodes bodies and query
// parameters, checks that the object agrees with the URL, and writes JSON, Table or a watch stream.
import type { IncomingMessage, ServerResponse } from "node:http";
import { ApiError, badRequest, checkGoTypes, invalid, type ApiObject, type ResourceInfo } from "../api/index.ts";
import type { UserInfo, Authorizer } from "../auth/index.ts";
import type { ListParams, RequestContext, ResourceHandler } from "../registry/index.ts";
import { decodeObject, decodeOptional, decodePatch, readBody } from "./body.ts";
import { isWatchQuery, type RequestInfo } from "./request-info.ts";
import { toTable, wantsTable } from "./table.ts";
import { serveWatch, type WatchOptions } from "./watch.ts";

export interface RestEnv {
  readonly authorizer: Authorizer;
  readonly maxBodyBytes: number;
  readonly now: () => Date;
  readonly watch: Omit<WatchOptions, "table">;
}

const NOT_FOUND = new ApiError("NotFound", "the server could not find the requested resource");

function intParam(query: URLSearchParams, name: string): number | undefined {
  const v = query.get(name);
  if (v === null || v === "") return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw badRequest(`invalid value for ${name}: ${JSON.stringify(v)}`);
  return n;
}

export function listParams(query: URLSearchParams): ListParams {
  const p: { -readonly [K in keyof ListParams]: ListParams[K] } = {};
  const s = (k: "labelSelector" | "fieldSelector" | "continue" | "resourceVersion" | "resourceVersionMatch"): void => {
    const v = query.get(k);
    if (v !== null && v !== "") p[k] = v;
  };
  s("labelSelector");
  s("fieldSelector");
  s("continue");
  s("resourceVersion");
  s("resourceVersionMatch");
  const limit = intParam(query, "limit");
  if (limit !== undefined && limit > 0) p.limit = limit;
  const timeout = intParam(query, "timeoutSeconds");
  if (timeout !== undefined) p.timeoutSeconds = timeout;
  if (query.get("allowWatchBookmarks") === "true") p.allowWatchBookmarks = true;
  const initial = query.get("sendInitialEvents");
  if (initial === "true" || initial === "false") p.sendInitialEvents = initial === "true";
  return p;
}

/** kube's prefixFromUserAgent: a write without ?fieldManager is managed by its User-Agent up to the
 *  first "/" ("kubectl/v1.32.4 (linux/amd64) …" → "kubectl"), printable characters only, ≤ 128 bytes. */
export function managerFromUserAgent(userAgent: string | undefined): string {
  let out = "";
  for (const ch of (userAgent ?? "").split("/")[0] ?? "") {
    if (!/^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(ch)) continue; // Go's unicode.IsPrint
    if (Buffer.byteLength(out + ch) > 128) break;
    out += ch;
  }
  return out;
}

function requestContext(user: UserInfo, query: URLSearchParams, env: RestEnv, userAgent: string | undefined): RequestContext {
  const dryRun = query.getAll("dryRun");
  if (dryRun.some((d) => d !== "All")) throw badRequest(`invalid dry run value: ${JSON.stringify(dryRun.join(","))}: only "All" is supported`);
  const fv = query.get("fieldValidation") ?? undefined;
  if (fv !== undefined && fv !== "Strict" && fv !== "Warn" && fv !== "Ignore") {
    throw badRequest(`invalid fieldValidation directive: ${JSON.stringify(fv)}: must be one of Ignore, Warn, Strict`);
  }
  const fieldManager = query.get("fieldManager") || managerFromUserAgent(userAgent) || undefined;
  return { user, authorizer: env.authorizer, dryRun: dryRun.length > 0, fieldManager, fieldValidation: fv, now: env.now(), warnings: [] };
}

/** The body's metadata must agree with the URL (apiserver's create/update handlers). */
function checkAgainstUrl(obj: Record<string, unknown>, ri: RequestInfo, info: ResourceInfo, needsName: boolean): ApiObject {
  checkGoTypes(info, obj); // decoding comes first in kube: a wrongly typed name is a decode error
  const meta = (obj["metadata"] ??= {});
  if (meta === null || typeof meta !== "object" || Array.isArray(meta)) throw badRequest("metadata must be an object");
  const m = meta as Record<string, unknown>;
  if (info.namespaced) {
    if (m["namespace"] !== undefined && m["namespace"] !== "" && m["namespace"] !== ri.namespace) {
      throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
    }
    if (ri.namespace !== "") m["namespace"] = ri.namespace;
  }
  if (needsName && m["name"] !== ri.name) {
    throw badRequest(`the name of the object (${String(m["name"] ?? "")}) does not match the name on the URL (${ri.name})`);
  }
  return obj as ApiObject;
}

function sendJson(res: ServerResponse, status: number, value: unknown, warnings: readonly string[]): void {
  const body = Buffer.from(JSON.stringify(value)); // encode once; its length is the Content-Length
  const headers: Record<string, string | string[]> = { "Content-Type": "application/json", "Content-Length": String(body.length) };
  // RFC 7234 §5.5 warn-code 299 — what kube-apiserver sends for fieldValidation=Warn and deprecations.
  if (warnings.length > 0) headers["Warning"] = warnings.map((w) => `299 - ${JSON.stringify(w)}`);
  res.writeHead(status, headers);
  res.end(body);
}

/** One resource request, resolved: the handler, the namespace it acts in, the request context. */
interface Call {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly ri: RequestInfo;
  readonly query: URLSearchParams;
  readonly handler: ResourceHandler;
  readonly ns: string;
  readonly sub: string | undefined;
  readonly ctx: RequestContext;
  readonly env: RestEnv;
}

async function serveRead(c: Call): Promise<void> {
  const info = c.handler.info;
  const table = wantsTable(c.req.headers.accept) && c.sub === undefined;
  if (c.ri.verb === "watch") {
    return serveWatch(c.res, c.handler, { ctx: c.ctx, namespace: c.ns, params: listParams(c.query) }, { ...c.env.watch, table });
  }
  if (c.ri.verb === "get") {
    const rv = c.query.get("resourceVersion");
    const obj = await c.handler.get(c.ctx, c.ns, c.ri.name, c.sub, rv ? { resourceVersion: rv } : {});
    return sendJson(c.res, 200, table ? toTable(info, [obj], c.ctx.now, { resourceVersion: obj.metadata.resourceVersion }) : obj, c.ctx.warnings);
  }
  const list = await c.handler.list(c.ctx, c.ns, listParams(c.query));
  const m = list.metadata;
  const out = table ? toTable(info, list.items, c.ctx.now, { resourceVersion: m.resourceVersion, continue: m.continue, remainingItemCount: m.remainingItemCount }) : list;
  return sendJson(c.res, 200, out, c.ctx.warnings);
}

async function serveWrite(c: Call): Promise<void> {
  const { req, ri, handler, ns, sub, ctx } = c;
  const info = handler.info;
  const body = await readBody(req, c.env.maxBodyBytes);
  const type = req.headers["content-type"];
  switch (ri.verb) {
    case "create": {
      // POST to a named URL is only meaningful for subresources (kube: 405 on …/configmaps/x).
      if (ri.name !== "" && sub === undefined) throw new ApiError("MethodNotAllowed", `create is not supported on a named ${info.resource} URL; POST to the collection`);
      const obj = checkAgainstUrl(decodeObject(type, body), ri, info, false);
      if (sub !== undefined) (obj.metadata as { name?: string }).name ??= ri.name;
      return sendJson(c.res, 201, await handler.create(ctx, ns, obj, sub), ctx.warnings);
    }
    case "update":
      return sendJson(c.res, 200, await handler.update(ctx, ns, ri.name, checkAgainstUrl(decodeObject(type, body), ri, info, true), sub), ctx.warnings);
    case "patch": {
      const p = decodePatch(type, body);
      // apimachinery ValidatePatchOptions: an apply must name its manager (kubectl sends "kubectl").
      if (p.type === "apply" && !c.query.get("fieldManager")) {
        throw invalid("meta.k8s.io", "PatchOptions", "", [{ type: "FieldValueRequired", field: "fieldManager", detail: "is required for apply patch" }]);
      }
      return sendJson(c.res, 200, await handler.patch(ctx, ns, ri.name, p.type, p.patch, { force: c.query.get("force") === "true" }, sub), ctx.warnings);
    }
    case "delete": {
      const preconditions = decodeOptional(type, body)?.["preconditions"] as { uid?: string; resourceVersion?: string } | undefined;
      return sendJson(c.res, 200, await handler.delete(ctx, ns, ri.name, preconditions ? { preconditions } : {}), ctx.warnings);
    }
    case "deletecollection":
      return sendJson(c.res, 200, await handler.deleteCollection(ctx, ns, listParams(c.query)), ctx.warnings);
    default:
      throw new ApiError("MethodNotAllowed", `${ri.verb || req.method || ""} is not supported on resources of kind "${info.resource}"`);
  }
}

/** The deprecated `/api/v1/watch/namespaces/ns/configmaps/NAME` form names the object in the path;
 *  watching it means watching the collection with `metadata.name=NAME` (what client-go sends today). */
function watchQuery(ri: RequestInfo, query: URLSearchParams): URLSearchParams {
  if (ri.verb !== "watch" || ri.name === "" || isWatchQuery(query) || query.get("fieldSelector") !== null) return query;
  const q = new URLSearchParams(query);
  q.set("fieldSelector", `metadata.name=${ri.name}`);
  return q;
}

export async function serveResource(
  req: IncomingMessage,
  res: ServerResponse,
  call: { ri: RequestInfo; query: URLSearchParams; user: UserInfo; handler: ResourceHandler | undefined },
  env: RestEnv,
): Promise<void> {
  const { ri, handler } = call;
  if (handler === undefined) throw NOT_FOUND;
  const info = handler.info;
  // Cluster-scoped kinds have no namespaced URLs (…/namespaces/x/clusterroles → 404); for the
  // "namespaces" resource RequestInfo puts the name in `namespace` too, the handler wants "".
  if (!info.namespaced && ri.namespace !== "" && ri.resource !== "namespaces") throw NOT_FOUND;
  const ns = info.namespaced ? ri.namespace : "";
  // Collection verbs act on the collection even when RequestInfo carries a name: list/watch take it
  // from `fieldSelector=metadata.name=X` for RBAC only (requestinfo.go), so `get cm -A
  // --field-selector metadata.name=X` lists across namespaces. Only a named URL needs a namespace.
  const nameFromSelector = ri.verb === "list" || (ri.verb === "watch" && isWatchQuery(call.query));
  if (info.namespaced && !nameFromSelector && ri.name !== "" && ns === "") throw NOT_FOUND;
  // An unknown subresource is an unknown URL (kube's router: 404), whatever the verb, and is refused
  // before the body is read: `kubectl create token` gets "the server could not find the requested
  // resource", not a complaint about its protobuf body.
  const sub = ri.subresource === "" ? undefined : ri.subresource;
  if (sub !== undefined && !info.subresources.includes(sub)) throw NOT_FOUND;
  const c: Call = { req, res, ri, query: watchQuery(ri, call.query), handler, ns, sub, ctx: requestContext(call.user, call.query, env, req.headers["user-agent"]), env };
  return ri.verb === "get" || ri.verb === "list" || ri.verb === "watch" ? serveRead(c) : serveWrite(c);
}
