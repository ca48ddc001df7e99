// The shared reconcile loop (DESIGN.md: "one small idempotent controller per job"): watch a Store,
// queue object keys, and hand the LATEST stored object to the reconciler. A throw re-queues the key
// with back-off; terminal problems are written by the reconciler as Failed conditions.
import type { ApiObject } from "../api/index.ts";
import { messageOf } from "../base/index.ts";
import type { Store } from "../storage/index.ts";
import type { Logger } from "./errors.ts";
import { WorkQueue } from "./queue.ts";
import type { QueueOptions, Schedule } from "./queue.ts";
import { timerSchedule } from "./queue.ts";

export interface Reconciler<T extends ApiObject> {
  readonly name: string;
  reconcile(obj: T, signal: AbortSignal): Promise<void>;
  /** Optional cheap guard on a watch event's object: false ⇒ that event is not queued for this
   *  reconciler (it would be a no-op). Safe because every later change arrives as its own event. */
  wants?(obj: T): boolean;
}

export function objectKey(obj: ApiObject): string {
  const ns = obj.metadata.namespace ?? "";
  return ns === "" ? (obj.metadata.name ?? "") : `${ns}/${obj.metadata.name ?? ""}`;
}

export function splitKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf("/");
  return i < 0 ? { namespace: "", name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

export interface WatchLoopOptions<T extends ApiObject> {
  readonly store: Store<T>;
  /** Keys to enqueue for an event; default the object's own key. Return [] to ignore. */
  readonly keys?: (type: string, obj: T) => readonly string[];
  /** A WorkQueue, or several behind one `add` (one watch feeding many controllers). */
  readonly queue: { add(key: string, obj: T): void };
  readonly logger: Logger;
  readonly name: string;
  readonly schedule?: Schedule;
}

/** Feed a queue from a Store watch; restarts the watch (after 1 s) when it ends or fails. */
export async function feedQueue<T extends ApiObject>(o: WatchLoopOptions<T>, signal: AbortSignal): Promise<void> {
  const keysOf = o.keys ?? ((_t: string, obj: T) => [objectKey(obj)]);
  const schedule = o.schedule ?? timerSchedule;
  while (!signal.aborted) {
    try {
      for await (const ev of o.store.watch({ signal, resourceVersion: "" })) {
        if (ev.type === "BOOKMARK" || ev.type === "ERROR") continue;
        for (const k of keysOf(ev.type, ev.object)) o.queue.add(k, ev.object);
      }
    } catch (err) {
      if (signal.aborted) return;
      o.logger.warn(`${o.name}: watch failed: ${messageOf(err)}; restarting`);
    }
    if (signal.aborted) return;
    await new Promise<void>((resolve) => schedule(resolve, 1000));
  }
}

export interface ControllerOptions {
  readonly logger: Logger;
  readonly queue?: QueueOptions;
  readonly schedule?: Schedule;
  /** Workers per reconciler (default 1). Distinct keys reconcile in parallel, so one slow storage
   *  round trip no longer serialises the whole controller; one key is never reconciled twice at once. */
  readonly workers?: number;
}

/** Run one reconciler over one store until `signal` aborts. */
export function runReconciler<T extends ApiObject>(store: Store<T>, reconciler: Reconciler<T>, opts: ControllerOptions, signal: AbortSignal): Promise<void> {
  return runReconcilers(store, [reconciler], opts, signal);
}

/** Several reconcilers over one store: ONE watch (each event decoded once, not once per controller,
 *  as client-go's shared informers do) feeding a queue per reconciler, so each keeps its own
 *  back-off and one controller's slow key never delays another's. */
export async function runReconcilers<T extends ApiObject>(
  store: Store<T>,
  reconcilers: readonly Reconciler<T>[],
  opts: ControllerOptions,
  signal: AbortSignal,
): Promise<void> {
  const queues = reconcilers.map(() => new WorkQueue(opts.queue));
  const runs = reconcilers.map((reconciler, i) => {
    const handle = async (key: string): Promise<void> => {
      const { namespace, name } = splitKey(key);
      const obj = await store.get(namespace, name); // the latest state, never a stale event's
      if (obj !== undefined) await reconciler.reconcile(obj, signal);
    };
    return queues[i]!.run(handle, signal, { logger: opts.logger, name: reconciler.name, workers: opts.workers ?? 1 });
  });
  const fanOut = {
    add: (key: string, obj: T): void =>
      queues.forEach((q, i) => {
        if (reconcilers[i]?.wants?.(obj) !== false) q.add(key);
      }),
  };
  const name = reconcilers.map((r) => r.name).join("+");
  const feeding = feedQueue({ store, queue: fanOut, logger: opts.logger, name, schedule: opts.schedule }, signal);
  await Promise.all([...runs, feeding]);
}
