// Controllers on one replica at a time: kube-controller-manager's --leader-elect over a
// coordination.k8s.io/v1 Lease (kube-system/kpki-controller-manager), on every storage backend.
// Several `kpki serve` replicas on one etcd all serve the API; only the Lease holder runs the
// controllers, and they stop writing (their signal aborts) as soon as leadership is lost.
import { setMaxListeners } from "node:events";
import { hostname } from "node:os";
import { messageOf, toHex, type Clock, type RandomSource } from "../base/index.ts";
import { runLeaderElection, type Lease, type Logger } from "../controllers/index.ts";
import { StorageError, type Store } from "../storage/index.ts";

/** kube-controller-manager's --leader-elect* flags (client-go defaults: 15 s, 10 s, 2 s). */
export interface LeaderElectionFlags {
  /** --leader-elect (default true). false: this replica runs the controllers unconditionally. */
  readonly enabled?: boolean;
  readonly leaseDurationMs?: number;
  readonly renewDeadlineMs?: number;
  readonly retryPeriodMs?: number;
  /** --leader-elect-resource-namespace / --leader-elect-resource-name. */
  readonly namespace?: string;
  readonly name?: string;
}

export const LEADER_DEFAULTS = {
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2000,
  namespace: "kube-system",
  name: "kpki-controller-manager",
} as const;

/** client-go's rule (leaderelection.NewLeaderElector): leaseDuration > renewDeadline > 1.2 × retryPeriod.
 *  Returns the problem, or undefined when the durations work together. */
export function leaderElectionProblem(f: LeaderElectionFlags): string | undefined {
  const lease = f.leaseDurationMs ?? LEADER_DEFAULTS.leaseDurationMs;
  const renew = f.renewDeadlineMs ?? LEADER_DEFAULTS.renewDeadlineMs;
  const retry = f.retryPeriodMs ?? LEADER_DEFAULTS.retryPeriodMs;
  if (lease <= renew) return "--leader-elect-lease-duration must be greater than --leader-elect-renew-deadline";
  if (renew <= 1.2 * retry) return "--leader-elect-renew-deadline must be greater than 1.2 × --leader-elect-retry-period";
  return undefined;
}

/** client-go's identity: hostname + "_" + a random id, unique per process. */
export function electionIdentity(random: RandomSource, host = hostname()): string {
  return `${host}_${toHex(random.bytes(8))}`;
}

export interface LeadingOptions {
  readonly leases: Store<Lease>;
  readonly flags: LeaderElectionFlags;
  readonly identity: string;
  readonly clock: Clock;
  /** True when storage can have no other writer (SQLite's exclusive lock, memory): a Lease left by
   *  an earlier process is stale by construction and is cleared at once instead of waited out. */
  readonly soleWriter: boolean;
  readonly log: (line: string) => void;
  /** Waits between attempts (default timers; tests pass a fake: time is a parameter). */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/**
 * Runs `work` while this replica holds the Lease (every replica campaigns until `signal` aborts).
 * `work` gets a signal that aborts when leadership is lost or the server stops; after losing it the
 * replica campaigns again. On a graceful stop the Lease is released so a successor takes over at once.
 */
export async function runWhileLeading(o: LeadingOptions, work: (signal: AbortSignal) => Promise<void>, signal: AbortSignal): Promise<void> {
  if (o.flags.enabled === false) return work(signal);
  const namespace = o.flags.namespace ?? LEADER_DEFAULTS.namespace;
  const name = o.flags.name ?? LEADER_DEFAULTS.name;
  const what = `lease ${namespace}/${name}`;
  if (o.soleWriter) await clearStaleLease(o.leases, namespace, name, o.log);
  const logger: Logger = { info: (m) => o.log(m), warn: (m) => o.log(m), error: (m) => o.log(m) };
  // One replica on SQLite is trivially the leader: its election is not worth a line on every start.
  const say = o.soleWriter ? (): void => undefined : o.log;
  say(`leader election: ${o.identity} campaigning for ${what}`);
  await runLeaderElection(
    {
      store: o.leases,
      namespace,
      name,
      identity: o.identity,
      leaseDurationMs: o.flags.leaseDurationMs ?? LEADER_DEFAULTS.leaseDurationMs,
      renewDeadlineMs: o.flags.renewDeadlineMs ?? LEADER_DEFAULTS.renewDeadlineMs,
      retryPeriodMs: o.flags.retryPeriodMs ?? LEADER_DEFAULTS.retryPeriodMs,
      clock: o.clock,
      ...(o.sleep ? { sleep: o.sleep } : {}),
      logger,
      onStartedLeading: async (leading) => {
        setMaxListeners(0, leading); // every controller loop and its watches hang off it
        say(`leader election: ${o.identity} became leader (${what}); starting controllers`);
        await work(leading);
      },
      onStoppedLeading: () => say(`leader election: ${o.identity} stopped leading (${what}); controllers stopped`),
      onNewLeader: (id) => {
        if (id !== o.identity) say(`leader election: ${id} leads ${what}`);
      },
    },
    signal,
  );
}

/** Hands a Lease held by an earlier (dead) process of the same single-writer storage back, the way
 *  a graceful release does (empty holder), so a restart after kill -9 does not wait out the lease. */
async function clearStaleLease(leases: Store<Lease>, namespace: string, name: string, log: (line: string) => void): Promise<void> {
  try {
    const cur = await leases.get(namespace, name);
    if (cur === undefined || (cur.spec?.holderIdentity ?? "") === "") return;
    await leases.update({ ...cur, spec: { ...cur.spec, holderIdentity: "", leaseDurationSeconds: 1 } });
  } catch (err) {
    // Not fatal: the election then simply waits the lease out.
    if (!(err instanceof StorageError && err.code === "conflict")) log(`leader election: cannot clear the stale lease: ${messageOf(err)}`);
  }
}
