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
  readonly queue: WorkQueue;
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
        for (const k of keysOf(ev.type, ev.object)) o.queue.add(k);
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
}

/** Run one reconciler over one store until `signal` aborts. */
export async function runReconciler<T extends ApiObject>(
  store: Store<T>,
  reconciler: Reconciler<T>,
  opts: ControllerOptions,
  signal: AbortSignal,
): Promise<void> {
  const queue = new WorkQueue(opts.queue);
  const handle = async (key: string): Promise<void> => {
    const { namespace, name } = splitKey(key);
    const obj = await store.get(namespace, name);
    if (obj !== undefined) await reconciler.reconcile(obj, signal);
  };
  const feeding = feedQueue({ store, queue, logger: opts.logger, name: reconciler.name, schedule: opts.schedule }, signal);
  await Promise.all([queue.run(handle, signal, opts.logger, reconciler.name), feeding]);
}
