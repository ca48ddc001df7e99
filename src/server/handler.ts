// The handler chain, in ONE function (DESIGN.md rule 11), in kube-apiserver's order
// (reference k8s-authn-and-rbac.md §2.3): body limit → request info → authenticate (401) →
// impersonate (403) → authorize (403) → route (health, version, discovery, OpenAPI, or the registry's handler).
import type { IncomingMessage, ServerResponse } from "node:http";
import { ApiError, forbidden } from "../api/index.ts";
import { forbiddenMessage } from "../auth/index.ts";
import type { AuthenticationResult, Authenticator, RequestAttributes, UserInfo } from "../auth/index.ts";
import type { Registry } from "../registry/index.ts";
import { checkDeclaredLength, decodeObject, readBody } from "./body.ts";
import { aggregatedVersion, AGGREGATED_V2, AGGREGATED_V2BETA1, VERSION_INFO, type DiscoveryDocs } from "./discovery.ts";
import { impersonatedUser } from "./impersonate.ts";
import type { ServerMetrics } from "./metrics.ts";
import type { CertificateRefusal, ExtraPathHandler, ExtraWriteHandler } from "./extra-paths.ts";
import { OPENAPI_V2_PROTOBUF } from "./openapi-v2.ts";
import { socketState, type ParseCertificate } from "./peer.ts";
import { parseRequestInfo, type RequestInfo } from "./request-info.ts";
import { serveResource, type RestEnv } from "./rest.ts";
import { errorResponse, UNAUTHORIZED_BODY } from "./status.ts";

export interface HandlerOptions extends RestEnv {
  readonly registry: Registry;
  readonly authenticator: Authenticator;
  readonly parseCertificate: ParseCertificate;
  readonly discovery: DiscoveryDocs;
  readonly isReady: () => boolean;
  /** How long a connection's certificate authentication is reused (ms); 0 disables the cache. */
  readonly authCacheMs: number;
  readonly onInternalError?: (err: unknown, req: IncomingMessage) => void;
  readonly extraPaths?: ReadonlyMap<string, ExtraPathHandler>;
  /** POST handlers of extra non-resource paths (kpki's /kpki/revocations). */
  readonly extraWritePaths?: ReadonlyMap<string, ExtraWriteHandler>;
  /** A revoked certificate must not ride on its connection's cached verdict (checked every request). */
  readonly isCertificateRevoked?: CertificateRefusal;
  /** Checks beyond ping/shutdown that /healthz, /livez and /readyz run (e.g. main/'s etcd check). */
  readonly healthChecks?: readonly RegisteredHealthCheck[];
  /** Request counters/latencies for /metrics; absent = nothing recorded. */
  readonly metrics?: ServerMetrics;
}

export type { ExtraPathHandler } from "./extra-paths.ts";

const VERSION_BODY = JSON.stringify(VERSION_INFO);
const NO_QUERY = new URLSearchParams(); // shared by query-less requests; never mutated
const HEALTH_ROOTS = new Set(["/healthz", "/livez", "/readyz"]);
const TEXT = "text/plain; charset=utf-8";

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { "Content-Type": contentType, "Content-Length": String(Buffer.byteLength(body)) });
  res.end(body);
}

export function sendError(res: ServerResponse, err: unknown): void {
  if (res.headersSent) {
    if (!res.writableEnded) res.end();
    return;
  }
  const { httpStatus, body } = errorResponse(err);
  if (httpStatus === 403) res.setHeader("X-Content-Type-Options", "nosniff");
  if (httpStatus === 413) discardRestOfBody(res.req);
  send(res, httpStatus, "application/json", JSON.stringify(body));
}

/** How much of a refused body is read and thrown away after a 413 before the connection is cut. */
const DISCARD_LIMIT = 16 * 1024 * 1024;

