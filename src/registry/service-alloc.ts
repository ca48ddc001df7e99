// ClusterIP allocation with reservations (pkg/registry/core/service/storage/storage.go beginCreate /
// beginUpdate / afterDelete, alloc.go allocClusterIPs / allocIPs): a Service's addresses — one per entry
// of spec.ipFamilies, so two for a dual-stack Service — are claimed by creating their reservation
// records after validation and before the Service is persisted, and given back when the write fails or
// the Service goes. The generic handler calls these as the strategy's lifecycle hooks (types.ts
// WriteClaim): the hook returns the Service to persist with the chosen addresses, and its finish gives
// back what the write did not keep.
import { internalError, invalid, type ApiError, type ApiObject } from "../api/index.ts";
import type { Store } from "../storage/index.ts";
import { allocateClusterIp, canonicalIp, cidrOfFamily, familyOf, primaryCidr, type IpFamily, type ServiceIpRange } from "./service-ip.ts";
import { allocateIp, heldIps, isIpReserved, refOf, releaseIp, reserveIp, type ServiceRef } from "./service-ip-reservations.ts";
import type { RequestContext, ResourceStrategy, WriteClaim } from "./types.ts";

/** The strategy hooks Services get from the allocator. */
export type ServiceIpAllocator = Required<Pick<ResourceStrategy, "beginCreate" | "beginUpdate" | "afterDelete">>;

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Json) : {});
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.map((x) => (typeof x === "string" ? x : "")) : []);

/** One address the defaulted Service asks for: chosen by the server (ip undefined) or a given one. */
interface Want {
  readonly family: IpFamily;
  readonly ip?: string;
}

/** alloc.go allocClusterIPs: one address per ipFamilies entry, clusterIPs[i] when given; none for
 *  ExternalName or headless. A Service stored before families were set reads as its addresses' ones. */
function wants(svc: ApiObject, range: ServiceIpRange): Want[] {
  const spec = obj(svc.spec);
  const ips = strs(spec.clusterIPs).length > 0 ? strs(spec.clusterIPs) : strs([spec.clusterIP]).filter((x) => x !== "");
  if (spec.type === "ExternalName" || ips[0] === "None") return [];
  const given = strs(spec.ipFamilies) as IpFamily[];
  const families = given.length > 0 ? given : ips.length > 0 ? ips.flatMap((ip) => familyOf(ip) ?? []) : [primaryCidr(range).family];
  return families.map((family, i) => (ips[i] === undefined ? { family } : { family, ip: ips[i] }));
}

/** alloc.go allocIPs: field.Invalid(spec.clusterIPs, service.Spec.ClusterIPs, "failed to allocate IP
 *  <ip>: provided IP is already allocated"); the []string value renders as Go's %#v. */
export function alreadyAllocated(name: string, clusterIPs: readonly string[], ip: string): ApiError {
  const detail = `failed to allocate IP ${ip}: provided IP is already allocated`;
  return invalid("", "Service", name, [{ type: "FieldValueInvalid", field: "spec.clusterIPs", value: clusterIPs, detail }]);
}

const NOTHING: WriteClaim = { finish: async () => {} };

export function serviceIpAllocator(range: ServiceIpRange, store: Store): ServiceIpAllocator {
  /** Gives the addresses back that `svc` holds records of. The write's outcome stands whatever happens
   *  here: an unreleased record is an orphan the startup repair removes. */
  const release = async (ips: readonly string[], svc: ApiObject): Promise<void> => {
    for (const ip of ips) {
      try {
        await releaseIp(store, ip, refOf(svc));
      } catch {
        // See above: left to repairServiceIpReservations.
      }
    }
  };

  /** One address for `w`: the given one if free (or already `held` by this Service), else the first
   *  free one from the hashed start in the family's range. Throws kube's errors. */
  async function claimOne(w: Want, o: { svc: ApiObject; ref: ServiceRef; held: ReadonlySet<string>; dryRun: boolean }): Promise<{ ip: string; isNew: boolean }> {
    const key = w.ip === undefined ? undefined : canonicalIp(w.ip);
    if (w.ip !== undefined && key !== undefined) {
      if (o.held.has(key)) return { ip: w.ip, isNew: false };
      const free = o.dryRun ? !(await isIpReserved(store, key)) : await reserveIp(store, key, o.ref);
      if (!free) throw alreadyAllocated(o.ref.name, strs(obj(o.svc.spec).clusterIPs).length > 0 ? strs(obj(o.svc.spec).clusterIPs) : [w.ip], w.ip);
      return { ip: key, isNew: !o.dryRun };
    }
    const cidr = cidrOfFamily(range, w.family);
    // Validation refused families the server does not serve; this is the internal error kube would give.
    if (cidr === undefined) throw internalError(new Error(`failed to allocate a serviceIP: ${w.family} is not configured on this cluster`));
    const first = allocateClusterIp(range, o.ref.namespace, o.ref.name, w.family);
    const ip = await allocateIp(store, cidr, { first, ref: o.ref, dryRun: o.dryRun });
    // alloc.go: errors.NewInternalError(fmt.Errorf("failed to allocate a serviceIP: %v", ErrFull)).
    if (ip === undefined) throw internalError(new Error("failed to allocate a serviceIP: range is full"));
    return { ip, isNew: !o.dryRun };
  }

  /** Claims what `svc` asks for beyond `held` (checks only, on dry run); all or nothing. The claim's
   *  obj carries chosen addresses. */
  async function claim(svc: ApiObject, ctx: RequestContext, held: ReadonlySet<string> = new Set()): Promise<WriteClaim> {
    const want = wants(svc, range);
    if (want.length === 0) return NOTHING;
    const ref = refOf(svc);
    const got: { ip: string; isNew: boolean }[] = [];
    try {
      for (const w of want) got.push(await claimOne(w, { svc, ref, held, dryRun: ctx.dryRun }));
    } catch (err) {
      await release(got.filter((g) => g.isNew).map((g) => g.ip), svc);
      throw err;
    }
    const claimed = got.filter((g) => g.isNew).map((g) => g.ip);
    const auto = want.some((w) => w.ip === undefined);
    const ips = got.map((g, i) => want[i]?.ip ?? g.ip);
    const out = auto ? { ...svc, spec: { ...obj(svc.spec), clusterIP: ips[0], clusterIPs: ips } } : undefined;
    return { ...(out ? { obj: out } : {}), finish: async (ok) => (ok ? undefined : release(claimed, svc)) };
  }

  return {
    beginCreate: (svc, ctx) => claim(svc, ctx),
    async beginUpdate(next, cur, ctx, sub) {
      if (sub !== "") return undefined;
      const had = heldIps(cur);
      const c = await claim(next, ctx, new Set(had));
      // Addresses the stored Service no longer holds (turned ExternalName, secondary released by a
      // SingleStack downgrade) are given back once the update is stored.
      const keeps = new Set(heldIps(c.obj ?? next));
      const dropped = had.filter((ip) => !keeps.has(ip));
      if (c === NOTHING && dropped.length === 0) return undefined;
      return {
        ...(c.obj ? { obj: c.obj } : {}),
        finish: async (ok) => {
          await c.finish(ok);
          if (ok && !ctx.dryRun) await release(dropped, cur);
        },
      };
    },
    afterDelete: (svc) => release(heldIps(svc), svc),
  };
}
