// Leader election over a coordination.k8s.io/v1 Lease, as client-go's leaderelection package does
// it for kube-controller-manager: candidates try to acquire or renew the Lease every retry period
// with a compare-and-swap write (Store CAS on resourceVersion, so any backend works); a holder that
// has not renewed within leaseDuration — measured on the candidate's own clock since it last saw
// the record change, so clock skew between replicas does not matter — may be replaced. A leader
// that cannot renew within renewDeadline stops leading (its signal aborts) before the lease runs out.
import type { ApiObject } from "../api/index.ts";
import type { Clock } from "../base/index.ts";
import { abortableSleep, messageOf } from "../base/index.ts";
import { StorageError } from "../storage/index.ts";
import type { Store } from "../storage/index.ts";
import type { Logger } from "./errors.ts";
import { silentLogger } from "./errors.ts";

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  /** MicroTime: RFC 3339 with microseconds. */
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface Lease extends ApiObject {
  spec?: LeaseSpec;
}

/** The Store resource leases live in (pass to createStore). */
export const LEASE_RESOURCE = { group: "coordination.k8s.io", resource: "leases", namespaced: true, apiVersion: "coordination.k8s.io/v1", kind: "Lease" } as const;

export interface LeaderElectionConfig {
  readonly store: Store<Lease>;
  /** Default kube-system, like kube-controller-manager's lease. */
  readonly namespace?: string;
  readonly name: string;
  /** Unique per replica (client-go: hostname + "_" + a random id). */
  readonly identity: string;
  /** client-go defaults used by kube-controller-manager: 15 s, 10 s, 2 s. */
  readonly leaseDurationMs?: number;
  readonly renewDeadlineMs?: number;
  readonly retryPeriodMs?: number;
  readonly clock: Clock;
  /** Waits `ms` (or less when `signal` aborts). Time is a parameter: tests pass a fake. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly logger?: Logger;
  /** Give the lease up when `signal` aborts, so a successor need not wait out the lease (default true). */
  readonly releaseOnCancel?: boolean;
  /** Runs while this replica leads; `signal` aborts when leadership is lost or election stops. */
  readonly onStartedLeading: (signal: AbortSignal) => void | Promise<void>;
  readonly onStoppedLeading?: () => void;
  readonly onNewLeader?: (identity: string) => void;
}

export const timerSleep = abortableSleep;

/**
 * Campaigns until `signal` aborts: acquire, lead (onStartedLeading), and after losing the lease
 * (onStoppedLeading) campaign again — a replica that lost leadership rejoins as a candidate instead
 * of exiting as kube-controller-manager does, because kpki's API server keeps running.
 */
export async function runLeaderElection(cfg: LeaderElectionConfig, signal: AbortSignal): Promise<void> {
  const e = new Elector(cfg);
  while (!signal.aborted) {
    if (!(await e.acquire(signal))) return;
    // Stopped while the acquiring write was in flight: give the lease back without leading. (An
    // aborted signal fires no more "abort" events: leading would renew forever, and a server's
    // close would never return.)
    if (signal.aborted) {
      if (cfg.releaseOnCancel ?? true) await e.release();
      return;
    }
    const leading = new AbortController();
    const stop = (): void => leading.abort();
    signal.addEventListener("abort", stop);
    const work = Promise.resolve()
      .then(() => cfg.onStartedLeading(leading.signal))
      .catch((err: unknown) => e.log.error(`leader election ${cfg.name}: leader work failed: ${messageOf(err)}`));
    await e.renewLoop(leading.signal);
    leading.abort();
    signal.removeEventListener("abort", stop);
    await work;
    if (signal.aborted && (cfg.releaseOnCancel ?? true)) await e.release();
    cfg.onStoppedLeading?.();
  }
}

class Elector {
  readonly log: Logger;
  readonly #c: LeaderElectionConfig;
  readonly #ns: string;
  readonly #leaseMs: number;
  readonly #renewMs: number;
  readonly #retryMs: number;
  readonly #sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** The record last seen and when (on our clock) it last changed: client-go's observedTime. */
  #observed: { key: string; at: number } | undefined;
  #leader = "";

