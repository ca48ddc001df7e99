// ClusterIP allocation with reservations (pkg/registry/core/service/storage/storage.go beginCreate /
// beginUpdate / afterDelete, alloc.go): a Service's address is claimed by creating its reservation
// record after validation and before the Service is persisted, and given back when the write fails or
// the Service goes. The generic handler calls these as the strategy's lifecycle hooks (types.ts
// WriteClaim): the hook returns the Service to persist with the chosen address, and its finish gives
// back what the write did not keep.
import { internalError, invalid, type ApiError, type ApiObject } from "../api/index.ts";
import type { Store } from "../storage/index.ts";
import { allocateClusterIp, parseIpv4, type ServiceIpRange } from "./service-ip.ts";
import { allocateIp, heldIp, isIpReserved, refOf, releaseIp, reserveIp } from "./service-ip-reservations.ts";
import type { RequestContext, ResourceStrategy, WriteClaim } from "./types.ts";

/** The strategy hooks Services get from the allocator. */
export type ServiceIpAllocator = Required<Pick<ResourceStrategy, "beginCreate" | "beginUpdate" | "afterDelete">>;

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
 *  <ip>: provided IP is already allocated"); the []string value renders as Go's %#v. */
export function alreadyAllocated(name: string, clusterIPs: readonly string[], ip: string): ApiError {
  const detail = `failed to allocate IP ${ip}: provided IP is already allocated`;
  return invalid("", "Service", name, [{ type: "FieldValueInvalid", field: "spec.clusterIPs", value: clusterIPs, detail }]);
}

const NOTHING: WriteClaim = { finish: async () => {} };

export function serviceIpAllocator(range: ServiceIpRange, store: Store): ServiceIpAllocator {
  /** Gives `ip` back if `svc` holds its record. The write's outcome stands whatever happens here: an
   *  unreleased record is an orphan the startup repair removes. */
  const release = async (ip: string | undefined, svc: ApiObject): Promise<void> => {
    if (ip === undefined) return;
    try {
      await releaseIp(store, ip, refOf(svc));
    } catch {
      // See above: left to repairServiceIpReservations.
    }
  };

  /** Claims what `svc` asks for (checks only, on dry run); the claim's obj carries a chosen address. */
  async function claim(svc: ApiObject, ctx: RequestContext): Promise<WriteClaim> {
    const want = need(svc);
    if (want.kind === "none") return NOTHING;
    const ref = refOf(svc);
    let ip: string | undefined;
    if (want.kind === "ip") {
      ip = want.ip;
      const free = ctx.dryRun ? !(await isIpReserved(store, ip)) : await reserveIp(store, ip, ref);
      const ips = obj(svc.spec).clusterIPs;
      if (!free) throw alreadyAllocated(ref.name, Array.isArray(ips) && ips.length > 0 ? ips.map(String) : [ip], ip);
    } else {
      ip = await allocateIp(store, range, { first: allocateClusterIp(range, ref.namespace, ref.name), ref, dryRun: ctx.dryRun });
      // alloc.go: errors.NewInternalError(fmt.Errorf("failed to allocate a serviceIP: %v", ErrFull)).
      if (ip === undefined) throw internalError(new Error("failed to allocate a serviceIP: range is full"));
    }
    const claimed = ip;
    const out = want.kind === "auto" ? { ...svc, spec: { ...obj(svc.spec), clusterIP: claimed, clusterIPs: [claimed] } } : svc;
    return { obj: out, finish: async (ok) => (ok || ctx.dryRun ? undefined : release(claimed, svc)) };
  }

  return {
    beginCreate: claim,
    async beginUpdate(next, cur, ctx, sub) {
      if (sub !== "") return undefined;
      const had = heldIp(cur);
      if (had === undefined) return claim(next, ctx);
      // A held address never changes (validation rejects it); it is given back once an update that
      // stops holding one (type changed to ExternalName) is stored.
      if (heldIp(next) === had) return undefined;
      return { finish: async (ok) => (ok && !ctx.dryRun ? release(had, cur) : undefined) };
    },
    afterDelete: (svc) => release(heldIp(svc), svc),
  };
}
