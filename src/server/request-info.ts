// URL → request attributes, exactly as apiserver/pkg/endpoints/request/requestinfo.go does it
// (reference k8s-authn-and-rbac.md §4). Pure: method, path and query in, a frozen RequestInfo out.

export interface RequestInfo {
  readonly isResourceRequest: boolean;
  /** The URL path (without query). */
  readonly path: string;
  /** Kubernetes verb: get, list, watch, create, update, patch, delete, deletecollection; lowercase method otherwise. */
  readonly verb: string;
  readonly apiPrefix: string;
  readonly apiGroup: string;
  readonly apiVersion: string;
  readonly namespace: string;
  readonly resource: string;
  readonly subresource: string;
  readonly name: string;
}

const METHOD_VERBS: Readonly<Record<string, string>> = {
  POST: "create",
  GET: "get",
  HEAD: "get",
  PUT: "update",
  PATCH: "patch",
  DELETE: "delete",
};

// A name usable as a path segment (apimachinery path.IsValidPathSegmentName).
function isPathSegmentName(name: string): boolean {
  return name !== "" && name !== "." && name !== ".." && !name.includes("/") && !name.includes("%");
}

function nonResource(method: string, path: string): RequestInfo {
  return {
    isResourceRequest: false,
    path,
    verb: method.toLowerCase(),
    apiPrefix: "",
    apiGroup: "",
    apiVersion: "",
    namespace: "",
    resource: "",
    subresource: "",
    name: "",
  };
}

/** requestinfo.go's watch test: "false"/"0" (or absent) is a list, anything else a watch. */
export function isWatchQuery(query: URLSearchParams): boolean {
  const w = query.get("watch");
  return w !== null && w !== "false" && w !== "0";
}

/** `fieldSelector=metadata.name=NAME` (the whole selector, exact match) names one object (§4 step 6). */
function nameFromFieldSelector(query: URLSearchParams): string {
  const sel = query.get("fieldSelector");
  if (sel === null) return "";
  const m = /^metadata\.name(==?)(.*)$/.exec(sel.trim());
  const name = m?.[2] ?? "";
  return m !== null && !name.includes(",") && isPathSegmentName(name) ? name : "";
}

export function parseRequestInfo(method: string, path: string, query: URLSearchParams): RequestInfo {
  let start = 0;
  let end = path.length;
  while (start < end && path.charCodeAt(start) === 47 /* "/" */) start++;
  while (end > start && path.charCodeAt(end - 1) === 47) end--;
  const segments = path.slice(start, end).split("/");
  const prefix = segments[0] ?? "";
  if (segments.length < 3 || (prefix !== "api" && prefix !== "apis") || (prefix === "apis" && segments.length < 4)) {
    return nonResource(method, path);
  }
  let parts = segments.slice(1);
  let apiGroup = "";
  if (prefix === "apis") {
    apiGroup = parts[0] ?? "";
    parts = parts.slice(1);
  }
  const apiVersion = parts[0] ?? "";
  parts = parts.slice(1);
  let verb = METHOD_VERBS[method] ?? "";
  // Deprecated verb-in-path forms: /api/v1/watch/…, /api/v1/proxy/…
  if (parts[0] === "watch" || parts[0] === "proxy") {
    if (parts.length < 2) return nonResource(method, path);
    verb = parts[0];
    parts = parts.slice(1);
  }
  let namespace = "";
  if (parts[0] === "namespaces" && parts.length > 1) {
    namespace = parts[1] ?? "";
    // /namespaces/{ns}/{resource}… is namespaced, except the namespace's own status/finalize.
    if (parts.length > 2 && parts[2] !== "status" && parts[2] !== "finalize") parts = parts.slice(2);
  }
  const resource = parts[0] ?? "";
  const name = parts[1] ?? "";
  const subresource = parts.length >= 3 && verb !== "proxy" ? (parts[2] ?? "") : "";
  let finalName = name;
  if (name === "") {
    if (verb === "get") verb = isWatchQuery(query) ? "watch" : "list";
    else if (verb === "delete") verb = "deletecollection";
    if (verb === "list" || verb === "watch") finalName = nameFromFieldSelector(query);
  }
  return {
    isResourceRequest: true,
    path,
    verb,
    apiPrefix: prefix,
    apiGroup,
    apiVersion,
    namespace,
    resource,
    subresource,
    name: finalName,
  };
}
