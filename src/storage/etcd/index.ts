// storage/etcd: the StorageBackend on an etcd v3 cluster (kpki serve --storage etcd), optionally
// behind a watch cache so reads cost no etcd round trip, as kube-apiserver serves them.
import type { StorageBackend } from "../types.ts";
import { EtcdBackend } from "./backend.ts";
import { WatchCache } from "./cache.ts";
import { connectEtcd } from "./client.ts";
import { ReadLease } from "./read-lease.ts";
import type { EtcdConnectOptions } from "./client.ts";

export interface EtcdBackendOptions extends EtcdConnectOptions {
  /** Every key is stored under this prefix (kube-apiserver --etcd-prefix; default "/kpki"). */
  readonly prefix?: string;
  /** Serve get/list/watch from an in-memory watch cache (default true). */
  readonly cache?: boolean;
  /** Events the watch cache keeps for watches and snapshot lists (default 10 000). */
  readonly cacheHistoryLimit?: number;
  /** How long a direct (uncached) watch may stay disconnected before it fails "unavailable" (default 5 s). */
  readonly watchRetryWindowMs?: number;
  /** May this replica hold the read lease (read-lease.ts; default true): alone on the prefix, it
   *  answers consistent reads from its cache with no etcd round trip. Either way it guards its
   *  writes and registers, so other replicas' leases stay safe. */
  readonly readLease?: boolean;
  /** The read lease's etcd lease TTL in seconds (default 5). */
  readonly readLeaseTtlSeconds?: number;
  readonly log?: (line: string) => void;
}

/**
 * Connects to etcd (mTLS with the apiserver-etcd-client certificate and the etcd CA) and returns a
 * StorageBackend. Resolves even when etcd is down: calls then fail with StorageError "unavailable"
 * within the request deadline, and work again, without a restart, once etcd answers.
 */
export async function openEtcdBackend(options: EtcdBackendOptions): Promise<StorageBackend> {
  const prefix = (options.prefix ?? "/kpki").replace(/\/+$/, "");
  const conn = await connectEtcd(options);
  const backend = new EtcdBackend(conn, prefix, { watchRetryWindowMs: options.watchRetryWindowMs });
  const cached = options.cache !== false;
  // Every replica guards its writes and registers, so one that may hold the lease stays safe.
  const lease = new ReadLease(conn, backend.prefix, { mayHold: cached && options.readLease !== false, ttlSeconds: options.readLeaseTtlSeconds, log: options.log });
  backend.useReadLease(lease.start());
  if (!cached) return backend;
  return WatchCache.start(backend, { historyLimit: options.cacheHistoryLimit, waitTimeoutMs: options.requestTimeoutMs });
}

export type { EtcdConnectOptions };
