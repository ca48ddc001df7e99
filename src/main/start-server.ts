// Composition root of the API server (DESIGN.md rule 11: wiring visible in one place): PKI → storage →
// bootstrap objects → RBAC index (fed by a watch) → authenticators/authorizers → registry → HTTPS.
// Exported for tests and benches, which run the same server in-process as `kpki serve` does.
import { join } from "node:path";
import { systemClock, systemRandom, type Clock, type RandomSource } from "../base/index.ts";
import { parseCertificateDer, type Certificate } from "../pki/index.ts";
import {
  RbacIndex, alwaysAllow, anonymousAuthenticator, failOnError, privilegedGroupAuthorizer, tokenAuthenticator, unionAuthenticator,
  unionAuthorizer, withAuthenticatedGroup, x509Authenticator, type Authenticator,
} from "../auth/index.ts";
import { createMemoryBackend, createStore, openSqliteBackend, type StorageBackend, type Store } from "../storage/index.ts";
import { createRegistry } from "../registry/index.ts";
import { startApiServer } from "../server/index.ts";
import { readFile } from "node:fs/promises";
import { ensureBootstrapObjects } from "./bootstrap.ts";
import { loadServingPki, pointKubeconfigsAt, type PkiFiles } from "./provision.ts";
import { feedRbacIndex, type RbacStores } from "./rbac-feed.ts";

export interface ServeOptions extends PkiFiles {
  readonly dataDir: string;
  readonly host?: string;
  /** 0 = a free port (tests). Default 6443. */
  readonly port?: number;
  readonly anonymousAuth?: boolean;
  readonly tokenAuthFile?: string;
  readonly storage?: "sqlite" | "memory";
  /** `alwaysAllow` written out (DESIGN.md rule 8): only for benches of the raw edge. */
  readonly authorizationMode?: "RBAC" | "AlwaysAllow";
  readonly clock?: Clock;
  readonly random?: RandomSource;
  readonly bookmarkIntervalMs?: number;
  readonly log?: (line: string) => void;
}

export interface RunningKpki {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** DIR/admin.conf (undefined when serving an external PKI). */
  readonly adminKubeconfig?: string;
  readonly provisioned: boolean;
  close(): Promise<void>;
}

interface StoreKey {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly kind: string;
  readonly namespaced: boolean;
}

function storeLookup(backend: StorageBackend, clock: Clock, random: RandomSource): (k: StoreKey) => Store {
  const stores = new Map<string, Store>();
  return (k) => {
    const id = `${k.group}/${k.resource}`;
    let s = stores.get(id);
    if (s === undefined) {
      const apiVersion = k.group === "" ? k.version : `${k.group}/${k.version}`;
      s = createStore(backend, { namespaced: k.namespaced, group: k.group, resource: k.resource, apiVersion, kind: k.kind }, { clock, random });
      stores.set(id, s);
    }
    return s;
  };
}

const RBAC = "rbac.authorization.k8s.io";
const rbacKey = (resource: string, kind: string, namespaced: boolean): StoreKey => ({ group: RBAC, version: "v1", resource, kind, namespaced });

async function authenticatorFor(o: ServeOptions, clientCas: readonly Certificate[], clock: Clock): Promise<Authenticator> {
  const members: Authenticator[] = [x509Authenticator({ roots: () => clientCas, clock })];
  if (o.tokenAuthFile !== undefined) {
    const csv = await readFile(o.tokenAuthFile, "utf8").catch((err: NodeJS.ErrnoException) => {
      throw new Error(`cannot read token auth file ${o.tokenAuthFile}: ${err.code === "ENOENT" ? "no such file" : err.message}`);
    });
    members.push(tokenAuthenticator(csv));
  }
  const chain = withAuthenticatedGroup(unionAuthenticator(...members));
  // FailOnError: a bad credential stays a 401, anonymous only when nothing was presented (authn §1.4).
  return o.anonymousAuth === false ? chain : failOnError(chain, anonymousAuthenticator());
}

export async function startServer(o: ServeOptions): Promise<RunningKpki> {
  const clock = o.clock ?? systemClock;
  const random = o.random ?? systemRandom;
  const log = o.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const host = o.host ?? "127.0.0.1";
  const port = o.port ?? 6443;
  const intendedUrl = `https://${host.includes(":") ? `[${host}]` : host}:${port === 0 ? 6443 : port}`;
  const pki = await loadServingPki(o.dataDir, o, intendedUrl);
  const backend = o.storage === "memory" ? createMemoryBackend({ clock }) : openSqliteBackend(join(o.dataDir, "kpki.db"));
  const stop = new AbortController();
  try {
    const storeFor = storeLookup(backend, clock, random);
    const rbacStores: RbacStores = {
      clusterRoles: storeFor(rbacKey("clusterroles", "ClusterRole", false)),
      clusterRoleBindings: storeFor(rbacKey("clusterrolebindings", "ClusterRoleBinding", false)),
      roles: storeFor(rbacKey("roles", "Role", true)),
      roleBindings: storeFor(rbacKey("rolebindings", "RoleBinding", true)),
    };
    const namespaces = storeFor({ group: "", version: "v1", resource: "namespaces", kind: "Namespace", namespaced: false });
    await ensureBootstrapObjects(namespaces, rbacStores);
    const rbac = new RbacIndex();
    await feedRbacIndex(rbac, rbacStores, stop.signal, log);
    const authorizer = o.authorizationMode === "AlwaysAllow" ? alwaysAllow : unionAuthorizer(privilegedGroupAuthorizer(["system:masters"]), rbac);
    const rules = o.authorizationMode === "AlwaysAllow" ? alwaysAllow : rbac;
    const registry = createRegistry({ stores: (info) => storeFor(info), authorizer, rules, clock, random });
    const server = await startApiServer({
      registry,
      authenticator: await authenticatorFor(o, pki.clientCas, clock),
      authorizer,
      parseCertificate: parseCertificateDer,
      clock,
      tls: { cert: pki.tlsCertPem, key: pki.tlsKeyPem },
      host,
      port,
      bookmarkIntervalMs: o.bookmarkIntervalMs,
      onInternalError: (err) => log(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`),
    });
    const explicit = o.clientCaFile !== undefined || o.tlsCertFile !== undefined;
    if (!explicit) await pointKubeconfigsAt(o.dataDir, server.url);
    let closing: Promise<void> | undefined;
    const close = (): Promise<void> =>
      (closing ??= (async () => {
        await server.close();
        stop.abort();
        await backend.close();
      })());
    return { url: server.url, port: server.port, dataDir: o.dataDir, adminKubeconfig: explicit ? undefined : join(o.dataDir, "admin.conf"), provisioned: pki.provisioned, close };
  } catch (err) {
    stop.abort();
    await backend.close().catch(() => undefined);
    throw err;
  }
}
