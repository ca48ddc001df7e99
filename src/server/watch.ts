// Watch streaming (kubectl-protocol.md §5): 200, chunked newline-delimited JSON, one event per line,
// written as soon as it happens. Table-wrapped rows when the Accept asks for Table; BOOKMARK events
// (the registry emits them when the client sent allowWatchBookmarks) pass through unwrapped;
// `timeoutSeconds` ends the stream cleanly (the client re-lists/re-watches); a compacted revision
// becomes an ERROR event carrying a 410 Status.
import type { ServerResponse } from "node:http";
import type { ResourceInfo } from "../api/index.ts";
import type { ListParams, RequestContext, ResourceHandler } from "../registry/index.ts";
import type { WatchEvent } from "../storage/index.ts";
import { whenAborted } from "../base/index.ts";
import { errorResponse } from "./status.ts";
import { toTable } from "./table.ts";

export interface WatchOptions {
  readonly table: boolean;
  /** Upper bound when the client gives no timeoutSeconds (kube-apiserver: --min-request-timeout 1800 s). */
  readonly defaultTimeoutSeconds: number;
  readonly now: () => Date;
  /** Aborted by the server on shutdown. */
  readonly serverSignal: AbortSignal;
}

function eventLine(info: ResourceInfo, ev: WatchEvent, opts: WatchOptions, first: boolean): string {
  if (!opts.table || ev.type === "BOOKMARK" || ev.type === "ERROR") return JSON.stringify(ev) + "\n";
  const table = toTable(info, [ev.object], opts.now(), { withColumns: first, resourceVersion: ev.object.metadata.resourceVersion });
  return JSON.stringify({ type: ev.type, object: table }) + "\n";
}

type Step = { readonly ok: IteratorResult<WatchEvent> } | { readonly err: unknown };
const settle = (p: Promise<IteratorResult<WatchEvent>>): Promise<Step> => p.then((ok) => ({ ok }), (err: unknown) => ({ err }));

/** kube's cacher answers a too-old resourceVersion with a 200 and one ERROR event carrying the 410
 *  Status (cacher.go newErrWatcher: "once we have passed authn/authz/admission, and successfully parsed
 *  a resource version, other errors must fail with a watch event of type ERROR"); reflectors relist. */
function isExpired(err: unknown): boolean {
  return errorResponse(err).httpStatus === 410;
}

/** Streams handler.watch() to `res` until the client goes away, the timeout passes or the server stops.
 *  Errors the watch raises as it starts (a bad selector) are plain HTTP errors (thrown to the caller, like
 *  kube-apiserver's 400 before the stream); a compacted revision and later errors are ERROR events. */
export async function serveWatch(
  res: ServerResponse,
  handler: ResourceHandler,
  call: { ctx: RequestContext; namespace: string; params: ListParams },
  opts: WatchOptions,
): Promise<void> {
  const abort = new AbortController();
  const it = handler.watch(call.ctx, call.namespace, call.params, abort.signal)[Symbol.asyncIterator]();
  let next: Promise<Step> = settle(it.next());
  // Give the watch one turn of the event loop to fail fast before the 200 is committed.
  const early = await Promise.race([next, new Promise<undefined>((r) => setImmediate(() => r(undefined)))]);
  if (early !== undefined && "err" in early && !isExpired(early.err)) throw early.err;
  const stop = (): void => abort.abort();
  const timer = setTimeout(stop, (call.params.timeoutSeconds ?? opts.defaultTimeoutSeconds) * 1000);
  res.on("close", stop);
  const removeServerStop = whenAborted(opts.serverSignal, stop);
  res.writeHead(200, { "Content-Type": "application/json", "Cache-Control": "no-cache, private" });
  res.flushHeaders();
  const aborted = new Promise<undefined>((r) => whenAborted(abort.signal, () => r(undefined)));
  let first = true;
  try {
    for (;;) {
      const step = await Promise.race([next, aborted]);
      if (step === undefined || abort.signal.aborted) break;
      if ("err" in step) throw step.err;
      if (step.ok.done) break;
      res.write(eventLine(handler.info, step.ok.value, opts, first));
      first = false;
      next = settle(it.next());
    }
  } catch (err) {
    if (!abort.signal.aborted) res.write(JSON.stringify({ type: "ERROR", object: errorResponse(err).body }) + "\n");
  } finally {
    clearTimeout(timer);
    removeServerStop();
    res.off("close", stop);
    if (!res.writableEnded) res.end();
    void it.return?.(undefined)?.catch(() => undefined);
  }
}
