// Composition root of the API server (DESIGN.md rule 11: wiring visible in one place): PKI → storage →
// bootstrap objects → RBAC index (fed by a watch) → authenticators/authorizers → registry → HTTPS.
// Exported for tests and benches, which run the same server in-process as `kpki serve` does.
import { setMaxListeners } from "node:events";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { isKpkiError, systemClock, systemRandom, type Clock, type RandomSource } from "../base/index.ts";
import { matchesHost, parseCertificateDer, parseCertificatePem, parsePrivateKeyPem, type Certificate } from "../pki/index.ts";
import { runServiceAccountsController, startControllers, type Lease } from "../controllers/index.ts";
import {
  RbacIndex, alwaysAllow, anonymousAuthenticator, bootstrapPolicy, failOnError, privilegedGroupAuthorizer, serviceAccountTokenAuthenticator, VerifiedSignatures,
  tokenAuthenticator, unionAuthenticator, unionAuthorizer, withAuthenticatedGroup, x509Authenticator, type Authenticator, type Authorizer,
} from "../auth/index.ts";
import { RESOURCES, type CertificateSigningRequest, type ResourceInfo } from "../api/index.ts";
import { createMemoryBackend, createStore, intervalTicker, openEtcdBackend, openSqliteBackend, type StorageBackend, type Store } from "../storage/index.ts";
import {
  DEFAULT_SERVICE_IP_RANGE, createRegistry, ensureBootstrapPolicy, ensureDefaultNamespaces, ensureKubernetesService, memoizeStores, withTokenRequests,
  type ServiceIpRange, type StoreLookup, type TokenIssuerConfig,
} from "../registry/index.ts";
import { startApiServer, type RegisteredHealthCheck } from "../server/index.ts";
import { issuerDiscoveryPaths, loadServiceAccountKeys, readTokenAuthFile, tokenObjectLookup, tokenReviewerFor, type ServiceAccountFlags } from "./service-account-keys.ts";
import { answersWithCa, loadServingPki, placeKubeconfigs, readText, type PkiFiles } from "./provision.ts";
import { cachedAuthorizer } from "./authz-cache.ts";
import { feedRbacIndex, type RbacStores } from "./rbac-feed.ts";
import { loadSigning, type CsrSigningFlags, type SigningSetup } from "./signing-cas.ts";
import { LEDGER_PATH, ledgerHandler } from "./ledger.ts";
import { BACKUP_PATH, backupHandler } from "./backup.ts";
import { revocationPaths, startRevocations, type RevocationWiring } from "./revocation.ts";
import { electionIdentity, runWhileLeading, type LeaderElectionFlags } from "./leader.ts";
import { runClusterRoleAggregation } from "./leader-aggregation.ts";
import { voidUndelivered } from "./leader-ledger.ts";

export interface ServeOptions extends PkiFiles {
  readonly dataDir: string;
  readonly host?: string;
  /** 0 = a free port (tests). Default 6443. */
  readonly port?: number;
  readonly anonymousAuth?: boolean;
  readonly tokenAuthFile?: string;
  readonly storage?: "sqlite" | "memory" | "etcd";
  /** --storage etcd: kube-apiserver's --etcd-servers/--etcd-cafile/--etcd-certfile/--etcd-keyfile/--etcd-prefix;
   *  the files default to the data dir's pki/etcd/ca.crt and pki/apiserver-etcd-client.{crt,key}. */
  readonly etcd?: EtcdFlags;
  /** `alwaysAllow` written out (DESIGN.md rule 8): only for benches of the raw edge. */
  readonly authorizationMode?: "RBAC" | "AlwaysAllow";
  readonly clock?: Clock;
  readonly random?: RandomSource;
  readonly bookmarkIntervalMs?: number;
  /** Run the CSR signing/approving/cleaning and root-CA publishing controllers (default true when the CA key is here). */
  readonly controllers?: boolean;
  /** kube-controller-manager's --cluster-signing-* and --csr-approval-policy-file (signing-cas.ts). */
  readonly csrSigning?: CsrSigningFlags;
  /** kube-controller-manager's --leader-elect*: the controllers run on the Lease holder only. */
  readonly leaderElection?: LeaderElectionFlags;
  /** kube-apiserver's --service-cluster-ip-range: IPv4, IPv6 or a dual-stack pair, primary first
   *  (default 10.96.0.0/12, kubeadm's and `kpki init`'s). */
  readonly serviceIpRange?: ServiceIpRange;
  /** kube-apiserver's --service-account-* and --api-audiences. */
  readonly serviceAccounts?: ServiceAccountFlags;
  readonly log?: (line: string) => void;
}