/** After a 413 the client is usually still sending. Closing at once makes the kernel reset the
 *  connection under the client's write, so kubectl reports "broken pipe" instead of the Status (Go's
 *  server also reads on before it closes). So the rest of the body is read and discarded, and the
 *  connection stays usable; a client that sends more than DISCARD_LIMIT is cut off. */
function discardRestOfBody(req: IncomingMessage | undefined): void {
  if (req === undefined || req.readableEnded) return;
  let seen = 0;
  req.on("data", (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > DISCARD_LIMIT) req.socket.destroy();
  });
  req.resume();
}

// kube-apiserver's health endpoints (k8s.io/apiserver/pkg/server/healthz/healthz.go): /healthz,
// /livez and /readyz each run named checks; /<root>/<check> runs one. A check resolves = ok, rejects =
// failed; ping comes first and, on /readyz, shutdown last (fails while the server drains, so load
// balancers stop sending to it). Others (main/'s etcd check) come in through HandlerOptions.healthChecks.
export interface HealthCheck {
  readonly name: string;
  check(): Promise<void>;
}

export type HealthEndpoint = "healthz" | "livez" | "readyz";

/** A check and the endpoints that run it (kube: AddHealthChecks / AddLivezChecks / AddReadyzChecks). */
export interface RegisteredHealthCheck extends HealthCheck {
  readonly endpoints: readonly HealthEndpoint[];
}

function healthChecks(root: string, opts: HandlerOptions): HealthCheck[] {
  const endpoint = root.slice(1) as HealthEndpoint;
  const checks: HealthCheck[] = [{ name: "ping", check: async () => undefined }];
  checks.push(...(opts.healthChecks ?? []).filter((c) => c.endpoints.includes(endpoint)));
  const shutdown = async (): Promise<void> => {
    if (!opts.isReady()) throw new Error("the server is shutting down or not yet serving");
  };
  if (endpoint === "readyz") checks.push({ name: "shutdown", check: shutdown });
  return checks;
}

/** handleRootHealth: "ok", or with ?verbose one "[+]name ok" line per check; any failure is a 500
 *  listing every check, the failed ones as "[-]name failed: reason withheld" (the endpoint is public;
 *  /<root>/<name> gives the reason to whoever may read it). ?exclude=name skips a check. */
export async function healthResponse(root: string, query: URLSearchParams, checks: readonly HealthCheck[]): Promise<{ status: number; body: string }> {
  const excluded = new Set(query.getAll("exclude"));
  const results = await Promise.all(
    checks.map(async (c) => (excluded.delete(c.name) ? `[+]${c.name} excluded: ok` : await c.check().then(() => `[+]${c.name} ok`, () => `[-]${c.name} failed: reason withheld`))),
  );
  const lines = results.map((r) => `${r}\n`).join("");
  const unknown = [...excluded].map((n) => `"${n}"`).join(", ");
  const out = unknown === "" ? lines : `${lines}warn: some health checks cannot be excluded: no matches for ${unknown}\n`;
  const name = root.slice(1);
  if (results.some((r) => r.startsWith("[-]"))) return { status: 500, body: `${out}${name} check failed\n` };
  return { status: 200, body: query.has("verbose") ? `${out}${name} check passed\n` : "ok" };
}

/** /healthz, /livez, /readyz and /<root>/<check> (adaptCheckToHandler: the reason is shown here). */
async function serveHealth(res: ServerResponse, path: string, query: URLSearchParams, opts: HandlerOptions): Promise<boolean> {
  const slash = path.indexOf("/", 1);
  const root = slash < 0 ? path : path.slice(0, slash);
  if (!HEALTH_ROOTS.has(root)) return false;
  const checks = healthChecks(root, opts);
  res.setHeader("X-Content-Type-Options", "nosniff");
  if (slash < 0) {
    const r = await healthResponse(root, query, checks);
    send(res, r.status, TEXT, r.body);
    return true;
  }
  const one = checks.find((c) => c.name === path.slice(slash + 1));
  if (one === undefined) return false;
  const failure = await one.check().then(() => undefined, (err: unknown) => (err instanceof Error ? err.message : String(err)));
  send(res, failure === undefined ? 200 : 500, TEXT, failure === undefined ? "ok" : `internal server error: ${failure}\n`);
  return true;
}

