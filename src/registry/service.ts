// Services (pkg/registry/core/service): defaulting of the fields kubectl prints, ClusterIP allocation from
// the configured --service-cluster-ip-range, and kube's checks on a requested or changed ClusterIP.
import type { ApiObject, FieldError } from "../api/index.ts";
import { allocateClusterIp, parseIpv4, rangeContains, type ServiceIpRange } from "./service-ip.ts";
import type { ServiceIpAllocator } from "./service-alloc.ts";
import type { ResourceStrategy } from "./types.ts";

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Json) : {});
const str = (v: unknown): string => (typeof v === "string" ? v : "");

/** The requested primary ClusterIP: spec.clusterIP, else spec.clusterIPs[0] (core/v1 defaulting). */
function requestedIp(spec: Json): string {
  const first: unknown = Array.isArray(spec.clusterIPs) ? spec.clusterIPs[0] : undefined;
  return str(spec.clusterIP) || str(first);
}

/** With an allocator the address is chosen by its beginCreate/beginUpdate hook (after validation,
 *  where kube's allocator runs), so a Service asking for none keeps clusterIP unset here. */
function defaultServiceSpec(o: ApiObject, spec: Json, range: ServiceIpRange, deferred: boolean): Json {
  const type = typeof spec.type === "string" ? spec.type : "ClusterIP";
  const ports = Array.isArray(spec.ports) ? spec.ports.map((p: unknown) => ({ protocol: "TCP", targetPort: obj(p).port, ...obj(p) })) : spec.ports;
  const out: Json = { type, sessionAffinity: "None", ...spec, ...(ports ? { ports } : {}) };
  if (type !== "ExternalName") {
    const ip = requestedIp(out) || (deferred ? "" : allocateClusterIp(range, o.metadata.namespace ?? "", o.metadata.name ?? ""));
    if (ip !== "") Object.assign(out, { clusterIP: ip, clusterIPs: Array.isArray(out.clusterIPs) && out.clusterIPs.length > 0 ? out.clusterIPs : [ip] });
    Object.assign(out, { ipFamilies: out.ipFamilies ?? ["IPv4"], ipFamilyPolicy: out.ipFamilyPolicy ?? "SingleStack", internalTrafficPolicy: out.internalTrafficPolicy ?? "Cluster" });
  }
  return out;
}

/** A requested ClusterIP must be "None" (headless) or an address of the range (the ipallocator's
 *  ErrNotInRange text, as kube-apiserver answered before the IPAddress allocator). */
function validateClusterIp(spec: Json, range: ServiceIpRange): FieldError[] {
  const ip = str(spec.clusterIP);
  if (spec.type === "ExternalName" || ip === "" || ip === "None" || rangeContains(range, ip)) return [];
  if (parseIpv4(ip) === undefined && !ip.includes(":")) {
    return [{ type: "FieldValueInvalid", field: "spec.clusterIP", value: ip, detail: "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)" }];
  }
  const detail = `provided IP is not in the valid range. The range of valid IPs is ${range.cidr}`;
  return [{ type: "FieldValueInvalid", field: "spec.clusterIP", value: ip, detail }];
}

/** validation.go validateUpgradeDowngradeClusterIPs: a set ClusterIP may not change. A Service that
 *  had none (ExternalName) is checked as on create. An unchanged address outside the range is kept,
 *  as kube keeps Services allocated before the range changed. */
function validateClusterIpUpdate(next: ApiObject, cur: ApiObject, range: ServiceIpRange): FieldError[] {
  const spec = obj(next.spec);
  const before = str(obj(cur.spec).clusterIP);
  const after = str(spec.clusterIP);
  if (spec.type === "ExternalName" || after === before) return [];
  if (before === "") return validateClusterIp(spec, range);
  return [{ type: "FieldValueInvalid", field: "spec.clusterIPs[0]", value: after, detail: "may not change once set" }];
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
    prepareForCreate: (o) => ({ ...o, spec: defaultServiceSpec(o, obj(o.spec), range, deferred), status: { loadBalancer: {} } }),
    // clusterIP is immutable: keep the allocated one when an update leaves it out.
    prepareForUpdate: (next, cur, _ctx, sub) => {
      if (sub !== "") return next;
      const kept = { clusterIP: obj(cur.spec).clusterIP, clusterIPs: obj(cur.spec).clusterIPs };
      const spec = dropClusterIpForExternalName({ ...kept, ...obj(next.spec) }, obj(cur.spec));
      return { ...next, spec: defaultServiceSpec(next, spec, range, deferred) };
    },
    ...allocator,
    validate: (o) => validateClusterIp(obj(o.spec), range),
    validateUpdate: (next, cur, sub) => (sub === "" ? validateClusterIpUpdate(next, cur, range) : []),
  };
}