export type { ServiceAccountFlags };

export interface EtcdFlags {
  readonly servers: readonly string[];
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly prefix?: string;
  /** --etcd-read-lease (default true): a lone replica reads from its cache under a lease (storage/etcd/read-lease.ts). */
  readonly readLease?: boolean;
  /** The read lease's TTL in seconds (default 5; tests shorten it). */
  readonly readLeaseTtlSeconds?: number;
}

export interface RunningKpki {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** DIR/admin.conf, or DIR/admin-<port>.conf when admin.conf points at another live replica
   *  (undefined when serving an external PKI). */
  readonly adminKubeconfig?: string;
  readonly provisioned: boolean;
  close(): Promise<void>;
}

function storeLookup(backend: StorageBackend, clock: Clock, random: RandomSource): StoreLookup {
  const apiVersion = (i: ResourceInfo): string => (i.group === "" ? i.version : `${i.group}/${i.version}`);
  return memoizeStores((i) =>
    createStore(backend, { namespaced: i.namespaced, group: i.group, resource: i.resource, apiVersion: apiVersion(i), kind: i.kind }, { clock, random }),
  );
}

function resource(group: string, name: string): ResourceInfo {
  const info = RESOURCES.find((r) => r.group === group && r.resource === name);
  if (info === undefined) throw new Error(`the resource table has no ${name}`);
  return info;
}

const RBAC = "rbac.authorization.k8s.io";

async function authenticatorFor(
  o: ServeOptions,
  clientCas: readonly Certificate[],
  env: { clock: Clock; isRevoked: (leaf: Certificate) => boolean; tokenCsv: string; serviceAccounts?: Authenticator },
): Promise<Authenticator> {
  const { clock, isRevoked, tokenCsv: csv } = env;
  // Without --token-auth-file the token authenticator knows no token, so a presented bearer token is
  // rejected (401) rather than ignored into system:anonymous, as kube-apiserver (whose service-account
  // token authenticator is always on) rejects a token it cannot verify.
  // kube-apiserver's order: x509, the token file, then service-account JWTs (one of another issuer is
  // left to the others; one of ours that does not verify is a 401).
  const members: Authenticator[] = [x509Authenticator({ roots: () => clientCas, clock, isRevoked }), tokenAuthenticator(csv)];
  if (env.serviceAccounts) members.push(env.serviceAccounts);
  const chain = withAuthenticatedGroup(unionAuthenticator(...members));
  // FailOnError: a bad credential stays a 401, anonymous only when nothing was presented (authn §1.4).
  return o.anonymousAuth === false ? chain : failOnError(chain, anonymousAuthenticator());
}

interface ControllerWiring {
  readonly storeFor: StoreLookup;
  readonly backend: StorageBackend;
  readonly authorizer: Authorizer;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly log: (line: string) => void;
}

/** kube-controller-manager's certificate controllers, the built-in signers on the --cluster-signing-* CAs. */
function runControllers(signing: SigningSetup & { rootCaPem: string }, w: ControllerWiring, signal: AbortSignal): Promise<void> {
  const stores = {
    csrs: w.storeFor(resource("certificates.k8s.io", "certificatesigningrequests")) as Store<CertificateSigningRequest>,
    namespaces: w.storeFor(resource("", "namespaces")),
    configMaps: w.storeFor(resource("", "configmaps")),
    backend: w.backend,
  };
  const logger = { info: () => undefined, warn: (m: string) => w.log(`controllers: ${m}`), error: (m: string) => w.log(`controllers: ${m}`) };
  return startControllers(
    {
      stores, clock: w.clock, random: w.random, signing, policies: signing.policies, rootCaPem: () => signing.rootCaPem, authorizer: w.authorizer, logger,
    },
    signal,
  ).catch((err: unknown) => w.log(`controllers stopped: ${err instanceof Error ? err.message : String(err)}`));
}