function bearerToken(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  if (h === undefined || h.length < 8 || h.slice(0, 7).toLowerCase() !== "bearer ") return undefined;
  const t = h.slice(7).trim();
  return t === "" ? undefined : t;
}

async function authenticate(req: IncomingMessage, path: string, opts: HandlerOptions): Promise<AuthenticationResult> {
  const state = socketState(req.socket, opts.parseCertificate);
  if (!state.peer.ok) return { outcome: "rejected", reason: state.peer.reason };
  const token = bearerToken(req);
  if (token !== undefined) return opts.authenticator.authenticate({ peerCertificates: state.peer.chain, bearerToken: token, path });
  // Same certificate on the same connection: reuse its verdict for a short while (never past the
  // leaf's notAfter), so keep-alive clients pay for chain verification once.
  const now = Date.now();
  const leaf = state.peer.chain[0];
  // A revocation must take effect on the next request of an already authenticated keep-alive
  // connection, so it is checked before the connection's cached verdict (a 401, like every bad certificate).
  if (leaf !== undefined && opts.isCertificateRevoked !== undefined && opts.isCertificateRevoked(leaf)) {
    return { outcome: "rejected", reason: "the client certificate has been revoked" };
  }
  if (state.auth !== undefined && state.authUntil !== undefined && now < state.authUntil) return state.auth;
  const result = await opts.authenticator.authenticate({ peerCertificates: state.peer.chain, path });
  // kube observes this per authenticated request; once per (cached) connection verdict is enough here.
  if (opts.metrics !== undefined && leaf !== undefined && result.outcome === "authenticated") {
    opts.metrics.observeCertificateExpiry((leaf.notAfter.getTime() - now) / 1000);
  }
  if (opts.authCacheMs > 0 && state.peer.chain.length > 0) {
    state.auth = result;
    state.authUntil = Math.min(now + opts.authCacheMs, leaf ? leaf.notAfter.getTime() : 0);
  }
  return result;
}

function attributes(user: UserInfo, ri: RequestInfo): RequestAttributes {
  return {
    user,
    verb: ri.verb,
    isResourceRequest: ri.isResourceRequest,
    path: ri.path,
    apiGroup: ri.apiGroup,
    apiVersion: ri.apiVersion,
    resource: ri.resource,
    subresource: ri.subresource,
    namespace: ri.namespace,
    name: ri.name,
  };
}

function serveNonResource(req: IncomingMessage, res: ServerResponse, path: string, opts: HandlerOptions): void {
  if (req.method !== "GET" && req.method !== "HEAD") {
    throw new ApiError("MethodNotAllowed", `${req.method ?? ""} is not supported on ${path}`);
  }
  const trimmed = path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
  if (trimmed === "/version") return send(res, 200, "application/json", VERSION_BODY);
  const d = opts.discovery;
  if (trimmed === "/api" || trimmed === "/apis") {
    const v = aggregatedVersion(req.headers.accept);
    res.setHeader("Vary", "Accept");
    if (v !== undefined) {
      const docs = trimmed === "/api" ? d.aggregatedCore : d.aggregatedGroups;
      return send(res, 200, v === "v2" ? AGGREGATED_V2 : AGGREGATED_V2BETA1, docs[v]);
    }
  }
  if (trimmed === "/openapi/v2" && req.headers.accept?.includes("protobuf")) {
    res.writeHead(200, { "Content-Type": OPENAPI_V2_PROTOBUF, "Content-Length": String(d.openapiV2.length) });
    res.end(d.openapiV2);
    return;
  }
  const doc = d.legacy.get(trimmed) ?? d.openapi.get(trimmed);
  if (doc !== undefined) return send(res, 200, "application/json", doc);
  // Everything else (JSON /openapi/v2 too): kubectl falls back to compiled-in types on a 404 (§2).
  throw new ApiError("NotFound", "the server could not find the requested resource");
}

