// The HTTPS/mTLS listener and its lifecycle (a class-like thing with a lifecycle: DESIGN.md "functions
// first; classes only for things with a lifecycle" — here a closure returning close()). HTTP/1.1 only:
// ALPN offers just http/1.1, so kubectl and client-go stay on one simple code path.
import { setMaxListeners } from "node:events";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { KpkiError, type Clock } from "../base/index.ts";
import type { Authenticator, Authorizer } from "../auth/index.ts";
import type { Registry } from "../registry/index.ts";
import { DEFAULT_MAX_BODY_BYTES } from "./body.ts";
import { buildDiscovery } from "./discovery.ts";
import { createRequestListener, type ExtraPathHandler, type HandlerOptions, type RegisteredHealthCheck } from "./handler.ts";
import type { CertificateRefusal, ExtraWriteHandler } from "./extra-paths.ts";
import { createServerMetrics, METRICS_PATH } from "./metrics.ts";
import type { ParseCertificate } from "./peer.ts";

export type ServerErrorCode = "listen" | "tls";
export class ServerError extends KpkiError<ServerErrorCode> {}

export interface ApiServerOptions {
  readonly registry: Registry;
  readonly authenticator: Authenticator;
  readonly authorizer: Authorizer;
  readonly parseCertificate: ParseCertificate;
  readonly clock: Clock;
  /** PEM serving certificate (chain) and key. */
  readonly tls: { readonly cert: string; readonly key: string };
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly maxBodyBytes?: number;
  readonly defaultWatchTimeoutSeconds?: number;
  readonly authCacheMs?: number;
  /** How long close() waits for in-flight requests before cutting connections. */
  readonly drainTimeoutMs?: number;
  readonly onInternalError?: (err: unknown) => void;
  /** Extra read-only non-resource paths (e.g. kpki's /kpki/ledger), authorized like /healthz. */
  readonly extraPaths?: ReadonlyMap<string, ExtraPathHandler>;
  /** POST handlers of extra non-resource paths (kpki's /kpki/revocations), authorized with verb "post". */
  readonly extraWritePaths?: ReadonlyMap<string, ExtraWriteHandler>;
  /** Revoked client certificates: checked on every request, so a connection's cached verdict cannot outlive a revocation. */
  readonly isCertificateRevoked?: CertificateRefusal;
  /** Checks /healthz, /livez and /readyz run besides ping (and shutdown on /readyz). */
  readonly healthChecks?: readonly RegisteredHealthCheck[];
  /** Serve /metrics and count requests (default true); RBAC guards it as a non-resource URL. */
  readonly metrics?: boolean;
}

export interface RunningApiServer {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Stop accepting, end watches, let in-flight requests finish, close every connection. */
  close(): Promise<void>;
}

function listen(server: Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      const why = err.code === "EADDRINUSE" ? "address already in use" : err.code === "EACCES" ? "permission denied" : err.message;
      reject(new ServerError("listen", `cannot listen on ${host}:${port}: ${why}`));
    };
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      resolve(server.address() as AddressInfo);
    });
  });
}

function createTlsServer(opts: ApiServerOptions): Server {
  try {
    // requestCert without rejecting: the authenticator decides, a bad cert gets a 401 Status (§10.15).
    // No `ca` option on purpose: Node would then send acceptable-CA names and Go clients holding a
    // certificate from another CA would silently send none (and be treated as anonymous, not 401).
    return createServer({
      cert: opts.tls.cert,
      key: opts.tls.key,
      requestCert: true,
      rejectUnauthorized: false,
      minVersion: "TLSv1.2",
      ALPNProtocols: ["http/1.1"],
      keepAlive: true,
      noDelay: true,
    });
  } catch (err) {
    throw new ServerError("tls", `cannot use the serving certificate/key: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export async function startApiServer(opts: ApiServerOptions): Promise<RunningApiServer> {
  const server = createTlsServer(opts);
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 70_000;
  server.requestTimeout = 0; // watches are long-lived; their own timeoutSeconds bounds them
  const stopping = new AbortController();
  setMaxListeners(0, stopping.signal); // one listener per open watch
  let ready = false;
  // Requests before the handler exists (between listen and the end of wiring) get a 503.
  const route: { listener?: ReturnType<typeof createRequestListener> } = {};
  server.on("request", (req, res) => (route.listener ? route.listener(req, res) : res.writeHead(503).end()));
  server.on("tlsClientError", () => undefined); // a failed handshake is the client's problem, not a crash
  const addr = await listen(server, opts.host, opts.port);
  const metrics = opts.metrics === false ? undefined : createServerMetrics();
  const hostPort = addr.family === "IPv6" ? `[${addr.address}]:${addr.port}` : `${addr.address}:${addr.port}`;
  const handlerOptions: HandlerOptions = {
    registry: opts.registry,
    authenticator: opts.authenticator,
    authorizer: opts.authorizer,
    parseCertificate: opts.parseCertificate,
    discovery: buildDiscovery(opts.registry.resources(), hostPort),
    isReady: () => ready,
    authCacheMs: opts.authCacheMs ?? 60_000,
    maxBodyBytes: opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    now: () => opts.clock.now(),
    watch: {
      defaultTimeoutSeconds: opts.defaultWatchTimeoutSeconds ?? 1800,
      now: () => opts.clock.now(),
      serverSignal: stopping.signal,
    },
    onInternalError: opts.onInternalError,
    ...(opts.healthChecks ? { healthChecks: opts.healthChecks } : {}),
    extraPaths: metrics ? new Map([...(opts.extraPaths ?? []), [METRICS_PATH, metrics.handler]]) : opts.extraPaths,
    ...(metrics ? { metrics } : {}),
    ...(opts.extraWritePaths ? { extraWritePaths: opts.extraWritePaths } : {}),
    ...(opts.isCertificateRevoked ? { isCertificateRevoked: opts.isCertificateRevoked } : {}),
  };
  route.listener = createRequestListener(handlerOptions);
  ready = true;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= new Promise<void>((resolve) => {
      ready = false;
      const done = setTimeout(() => server.closeAllConnections(), opts.drainTimeoutMs ?? 10_000);
      const idle = setInterval(() => server.closeIdleConnections(), 50);
      server.close(() => {
        clearTimeout(done);
        clearInterval(idle);
        resolve();
      });
      stopping.abort();
      server.closeIdleConnections();
    }));
  return { url: `https://${hostPort}`, host: addr.address, port: addr.port, close };
}