/** What kube-controller-manager would run, on the elected leader only (leader.ts); `signal` aborts
 *  when leadership is lost. The ledger sweep runs before the signer can sign anything. */
async function runLeaderWork(o: ServeOptions, signing: SigningSetup & { rootCaPem: string }, w: ControllerWiring, signal: AbortSignal): Promise<void> {
  const runs: Promise<unknown>[] = [runClusterRoleAggregation(w.storeFor(resource(RBAC, "clusterroles")), signal, w.log)];
  if (o.controllers === false) return void (await Promise.all(runs));
  const sa = { namespaces: w.storeFor(resource("", "namespaces")), serviceAccounts: w.storeFor(resource("", "serviceaccounts")) };
  runs.push(runServiceAccountsController(sa, signal).catch(() => undefined));
  if (signing.signers.size > 0) {
    const csrs = w.storeFor(resource("certificates.k8s.io", "certificatesigningrequests")) as Store<CertificateSigningRequest>;
    const sweep = voidUndelivered(w.backend, csrs, w.clock).then(
      (voided) => voided.length > 0 && w.log(`controllers: ledger: voided ${voided.length} certificate(s) signed but never delivered by an earlier leader: ${voided.join(", ")}`),
      (err: unknown) => w.log(`controllers: ledger sweep: ${err instanceof Error ? err.message : String(err)}`),
    );
    runs.push(sweep.then(() => (signal.aborted ? undefined : runControllers(signing, w, signal))));
  }
  await Promise.all(runs);
}

/** A serving certificate that does not name the address kubeconfigs use fails every client's TLS check. */
function warnUnlessNamed(certPem: string, host: string, log: (line: string) => void): void {
  let named = true;
  try {
    named = matchesHost(parseCertificatePem(certPem), host);
  } catch {
    // Node accepted it for TLS; a certificate our parser cannot read is not worth failing the start over.
  }
  if (!named) log(`kpki: warning: the serving certificate does not name ${host}; clients connecting to it will fail TLS verification`);
}

/** kube-apiserver's kubernetes Service: its ClusterIP (the first address of the PRIMARY range, IPv4 or
 *  IPv6; the Service is SingleStack even on a dual-stack server, as kube's) is what pods dial for
 *  https://kubernetes.default, so a serving certificate without it (serviceCIDR's primary range ≠
 *  --service-cluster-ip-range's, the address kubeadm and `kpki init` put in the certificate) fails them;
 *  kube never changes an existing Service's ClusterIP, so a range change leaves the old address in place. */
async function ensureApiService(storeFor: StoreLookup, o: ServeOptions, ctx: { securePort: number; certPem: string; now: Date; log: (line: string) => void }): Promise<void> {
  const range = o.serviceIpRange;
  // `now` lets the ClusterIP repair remove reservations no Service holds (a crash between the two writes).
  const svc = await ensureKubernetesService(storeFor, { securePort: ctx.securePort, now: ctx.now, ...(range ? { serviceIpRange: range } : {}) });
  if (svc.clusterIP !== svc.expectedClusterIP) {
    ctx.log(`kpki: warning: the kubernetes Service keeps ClusterIP ${svc.clusterIP} (clusterIP is immutable), not ${svc.expectedClusterIP} from --service-cluster-ip-range ${(range ?? DEFAULT_SERVICE_IP_RANGE).cidr}; delete it and restart to re-create it`);
  }
  let named = true;
  try {
    named = matchesHost(parseCertificatePem(ctx.certPem), svc.clusterIP);
  } catch {
    // As in warnUnlessNamed: an unreadable (but TLS-usable) certificate does not stop the start.
  }
  if (!named) ctx.log(`kpki: warning: the serving certificate does not name ${svc.clusterIP}, the kubernetes Service's ClusterIP; pods reaching https://kubernetes.default will fail TLS verification (provision with a serviceCIDR whose primary range matches --service-cluster-ip-range's)`);
}