/** The whole chain for one request; every failure becomes a Status (status.ts). */
export async function handleRequest(req: IncomingMessage, res: ServerResponse, opts: HandlerOptions, seen?: { ri?: RequestInfo }): Promise<void> {
  const url = req.url ?? "/";
  const q = url.indexOf("?");
  const path = q < 0 ? url : url.slice(0, q);
  const query = q < 0 ? NO_QUERY : new URLSearchParams(url.slice(q + 1));
  checkDeclaredLength(req, opts.maxBodyBytes);
  const ri = parseRequestInfo(req.method ?? "GET", path, query);
  if (seen !== undefined) seen.ri = ri;
  const authn = await authenticate(req, path, opts);
  if (authn.outcome !== "authenticated") {
    res.writeHead(401, { "Content-Type": "application/json", "Content-Length": String(UNAUTHORIZED_BODY.length) });
    res.end(UNAUTHORIZED_BODY);
    return;
  }
  let user = authn.user;
  const h = req.headers;
  if (h["impersonate-user"] !== undefined || h["impersonate-group"] !== undefined || h["impersonate-uid"] !== undefined) {
    user = (await impersonatedUser(req, user, opts.authorizer)) ?? user;
  }
  const attrs = attributes(user, ri);
  const decision = await opts.authorizer.authorize(attrs);
  if (decision.verdict !== "allow") {
    const why = forbiddenMessage(attrs, decision.reason);
    throw ri.isResourceRequest ? forbidden(ri.apiGroup, ri.resource, ri.name, why) : forbidden("", "", "", why);
  }
  if (!ri.isResourceRequest && (req.method === "GET" || req.method === "HEAD")) {
    const trimmed = path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
    if (await serveHealth(res, trimmed, query, opts)) return;
  }
  const extra = ri.isResourceRequest ? undefined : opts.extraPaths?.get(path);
  if (extra !== undefined && (req.method === "GET" || req.method === "HEAD")) {
    const out = await extra(query);
    return send(res, 200, out.contentType, out.body);
  }
  const write = ri.isResourceRequest || req.method !== "POST" ? undefined : opts.extraWritePaths?.get(path);
  if (write !== undefined) {
    const body = decodeObject(req.headers["content-type"], await readBody(req, opts.maxBodyBytes));
    const out = await write({ query, body, user });
    return send(res, out.status, out.contentType, out.body);
  }
  if (!ri.isResourceRequest) return serveNonResource(req, res, path, opts);
  const handler = opts.registry.handler(ri.apiGroup, ri.apiVersion, ri.resource);
  return serveResource(req, res, { ri, query, user, handler }, opts);
}

/** node:http listener: runs the chain, turns anything thrown into a Status response. */
export function createRequestListener(opts: HandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const fail = (req: IncomingMessage, res: ServerResponse, err: unknown): void => {
    const e = errorResponse(err);
    if (e.httpStatus >= 500) opts.onInternalError?.(err, req);
    sendError(res, err);
  };
  const metrics = opts.metrics;
  if (metrics === undefined) return (req, res) => void handleRequest(req, res, opts).catch((err: unknown) => fail(req, res, err));
  return (req, res) => {
    const start = performance.now();
    const seen: { ri?: RequestInfo } = {};
    void handleRequest(req, res, opts, seen)
      .catch((err: unknown) => fail(req, res, err))
      .then(() => {
        // Only served resources become label values: URLs are client input (unbounded cardinality).
        const ri = seen.ri;
        const served = ri !== undefined && ri.isResourceRequest && opts.registry.handler(ri.apiGroup, ri.apiVersion, ri.resource) !== undefined;
        metrics.record(ri?.verb ?? (req.method ?? "").toLowerCase(), served ? ri.resource : "", res.statusCode, performance.now() - start);
      });
  };
}
