// ClusterIP allocation with reservations (pkg/registry/core/service/storage/alloc.go): a Service's
// address is claimed by creating its reservation record, after validation and before the Service is
// persisted, and given back when the Service goes. kube does this in the generic store's BeginCreate /
// BeginUpdate / AfterDelete hooks; kpki's handler has no such hooks, so the claim runs in the strategy's
// admit() (the last step before persisting; it fills spec.clusterIP in place when the address is
// chosen here) and the handler is wrapped to give addresses back when the write fails or the Service is
// deleted. What one call claimed travels in an AsyncLocalStorage, not in shared state.
import { AsyncLocalStorage } from "node:async_hooks";
import { ApiError, internalError, type ApiObject } from "../api/index.ts";
import type { Store } from "../storage/index.ts";
import { allocateClusterIp, parseIpv4, type ServiceIpRange } from "./service-ip.ts";
import { allocateIp, heldIp, isIpReserved, refOf, releaseIp, reserveIp, type ServiceRef } from "./service-ip-reservations.ts";
import type { RequestContext, ResourceHandler, ResourceStrategy } from "./types.ts";

interface Claim {
  readonly ip: string;
  readonly ref: ServiceRef;
}

/** What one handler call claimed, and what it gives back once the write succeeded. */
interface Pending {
  readonly claimed: Claim[];
  readonly releaseAfter: Claim[];
}

export interface ServiceIpAllocator {
  readonly admit: NonNullable<ResourceStrategy["admit"]>;
  /** The services handler, releasing addresses on failed writes and on deletion. */
  wrap(handler: ResourceHandler): ResourceHandler;
  /** Gives back a deleted Service's address (deletes that bypass the handler: namespace cascade). */
  released(svc: ApiObject): Promise<void>;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Json) : {});

/** What the defaulted Service asks for: no address, one chosen by the server, or a given one. */
function need(svc: ApiObject): { kind: "none" } | { kind: "auto" } | { kind: "ip"; ip: string } {
  const spec = obj(svc.spec);
  const ip = typeof spec.clusterIP === "string" ? spec.clusterIP : "";
  if (spec.type === "ExternalName" || ip === "None") return { kind: "none" };
  if (ip === "") return { kind: "auto" };
  return parseIpv4(ip) === undefined ? { kind: "none" } : { kind: "ip", ip };
}

/** alloc.go allocIPs: field.Invalid(spec.clusterIPs, service.Spec.ClusterIPs, "failed to allocate IP
 *  <ip>: provided IP is already allocated"). The value is rendered as Go's %#v of a []string, which
 *  api's invalid() cannot express yet, so the Status is built here with the same shape. */
export function alreadyAllocated(name: string, clusterIPs: readonly string[], ip: string): ApiError {
  const value = `[]string{${clusterIPs.map((s) => JSON.stringify(s)).join(", ")}}`;
  const body = `Invalid value: ${value}: failed to allocate IP ${ip}: provided IP is already allocated`;
  return new ApiError("Invalid", `Service "${name}" is invalid: spec.clusterIPs: ${body}`, {
    name,
    kind: "Service",
    causes: [{ reason: "FieldValueInvalid", message: body, field: "spec.clusterIPs" }],
  });
}

const isGone = (o: ApiObject, ctx: RequestContext, deleting: boolean): boolean =>
  !ctx.dryRun && (deleting || o.metadata.deletionTimestamp !== undefined) && (o.metadata.finalizers ?? []).length === 0;

