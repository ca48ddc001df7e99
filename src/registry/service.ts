// Services (pkg/registry/core/service): defaulting of the fields kubectl prints, the IP families
// (service-families.ts, kube's dual-stack rules), ClusterIP allocation from the configured
// --service-cluster-ip-range (one range per family) and kube's checks on requested or changed ClusterIPs.
import type { ApiObject, FieldError } from "../api/index.ts";
import { allocateClusterIp, cidrOfFamily, familyOf, offsetOf, type IpFamily, type ServiceIpRange } from "./service-ip.ts";
import { initIpFamilies } from "./service-families.ts";
import type { ServiceIpAllocator } from "./service-alloc.ts";
import type { ResourceStrategy } from "./types.ts";

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Json) : {});
const str = (v: unknown): string => (typeof v === "string" ? v : "");
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.map(str) : []);

/** core/v1 defaulting (SetDefaults_Service: clusterIP = clusterIPs[0]) and the strategy's
 *  NormalizeClusterIPs (clusterIPs = [clusterIP] for a client that sets only the singular). */
function normalizeClusterIps(spec: Json): Json {
  const ip = str(spec.clusterIP);
  const ips = strs(spec.clusterIPs);
  if (ip === "" && ips.length > 0) return { ...spec, clusterIP: ips[0] };
  if (ip !== "" && ips.length === 0) return { ...spec, clusterIPs: [ip] };
  return spec;
}

/** Without an allocator (the strategy table's entry) every family lacking an address gets the hashed
 *  one; with one, its beginCreate/beginUpdate hook chooses them after validation, where kube's runs. */
function hashedIps(o: ApiObject, spec: Json, range: ServiceIpRange): Json {
  const ips = strs(spec.clusterIPs);
  if (ips[0] === "None") return spec;
  const families = strs(spec.ipFamilies) as IpFamily[];
  const out = families.map((f, i) => ips[i] ?? allocateClusterIp(range, o.metadata.namespace ?? "", o.metadata.name ?? "", f));
  return out.length === 0 ? spec : { ...spec, clusterIP: out[0], clusterIPs: out };
}

function defaultServiceSpec(o: ApiObject, spec: Json, range: ServiceIpRange, opts: { deferred: boolean; old?: Json }): Json {
  const type = typeof spec.type === "string" ? spec.type : "ClusterIP";
  const ports = Array.isArray(spec.ports) ? spec.ports.map((p: unknown) => ({ protocol: "TCP", targetPort: obj(p).port, ...obj(p) })) : spec.ports;
  const out: Json = { type, sessionAffinity: "None", ...spec, ...(ports ? { ports } : {}) };
  if (type === "ExternalName") return out;
  // An input initIpFamilies refuses stays as it is: validate reports kube's errors for it.
  const init = initIpFamilies(normalizeClusterIps(out), range, opts.old);
  const withFamilies = init.ok ? init.spec : normalizeClusterIps(out);
  const withIps = opts.deferred || !init.ok ? withFamilies : hashedIps(o, withFamilies, range);
  return { ...withIps, internalTrafficPolicy: withIps.internalTrafficPolicy ?? "Cluster" };
}

/** A requested ClusterIP must be an address of its family's range (the ipallocator's ErrNotInRange
 *  text, as kube-apiserver answered before the IPAddress allocator). `kept`: addresses the Service
 *  already holds, which stay valid after the range changed (kube keeps them). */
function validateInRange(spec: Json, range: ServiceIpRange, kept: readonly string[] = []): FieldError[] {
  const ips = strs(spec.clusterIPs);
  if (spec.type === "ExternalName" || ips[0] === "None") return [];
  const errs: FieldError[] = [];
  for (const [i, ip] of ips.entries()) {
    const fam = familyOf(ip);
    const cidr = fam === undefined ? undefined : cidrOfFamily(range, fam);
    if (cidr === undefined || kept.includes(ip) || offsetOf(cidr, ip) !== undefined) continue;
    const detail = `provided IP is not in the valid range. The range of valid IPs is ${cidr.cidr}`;
    errs.push({ type: "FieldValueInvalid", field: i === 0 ? "spec.clusterIP" : `spec.clusterIPs[${i}]`, value: ip, detail });
  }
  return errs;
}

function validateService(spec: Json, range: ServiceIpRange, old?: Json): FieldError[] {
  if (spec.type === "ExternalName") return [];
  const init = initIpFamilies(spec, range, old);
  if (!init.ok) return init.errors;
  return validateInRange(spec, range, old ? strs(old.clusterIPs) : []);
}

/** validation.go validateUpgradeDowngradeClusterIPs: a set ClusterIP may not change; a secondary may be
 *  added (upgrade) or released (downgrade, checked by initIpFamilies). A Service that had none
 *  (ExternalName) is checked as on create. kpki renders the changed address itself as the value (its
 *  message before dual-stack), where kube renders the whole clusterIPs list. */
function validateClusterIpUpdate(next: ApiObject, cur: ApiObject, range: ServiceIpRange): FieldError[] {
  const spec = obj(next.spec);
  const curSpec = obj(cur.spec);
  if (spec.type === "ExternalName") return [];
  if (str(curSpec.clusterIP) === "") return validateService(spec, range);
  const [before, after] = [strs(curSpec.clusterIPs), strs(spec.clusterIPs)];
  if (before.length === 0 && str(curSpec.clusterIP) !== "") before.push(str(curSpec.clusterIP));
  const changed = before.flatMap((ip, i) => (i < after.length && after[i] !== ip && (i === 0 || after.length === before.length) ? [i] : []));
  if (changed.length > 0) return changed.map((i) => ({ type: "FieldValueInvalid", field: `spec.clusterIPs[${i}]`, value: after[i], detail: "may not change once set" }));
  return validateService(spec, range, curSpec);
}

/** strategy.go dropTypeDependentFields: a Service turned ExternalName loses the address it held (and
 *  gives it back), unless the update itself set a different one. */
function dropClusterIpForExternalName(spec: Json, cur: Json): Json {
  if (spec.type !== "ExternalName" || cur.type === "ExternalName" || str(spec.clusterIP) !== str(cur.clusterIP)) return spec;
  const { clusterIP: _ip, clusterIPs: _ips, ipFamilies: _f, ipFamilyPolicy: _p, ...rest } = spec;
  return rest;
}

/** Without `allocator` addresses come from the hash alone and collisions go unchecked (the strategy
 *  table's entry); createRegistry passes one, which reserves each address (service-alloc.ts). */
export function serviceStrategy(range: ServiceIpRange, allocator?: ServiceIpAllocator): ResourceStrategy {
  const deferred = allocator !== undefined;
  return {
    prepareForCreate: (o) => ({ ...o, spec: defaultServiceSpec(o, obj(o.spec), range, { deferred }), status: { loadBalancer: {} } }),
    // clusterIPs (and the families they have) are immutable: keep them when an update leaves them out.
    prepareForUpdate: (next, cur, _ctx, sub) => {
      if (sub !== "") return next;
      const c = obj(cur.spec);
      const kept = { clusterIP: c.clusterIP, clusterIPs: c.clusterIPs, ipFamilies: c.ipFamilies };
      const spec = dropClusterIpForExternalName({ ...kept, ...obj(next.spec) }, c);
      return { ...next, spec: defaultServiceSpec(next, spec, range, { deferred, old: c.type === "ExternalName" ? undefined : c }) };
    },
    ...allocator,
    validate: (o) => validateService(obj(o.spec), range),
    validateUpdate: (next, cur, sub) => (sub === "" ? validateClusterIpUpdate(next, cur, range) : []),
  };
}