  constructor(c: LeaderElectionConfig) {
    this.#c = c;
    this.log = c.logger ?? silentLogger;
    this.#ns = c.namespace ?? "kube-system";
    this.#leaseMs = c.leaseDurationMs ?? 15_000;
    this.#renewMs = c.renewDeadlineMs ?? 10_000;
    this.#retryMs = c.retryPeriodMs ?? 2000;
    this.#sleep = c.sleep ?? timerSleep;
    if (this.#renewMs >= this.#leaseMs) throw new RangeError("leader election: renewDeadline must be shorter than leaseDuration");
  }

  /** Try every retry period until acquired (true) or aborted (false). */
  async acquire(signal: AbortSignal): Promise<boolean> {
    while (!signal.aborted) {
      if (await this.#tryAcquireOrRenew()) return true;
      await this.#sleep(this.#retryMs, signal);
    }
    return false;
  }

  /** Renew every retry period; returns when a renewal did not succeed within renewDeadline. */
  async renewLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const deadline = this.#now() + this.#renewMs;
      let renewed = false;
      while (!signal.aborted && this.#now() < deadline) {
        if ((renewed = await this.#tryAcquireOrRenew())) break;
        await this.#sleep(this.#retryMs, signal);
      }
      if (!renewed) {
        if (!signal.aborted) this.log.warn(`leader election ${this.#c.name}: ${this.#c.identity} failed to renew the lease; stopping`);
        return;
      }
      await this.#sleep(this.#retryMs, signal);
    }
  }

  /** client-go's release: empty holder, 1 s duration, so the next candidate takes over at once. */
  async release(): Promise<void> {
    try {
      const cur = await this.#c.store.get(this.#ns, this.#c.name);
      if (cur?.spec?.holderIdentity !== this.#c.identity) return;
      const now = microTime(this.#c.clock.now());
      await this.#c.store.update({ ...cur, spec: { ...cur.spec, holderIdentity: "", leaseDurationSeconds: 1, renewTime: now } });
    } catch (err) {
      this.log.warn(`leader election ${this.#c.name}: release failed: ${messageOf(err)}`);
    }
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const now = this.#now();
    const me = this.#c.identity;
    try {
      const cur = await this.#c.store.get(this.#ns, this.#c.name);
      if (!cur) {
        await this.#c.store.create(this.#lease(undefined, now, 0, now));
        this.#saw(me);
        return true;
      }
      const spec = cur.spec ?? {};
      const key = JSON.stringify(spec);
      if (this.#observed?.key !== key) this.#observed = { key, at: now };
      const holder = spec.holderIdentity ?? "";
      const durationMs = (spec.leaseDurationSeconds ?? 0) * 1000;
      this.#saw(holder);
      if (holder !== "" && holder !== me && (this.#observed.at + durationMs > now)) return false;
      const mine = holder === me;
      const acquired = mine ? Date.parse(spec.acquireTime ?? "") || now : now;
      const transitions = (spec.leaseTransitions ?? 0) + (mine ? 0 : 1);
      const next = await this.#c.store.update(this.#lease(cur, acquired, transitions, now));
      this.#observed = { key: JSON.stringify(next.spec ?? {}), at: now };
      this.#saw(me);
      return true;
    } catch (err) {
      // A lost CAS race or an existing lease means another candidate won this round.
      if (!(err instanceof StorageError && (err.code === "conflict" || err.code === "exists"))) {
        this.log.warn(`leader election ${this.#c.name}: ${messageOf(err)}`);
      }
      return false;
    }
  }

  #lease(cur: Lease | undefined, acquiredMs: number, transitions: number, nowMs: number): Lease {
    const spec: LeaseSpec = {
      holderIdentity: this.#c.identity,
      leaseDurationSeconds: Math.ceil(this.#leaseMs / 1000),
      acquireTime: microTime(new Date(acquiredMs)),
      renewTime: microTime(new Date(nowMs)),
      leaseTransitions: transitions,
    };
    if (cur) return { ...cur, spec };
    return { apiVersion: LEASE_RESOURCE.apiVersion, kind: LEASE_RESOURCE.kind, metadata: { name: this.#c.name, namespace: this.#ns }, spec };
  }

  #saw(holder: string): void {
    if (holder === "" || holder === this.#leader) return;
    this.#leader = holder;
    this.#c.onNewLeader?.(holder);
  }

  #now(): number {
    return this.#c.clock.now().getTime();
  }
}

/** metav1.MicroTime's wire form: RFC 3339 with exactly six fractional digits. */
export function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}