export function serviceIpAllocator(range: ServiceIpRange, store: Store): ServiceIpAllocator {
  const calls = new AsyncLocalStorage<Pending>();
  const release = async (c: Claim): Promise<void> => {
    try {
      await releaseIp(store, c.ip, c.ref);
    } catch {
      // The write's outcome stands; an unreleased record is an orphan the startup repair removes.
    }
  };

  async function claimGiven(svc: ApiObject, ip: string, ctx: RequestContext, pending: Pending | undefined): Promise<void> {
    const ref = refOf(svc);
    // A patch retried after a conflict comes through here again with what it claimed the first time.
    if (pending?.claimed.some((c) => c.ip === ip && c.ref.namespace === ref.namespace && c.ref.name === ref.name)) return;
    const free = ctx.dryRun ? !(await isIpReserved(store, ip)) : await reserveIp(store, ip, ref);
    const ips = obj(svc.spec).clusterIPs;
    if (!free) throw alreadyAllocated(ref.name, Array.isArray(ips) && ips.length > 0 ? ips.map(String) : [ip], ip);
    if (!ctx.dryRun) pending?.claimed.push({ ip, ref });
  }

  async function claimNext(svc: ApiObject, ctx: RequestContext, pending: Pending | undefined): Promise<void> {
    const ref = refOf(svc);
    const again = pending?.claimed.find((c) => c.ref.namespace === ref.namespace && c.ref.name === ref.name);
    const first = allocateClusterIp(range, ref.namespace, ref.name);
    const ip = again?.ip ?? (await allocateIp(store, range, { first, ref, dryRun: ctx.dryRun }));
    // alloc.go: errors.NewInternalError(fmt.Errorf("failed to allocate a serviceIP: %v", ErrFull)).
    if (ip === undefined) throw internalError(new Error("failed to allocate a serviceIP: range is full"));
    if (again === undefined && !ctx.dryRun) pending?.claimed.push({ ip, ref });
    svc.spec = Object.assign(obj(svc.spec), { clusterIP: ip, clusterIPs: [ip] });
  }

  const admit: ServiceIpAllocator["admit"] = async (next, cur, ctx, op, sub) => {
    if (sub !== "" || op === "delete") return;
    const pending = calls.getStore();
    const had = cur === undefined ? undefined : heldIp(cur);
    const want = need(next);
    // A held address never changes (validation rejects it); it is given back when the Service stops
    // holding one (type changed to ExternalName), after the update succeeded.
    if (had !== undefined) {
      if (want.kind === "none" && cur !== undefined) pending?.releaseAfter.push({ ip: had, ref: refOf(cur) });
      return;
    }
    if (want.kind === "ip") await claimGiven(next, want.ip, ctx, pending);
    else if (want.kind === "auto") await claimNext(next, ctx, pending);
  };

  /** Runs one write; on failure gives back what it claimed, on success what the result does not hold. */
  async function write(ctx: RequestContext, fn: () => Promise<ApiObject>, deleting = false): Promise<ApiObject> {
    const pending: Pending = { claimed: [], releaseAfter: [] };
    let result: ApiObject;
    try {
      result = await calls.run(pending, fn);
    } catch (err) {
      await Promise.all(pending.claimed.map(release));
      throw err;
    }
    const kept = isGone(result, ctx, deleting) ? undefined : heldIp(result);
    const gone = isGone(result, ctx, deleting) ? heldIp(result) : undefined;
    const back = [...pending.claimed.filter((c) => c.ip !== kept), ...pending.releaseAfter];
    if (gone !== undefined) back.push({ ip: gone, ref: refOf(result) });
    await Promise.all(back.map(release));
    return result;
  }

  const released = async (svc: ApiObject): Promise<void> => {
    const ip = heldIp(svc);
    if (ip !== undefined) await release({ ip, ref: refOf(svc) });
  };

  const wrap = (h: ResourceHandler): ResourceHandler => ({
    ...h,
    create: (ctx, ns, o, sub) => write(ctx, () => h.create(ctx, ns, o, sub)),
    update: (ctx, ns, name, o, sub) => write(ctx, () => h.update(ctx, ns, name, o, sub)),
    patch: (ctx, ns, name, type, patch, opts, sub) => write(ctx, () => h.patch(ctx, ns, name, type, patch, opts, sub)),
    delete: (ctx, ns, name, options) => write(ctx, () => h.delete(ctx, ns, name, options), true),
    async deleteCollection(ctx, ns, params) {
      const list = await h.deleteCollection(ctx, ns, params);
      await Promise.all(list.items.filter((o) => isGone(o, ctx, true)).map(released));
      return list;
    },
  });

  return { admit, wrap, released };
}
