// The etcd connection: the maintained `etcd3` client (gRPC over mTLS, no hand-written protocol),
// configured so that a dead etcd is reported quickly instead of hanging (bounded deadlines on every
// call, a short circuit-breaker half-open time so recovery needs no restart), and its errors mapped
// onto the storage layer's closed StorageError codes (DESIGN.md rule 7).
import type { Etcd3, IKeyValue, IOptions } from "etcd3";
import { messageOf } from "../../base/index.ts";
import { StorageError } from "../types.ts";
import type { KeyValue } from "../types.ts";

export interface EtcdConnectOptions {
  /** https://host:port URLs (kube-apiserver's --etcd-servers). */
  readonly endpoints: readonly string[];
  /** PEM of the etcd CA (etcd/ca.crt), the client certificate and key (apiserver-etcd-client). */
  readonly caPem: string;
  readonly certPem?: string;
  readonly keyPem?: string;
  /** How long connecting may take (default 2 s). */
  readonly dialTimeoutMs?: number;
  /** Deadline of one request (default 5 s); past it the call fails with "unavailable". */
  readonly requestTimeoutMs?: number;
}

export interface EtcdConnection {
  readonly client: Etcd3;
  readonly describe: string;
  /** The whole-request budget in ms (callEtcd fails "unavailable" past it). */
  readonly requestTimeoutMs: number;
  /** Call options with a request deadline, for callers outside callEtcd. */
  deadline(): { deadline: number };
  close(): void;
}

export async function connectEtcd(o: EtcdConnectOptions): Promise<EtcdConnection> {
  if (o.endpoints.length === 0) throw new StorageError("invalid", "etcd: no endpoints given");
  for (const e of o.endpoints) {
    if (!/^https:\/\/[^/\s]+$/.test(e)) throw new StorageError("invalid", `etcd endpoint "${e}" must be https://host:port`);
  }
  const etcd3 = await import("etcd3");
  const { circuitBreaker, ConsecutiveBreaker, handleWhen, retry } = await import("cockatiel");
  const requestTimeoutMs = o.requestTimeoutMs ?? 5000;
  const options: IOptions = {
    hosts: [...o.endpoints],
    dialTimeout: o.dialTimeoutMs ?? 2000,
    credentials: {
      rootCertificate: Buffer.from(o.caPem),
      ...(o.certPem !== undefined ? { certChain: Buffer.from(o.certPem) } : {}),
      ...(o.keyPem !== undefined ? { privateKey: Buffer.from(o.keyPem) } : {}),
    },
    // Keepalive notices a member that vanished without closing the socket; etcd's default
    // --grpc-keepalive-min-time is 5 s, so ping no more often than that.
    // No receive limit (grpc-js defaults to 4 MiB): the watch cache's 5000-key relist page and a
    // big LIST exceed it, and a RESOURCE_EXHAUSTED reply also resets the channel and opens the
    // circuit breaker. kube-apiserver sets MaxCallRecvMsgSize to math.MaxInt32 for the same reason.
    // Sending needs nothing: grpc-js sends without limit, and etcd itself refuses a request over its
    // --max-request-bytes (1.5 MiB by default), as it does for kube-apiserver.
    grpcOptions: { "grpc.keepalive_time_ms": 10_000, "grpc.keepalive_timeout_ms": 5000, "grpc.max_receive_message_length": -1 },
    faultHandling: {
      // One retry per member: a call that failed on a dead member is re-sent to another one.
      global: retry(handleWhen(etcd3.isRecoverableError), { maxAttempts: o.endpoints.length }),
      // Stop hammering a failed member, but try it again after 1 s (recovery without restart).
      host: () => circuitBreaker(handleWhen(etcd3.isRecoverableError), { halfOpenAfter: 1000, breaker: new ConsecutiveBreaker(3) }),
    },
  };
  // Each attempt gets its own deadline (the factory runs per attempt, retries included), so a call
  // that first hit a dead member still has time left on a live one; callEtcd bounds the total.
  const attemptMs = Math.max(250, Math.floor(requestTimeoutMs / 2));
  options.defaultCallOptions = (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + attemptMs });
  const client = new etcd3.Etcd3(options);
  return {
    client,
    describe: `etcd ${o.endpoints.join(",")}`,
    requestTimeoutMs,
    deadline: () => ({ deadline: Date.now() + requestTimeoutMs }),
    close: () => client.close(),
  };
}

/** Maps an etcd3 / gRPC failure onto a StorageError: compaction, future revisions and oversized
 *  requests keep their meaning (→ 410 / 400 / 413 at the edge); anything else means etcd did not
 *  answer (→ 503). */
export function toStorageError(err: unknown, what: string): StorageError {
  if (err instanceof StorageError) return err;
  const text = messageOf(err);
  if (text.includes("required revision has been compacted")) {
    return new StorageError("compacted", `${what}: required revision has been compacted`, { cause: err });
  }
  if (text.includes("required revision is a future revision")) {
    return new StorageError("invalid", `${what}: required revision is a future revision`, { cause: err });
  }
  // etcd refuses a request over --max-request-bytes; gRPC refuses it earlier past that + 512 KiB.
  if (text.includes("request is too large") || text.includes("received message larger than max")) {
    return new StorageError("too-large", `${what}: etcdserver: request is too large (etcd's --max-request-bytes)`, { cause: err });
  }
  return new StorageError("unavailable", `${what}: etcd unavailable: ${oneLine(text)}`, { cause: err });
}

function oneLine(s: string): string {
  const line = s.split("\n")[0] ?? s;
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

/** Runs one etcd call with a hard deadline of our own as well, so nothing can hang past it
 *  (gRPC deadlines do not cover every path of the client's retry and breaker policies). */
export async function callEtcd<R>(conn: EtcdConnection, what: string, fn: () => Promise<R>): Promise<R> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StorageError("unavailable", `${what}: ${conn.describe} did not answer in ${conn.requestTimeoutMs} ms`)), conn.requestTimeoutMs);
  });
  try {
    return await Promise.race([fn(), timeout]);
  } catch (err) {
    throw toStorageError(err, what);
  } finally {
    clearTimeout(timer);
  }
}

/** etcd's KeyValue (int64s arrive as decimal strings) → ours, with the backend prefix removed. */
export function fromEtcdKv(kv: IKeyValue, prefixLength: number): KeyValue {
  return {
    key: kv.key.subarray(prefixLength).toString("utf8"),
    value: new Uint8Array(kv.value), // a copy: a view would pin the whole gRPC message in the cache
    createRevision: Number(kv.create_revision),
    modRevision: Number(kv.mod_revision),
  };
}

/** The end of etcd's range for every key starting with `prefix` (clientv3.GetPrefixRangeEnd). */
export function prefixRangeEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if ((end[i] as number) < 0xff) {
      end[i] = (end[i] as number) + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]); // all keys
}