async function openBackend(o: ServeOptions, clock: Clock): Promise<StorageBackend> {
  if (o.storage === "memory") return createMemoryBackend({ clock });
  if (o.storage !== "etcd") return openSqliteBackend(join(o.dataDir, "kpki.db"));
  const e = o.etcd;
  if (e === undefined || e.servers.length === 0) throw new Error("--storage etcd needs --etcd-servers https://HOST:2379[,…]");
  const pem = (file: string | undefined, dflt: string, what: string): Promise<string> => readText(file ?? join(o.dataDir, "pki", dflt), what);
  return openEtcdBackend({
    endpoints: e.servers,
    caPem: await pem(e.caFile, "etcd/ca.crt", "etcd CA file"),
    certPem: await pem(e.certFile, "apiserver-etcd-client.crt", "etcd client certificate"),
    keyPem: await pem(e.keyFile, "apiserver-etcd-client.key", "etcd client key"),
    ...(e.prefix !== undefined ? { prefix: e.prefix } : {}),
    readLease: e.readLease ?? true,
    ...(e.readLeaseTtlSeconds !== undefined ? { readLeaseTtlSeconds: e.readLeaseTtlSeconds } : {}),
    log: o.log ?? ((line: string) => void process.stderr.write(`${line}\n`)),
  });
}

/** 5xx answers are logged with their stack, except a storage outage (503 on every request while etcd
 *  is down): one line per 10 s with a count, so the log stays readable and names the cause. */
