// A keyed work queue with per-key exponential back-off (client-go workqueue semantics): a key is
// queued at most once, never processed by two workers at once, and re-queued after processing if it
// was added meanwhile (client-go's "dirty" set: re-added after Done, never handed to a second worker).
// run() starts N workers, as kube-controller-manager's controllers do (`go wait.Until(worker)` × N).
// Timers are a parameter so tests never wait on the wall clock.
import { messageOf, whenAborted } from "../base/index.ts";
import type { Logger } from "./errors.ts";

export type Schedule = (fn: () => void, ms: number) => () => void;

export const timerSchedule: Schedule = (fn, ms) => {
  const t = setTimeout(fn, ms);
  t.unref?.();
  return () => clearTimeout(t);
};

export interface QueueOptions {
  /** First retry delay; doubles per failure (client-go default 5 ms … we use 200 ms). */
  readonly baseDelayMs?: number;
  /** Retry delay ceiling (client-go: 1000 s). */
  readonly maxDelayMs?: number;
  readonly schedule?: Schedule;
}

export interface RunOptions {
  readonly logger?: Logger;
  /** The controller's name, in log lines. */
  readonly name?: string;
  /** Concurrent workers (kube-controller-manager: 5 for csrsigning/csrapproving). Default 1. */
  readonly workers?: number;
}

export class WorkQueue {
  readonly #queue: string[] = [];
  readonly #queued = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #dirty = new Set<string>();
  readonly #failures = new Map<string, number>();
  readonly #timers = new Map<string, () => void>();
  /** Idle workers waiting for a key; each add wakes one. */
  #idle: (() => void)[] = [];
  readonly #base: number;
  readonly #max: number;
  readonly #schedule: Schedule;

  constructor(opts: QueueOptions = {}) {
    this.#base = opts.baseDelayMs ?? 200;
    this.#max = opts.maxDelayMs ?? 1_000_000;
    this.#schedule = opts.schedule ?? timerSchedule;
  }

  get length(): number {
    return this.#queue.length;
  }

  add(key: string): void {
    if (this.#processing.has(key)) {
      this.#dirty.add(key);
      return;
    }
    if (this.#queued.has(key)) return;
    this.#queued.add(key);
    this.#queue.push(key);
    this.#idle.shift()?.();
  }

  /** Re-add after the key's back-off delay (base · 2^failures, capped). */
  addRateLimited(key: string): number {
    const n = this.#failures.get(key) ?? 0;
    this.#failures.set(key, n + 1);
    const delay = Math.min(this.#max, this.#base * 2 ** n);
    this.#timers.get(key)?.();
    this.#timers.set(key, this.#schedule(() => {
      this.#timers.delete(key);
      this.add(key);
    }, delay));
    return delay;
  }

  forget(key: string): void {
    this.#failures.delete(key);
  }

  failures(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  /** Process one queued key, if any; returns false when the queue was empty. */
  async processOne(handle: (key: string) => Promise<void>, logger?: Logger, name = "queue"): Promise<boolean> {
    const key = this.#queue.shift();
    if (key === undefined) return false;
    this.#queued.delete(key);
    this.#processing.add(key);
    try {
      await handle(key);
      this.forget(key);
    } catch (err) {
      const delay = this.addRateLimited(key);
      logger?.warn(`${name}: ${key}: ${messageOf(err)} (retry in ${delay} ms)`);
    } finally {
      this.#processing.delete(key);
      if (this.#dirty.delete(key)) this.add(key);
    }
    return true;
  }

  /** Work with `workers` concurrent workers (default 1) until `signal` aborts. Distinct keys are
   *  processed in parallel; one key never is (processOne's #processing/#dirty sets). */
  async run(handle: (key: string) => Promise<void>, signal: AbortSignal, opts: RunOptions = {}): Promise<void> {
    const { logger, name, workers = 1 } = opts;
    const removeAbort = whenAborted(signal, () => this.#idle.splice(0).forEach((wake) => wake()));
    try {
      await Promise.all(Array.from({ length: Math.max(1, workers) }, () => this.#work(handle, signal, logger, name)));
    } finally {
      removeAbort();
      for (const cancel of this.#timers.values()) cancel();
      this.#timers.clear();
    }
  }

  async #work(handle: (key: string) => Promise<void>, signal: AbortSignal, logger?: Logger, name?: string): Promise<void> {
    while (!signal.aborted) {
      if (await this.processOne(handle, logger, name)) continue;
      await new Promise<void>((resolve) => {
        // A key added between processOne's return and here would otherwise be missed.
        if (this.#queue.length > 0 || signal.aborted) resolve();
        else this.#idle.push(resolve);
      });
    }
  }
}