function internalErrorLogger(log: (line: string) => void, clock: Clock): (err: unknown) => void {
  let quietUntil = 0;
  let suppressed = 0;
  return (err) => {
    if (!(isKpkiError(err) && (err.code === "unavailable" || err.code === "ServiceUnavailable"))) {
      log(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      return;
    }
    const now = clock.now().getTime();
    if (now < quietUntil) return void suppressed++;
    log(`storage unavailable, answering 503: ${err.message}${suppressed > 0 ? ` (${suppressed} more 503s since the last such line)` : ""}`);
    [quietUntil, suppressed] = [now + 10_000, 0];
  };
}

export interface StorageHealthOptions {
  /** kube-apiserver's --etcd-healthcheck-timeout / --etcd-readycheck-timeout (default 2 s). */
  readonly timeoutMs?: number;
  /** Called when the outcome flips (an Error: now failing; undefined: ok again). */
  readonly onChange?: (err: Error | undefined) => void;
  /** Resolves after `ms` (a parameter so tests need not wait). */
  readonly wait?: (ms: number) => Promise<void>;
}

const unrefWait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

/** kube-apiserver's etcd check (storagebackend/factory/etcd3.go newETCD3Check): a GET of one key with
 *  a deadline, so /readyz answers 500 within it while etcd is dead or frozen instead of hanging. One
 *  probe in flight at a time, shared by every caller. The key has no leading "/", so the etcd watch
 *  cache passes it straight to etcd (storage/etcd/cache.ts) and a stale cache cannot answer for it. */
export function storageHealthCheck(backend: StorageBackend, o: StorageHealthOptions = {}): () => Promise<void> {
  const timeoutMs = o.timeoutMs ?? 2000;
  const wait = o.wait ?? unrefWait;
  let inFlight: Promise<Error | undefined> | undefined;
  let last: Error | undefined;
  return async () => {
    inFlight ??= backend.get("health").then(
      () => undefined,
      (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
    ).finally(() => (inFlight = undefined));
    const timedOut = wait(timeoutMs).then(() => new Error(`storage did not answer in ${timeoutMs} ms`));
    const err = await Promise.race([inFlight, timedOut]);
    if ((err === undefined) !== (last === undefined)) o.onChange?.(err);
    last = err;
    if (err !== undefined) throw err;
  };
}

/** kube-apiserver's etcd checks: "etcd" on /healthz and /readyz, "etcd-readiness" on /readyz; not
 *  /livez (docs/operations.md §6: restarting kpki cannot bring etcd back). */
function etcdHealthChecks(backend: StorageBackend, log: (line: string) => void): RegisteredHealthCheck[] {
  const onChange = (err: Error | undefined): void => log(err ? `readyz: etcd check failing: ${err.message}` : "readyz: etcd check ok again");
  const check = storageHealthCheck(backend, { onChange });
  return [{ name: "etcd", endpoints: ["healthz", "readyz"], check }, { name: "etcd-readiness", endpoints: ["readyz"], check }];
}

/** Bootstrap objects (kube-apiserver's post-start hooks), then an RBAC index that follows storage and
 *  the authorizer chain on it: system:masters first (reference §2.2), then RBAC, decisions cached. */
async function prepareState(
  backend: StorageBackend,
  env: { clock: Clock; random: RandomSource; log: (line: string) => void },
  signal: AbortSignal,
): Promise<{ storeFor: StoreLookup; rbac: RbacIndex; authorizer: Authorizer }> {
  const storeFor = storeLookup(backend, env.clock, env.random);
  await ensureDefaultNamespaces(storeFor);
  await ensureBootstrapPolicy(storeFor, bootstrapPolicy());
  const rbacStores: RbacStores = {
    clusterRoles: storeFor(resource(RBAC, "clusterroles")),
    clusterRoleBindings: storeFor(resource(RBAC, "clusterrolebindings")),
    roles: storeFor(resource(RBAC, "roles")),
    roleBindings: storeFor(resource(RBAC, "rolebindings")),
  };
  const rbac = new RbacIndex();
  const authorizer = cachedAuthorizer(unionAuthorizer(privilegedGroupAuthorizer(["system:masters"]), rbac));
  await feedRbacIndex(rbac, rbacStores, signal, env.log, () => authorizer.invalidate(), { aggregate: false }); // the leader aggregates
  return { storeFor, rbac, authorizer };
}

/** Revocable: certificates of the client CAs and of every signer's CA; the CRL is the cluster CA's. */
function revocationWiring(
  backend: StorageBackend,
  pki: { clientCas: readonly Certificate[]; clusterCa?: { certPem: string; keyPem: string } | undefined },
  signing: SigningSetup,
  env: { clock: Clock; log: (line: string) => void },
): RevocationWiring {
  const cas = [...pki.clientCas, ...[...signing.signers.values()].map((s) => s.caCertificate)];
  const crlCa = pki.clusterCa && { cert: parseCertificatePem(pki.clusterCa.certPem), key: parsePrivateKeyPem(pki.clusterCa.keyPem) };
  return { backend, cas, crlCa, ...env };
}

export async function startServer(o: ServeOptions): Promise<RunningKpki> {
  const clock = o.clock ?? systemClock;
  const random = o.random ?? systemRandom;
  const log = o.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const host = o.host ?? "127.0.0.1";
  const port = o.port ?? 6443;
  // Listening on every address: kubeconfigs still need one the serving certificate names (127.0.0.1).
  const clientHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  const urlFor = (p: number): string => `https://${clientHost.includes(":") ? `[${clientHost}]` : clientHost}:${p}`;
  const intendedUrl = urlFor(port === 0 ? 6443 : port);
  const pki = await loadServingPki(o.dataDir, o, intendedUrl, o.serviceIpRange?.cidr);
  await mkdir(o.dataDir, { recursive: true, mode: 0o700 }); // an external PKI leaves only state here
  // Before storage opens: a bad --cluster-signing-* file stops the start with one line naming it.
  const signing = { ...(await loadSigning(o.csrSigning ?? {}, pki.clusterCa, { clock, random })), rootCaPem: pki.clusterCa?.certPem ?? pki.clientCaPem };
  const saKeys = await loadServiceAccountKeys(o.serviceAccounts ?? {}, o.dataDir);
  const tokenCsv = await readTokenAuthFile(o.tokenAuthFile);

  const backend = await openBackend(o, clock);
  const stop = new AbortController();
  setMaxListeners(0, stop.signal); // informers, controllers and their watches all hang off it
  try {
    const state = await prepareState(backend, { clock, random, log }, stop.signal);
    const { storeFor, rbac } = state;
    const authorizer = o.authorizationMode === "AlwaysAllow" ? alwaysAllow : state.authorizer;
    const rules = o.authorizationMode === "AlwaysAllow" ? alwaysAllow : rbac;
    const bookmarks = intervalTicker(o.bookmarkIntervalMs ?? 60_000);
    const tokenIssuer: TokenIssuerConfig | string = typeof saKeys.signing === "string" ? saKeys.signing
      : { key: saKeys.signing, issuer: saKeys.issuer, audiences: saKeys.audiences, ...(o.serviceAccounts?.maxTokenExpirationSeconds ? { maxExpirationSeconds: o.serviceAccounts.maxTokenExpirationSeconds } : {}) };
    const saOptions = saKeys.verifying.length === 0 ? undefined
      : { issuer: saKeys.issuer, audiences: saKeys.audiences, keys: saKeys.verifying, now: () => clock.now(), lookup: tokenObjectLookup((plural) => storeFor(resource("", plural))), verified: new VerifiedSignatures() };
    const tokenReview = tokenReviewerFor(tokenCsv, saKeys.audiences, saOptions); // TokenReview: the same bearer-token chain
    const registry = withTokenRequests(
      createRegistry({ stores: storeFor, authorizer, rules, clock, random, bookmarks, tokenReview, ...(o.serviceIpRange ? { serviceIpRange: o.serviceIpRange } : {}) }),
      { stores: storeFor, random, issuer: tokenIssuer },
    );
    const saAuthenticator = saOptions === undefined ? undefined : serviceAccountTokenAuthenticator(saOptions);
    const revocation = revocationWiring(backend, pki, signing, { clock, log });
    const revocations = await startRevocations(revocation, stop.signal); // before serving: fail closed
    const paths = revocationPaths(revocation, revocations.set);
    let serverUrl = intendedUrl; // the real port is known once listening
    const server = await startApiServer({
      registry,
      authenticator: await authenticatorFor(o, pki.clientCas, { clock, isRevoked: revocations.refuse, tokenCsv, ...(saAuthenticator ? { serviceAccounts: saAuthenticator } : {}) }),
      authorizer,
      parseCertificate: parseCertificateDer,
      clock,
      tls: { cert: pki.tlsCertPem, key: pki.tlsKeyPem },
      host,
      port,
      onInternalError: internalErrorLogger(log, clock),
      extraPaths: new Map([[LEDGER_PATH, ledgerHandler(backend)], [BACKUP_PATH, backupHandler(backend)], ...paths.read, ...issuerDiscoveryPaths(saKeys, () => serverUrl)]),
      extraWritePaths: new Map(paths.write),
      isCertificateRevoked: revocations.refuse,
      ...(o.storage === "etcd" ? { healthChecks: etcdHealthChecks(backend, log) } : {}),
    });
    serverUrl = urlFor(server.port);
    warnUnlessNamed(pki.tlsCertPem, clientHost, log);
    await ensureApiService(storeFor, o, { securePort: server.port, certPem: pki.tlsCertPem, now: clock.now(), log }); // kube-apiserver's own bootstrap, like the namespaces
    // Controllers start once serving succeeded, so a failed start leaves nothing writing behind; they
    // run on the Lease holder only, on every backend (one SQLite replica is trivially the leader).
    const wiring: ControllerWiring = { storeFor, backend, authorizer, clock, random, log };
    const leases = storeFor(resource("coordination.k8s.io", "leases")) as Store<Lease>;
    const election = { leases, flags: o.leaderElection ?? {}, identity: electionIdentity(random), clock, soleWriter: o.storage !== "etcd", log };
    const leaderDone = runWhileLeading(election, (signal) => runLeaderWork(o, signing, wiring, signal), stop.signal)
      .catch((err: unknown) => log(`leader election stopped: ${err instanceof Error ? err.message : String(err)}`));
    const explicit = o.clientCaFile !== undefined || o.tlsCertFile !== undefined;
    const kubeconfigs = explicit ? undefined : await placeKubeconfigs(o.dataDir, urlFor(server.port), answersWithCa(pki.clientCaPem));
    if (kubeconfigs?.note !== undefined) log(kubeconfigs.note);
    let closing: Promise<void> | undefined;
    const close = (): Promise<void> =>
      (closing ??= (async () => {
        await server.close();
        stop.abort();
        await leaderDone; // releases the Lease, so a successor need not wait it out
        await backend.close();
      })());
    return { url: server.url, port: server.port, dataDir: o.dataDir, adminKubeconfig: kubeconfigs?.adminPath, provisioned: pki.provisioned, close };
  } catch (err) {
    stop.abort();
    await backend.close().catch(() => undefined);
    throw err;
  }
}
