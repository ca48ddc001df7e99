// One storage record per Service ClusterIP, as kube-apiserver 1.33's IPAddress allocator keeps one
// networking.k8s.io/v1 IPAddress object named by the address (pkg/registry/core/service/ipallocator
// /ipallocator.go): creating the record IS the allocation, so the backend's create-if-absent makes it
// atomic across API-server replicas on one storage (memory, SQLite, etcd alike). The records live under
// an internal prefix (/registry/kpki/serviceipreservations/<ip>) and are served by no API. <ip> is the
// canonical text (Go's IP.String, as kube names IPAddress objects): "fd00:10:96::a", never "FD00:10:96:0::A",
// so one address is one key; ':' is safe in storage keys (names are not path-split).
import { RESOURCES, type ApiObject, type ResourceInfo } from "../api/index.ts";
import { StorageError, type Store } from "../storage/index.ts";
import { canonicalIp, familyOf, ipAt, offsetOf, usableCount, type ServiceCidr } from "./service-ip.ts";
import type { StoreLookup } from "./types.ts";

/** The internal resource the reservations are stored as; StoreLookup maps it to its key prefix. */
export const SERVICE_IP_RESERVATIONS: ResourceInfo = Object.freeze({
  group: "kpki",
  version: "v1",
  resource: "serviceipreservations",
  singular: "serviceipreservation",
  kind: "IPAddress",
  listKind: "IPAddressList",
  namespaced: false,
  shortNames: [],
  verbs: [],
  subresources: [],
  columns: [],
  cells: () => [],
  fieldSelectors: [],
});

/** The Service holding an address (IPAddress spec.parentRef). */
export interface ServiceRef {
  readonly namespace: string;
  readonly name: string;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Json) : {});
const str = (v: unknown): string => (typeof v === "string" ? v : "");

export function refOf(svc: ApiObject): ServiceRef {
  return { namespace: svc.metadata.namespace ?? "", name: svc.metadata.name ?? "" };
}

/** The addresses a Service holds, canonical, primary first (spec.clusterIPs, else spec.clusterIP): none
 *  for ExternalName, headless ("None") or a Service without one; two for a dual-stack Service. */
export function heldIps(svc: ApiObject): string[] {
  const spec = obj(svc.spec);
  if (spec.type === "ExternalName") return [];
  const ips = Array.isArray(spec.clusterIPs) && spec.clusterIPs.length > 0 ? spec.clusterIPs.map(str) : [str(spec.clusterIP)];
  return ips.flatMap((ip) => canonicalIp(ip) ?? []);
}

function reservationOf(ip: string, ref: ServiceRef): ApiObject {
  const family = familyOf(ip) ?? "IPv4";
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "IPAddress",
    metadata: { name: ip, labels: { "ipaddress.kubernetes.io/ip-family": family, "ipaddress.kubernetes.io/managed-by": "ipallocator.k8s.io" } },
    spec: { parentRef: { group: "", resource: "services", namespace: ref.namespace, name: ref.name } },
  };
}

function ownedBy(reservation: ApiObject, ref: ServiceRef): boolean {
  const parent = obj(obj(reservation.spec).parentRef);
  return parent.namespace === ref.namespace && parent.name === ref.name;
}

const isStorage = (err: unknown, ...codes: string[]): boolean => err instanceof StorageError && codes.includes(err.code);

/** Creates the record; false when the address is already held (kube's ErrAllocated). */
export async function reserveIp(store: Store, ip: string, ref: ServiceRef): Promise<boolean> {
  try {
    await store.create(reservationOf(ip, ref));
    return true;
  } catch (err) {
    if (isStorage(err, "exists")) return false;
    throw err;
  }
}

/** Deletes the record if `ref` holds it (compare-and-swap, so a record re-created meanwhile stays). */
export async function releaseIp(store: Store, ip: string, ref: ServiceRef): Promise<boolean> {
  const cur = await store.get("", ip);
  if (cur === undefined || !ownedBy(cur, ref)) return false;
  try {
    await store.delete("", ip, cur.metadata.resourceVersion);
    return true;
  } catch (err) {
    if (isStorage(err, "not-found", "conflict")) return false;
    throw err;
  }
}

export async function isIpReserved(store: Store, ip: string): Promise<boolean> {
  return (await store.get("", ip)) !== undefined;
}

/** Every allocatable address of one range once, from `first` onward and wrapping: never the network
 *  address, the kubernetes Service's (network + 1) or an IPv4 broadcast address (service-ip.ts usableCount). */
export function* candidateIps(cidr: ServiceCidr, first: string): Generator<string> {
  const usable = usableCount(cidr);
  const at = (offsetOf(cidr, first) ?? 0) - 2;
  const start = at >= 0 && at < usable ? at : 0;
  for (let i = 0; i < usable; i++) yield ipAt(cidr, 2 + ((start + i) % usable));
}

/** The first free address from `first` on, reserved for `ref` (only checked when dryRun); undefined
 *  when the range is full. After the first collision one list tells which addresses are taken, so a
 *  crowded range costs one read, not one per address; each create still decides atomically. */
export async function allocateIp(store: Store, cidr: ServiceCidr, o: { first: string; ref: ServiceRef; dryRun: boolean }): Promise<string | undefined> {
  let taken: Set<string> | undefined;
  for (const ip of candidateIps(cidr, o.first)) {
    if (taken?.has(ip)) continue;
    if (o.dryRun ? !(await isIpReserved(store, ip)) : await reserveIp(store, ip, o.ref)) return ip;
    taken ??= new Set((await store.list()).items.map((r) => r.metadata.name ?? ""));
  }
  return undefined;
}

export interface RepairResult {
  /** Addresses held by a Service that had no record, now reserved. */
  readonly reserved: readonly string[];
  /** Records no Service holds, older than the grace period, now deleted. */
  readonly released: readonly string[];
  /** Addresses held by more than one Service (created before reservations existed). */
  readonly duplicates: readonly string[];
}

const servicesInfo = (): ResourceInfo => {
  const i = RESOURCES.find((r) => r.group === "" && r.resource === "services");
  if (i === undefined) throw new Error("resource table has no services");
  return i;
};

/** kube's ClusterIP repair controller (pkg/registry/core/service/ipallocator/controller/repairip.go),
 *  once and idempotently: every Service's address gets its record; with `now`, a record no Service
 *  holds is deleted once older than `graceMs` (default 60 s) — younger ones may belong to a create in
 *  flight on another replica, so they are left alone. Records are listed before Services for that reason. */
export async function repairServiceIpReservations(stores: StoreLookup, o: { now?: Date; graceMs?: number } = {}): Promise<RepairResult> {
  const store = stores(SERVICE_IP_RESERVATIONS);
  const records = (await store.list()).items;
  const holders = new Map<string, ServiceRef[]>();
  for (const svc of (await stores(servicesInfo()).list()).items) {
    for (const ip of heldIps(svc)) holders.set(ip, [...(holders.get(ip) ?? []), refOf(svc)]);
  }
  const recorded = new Set(records.map((r) => r.metadata.name ?? ""));
  const reserved: string[] = [];
  for (const [ip, refs] of holders) {
    if (!recorded.has(ip) && refs[0] !== undefined && (await reserveIp(store, ip, refs[0]))) reserved.push(ip);
  }
  const released: string[] = [];
  const cutoff = o.now === undefined ? undefined : o.now.getTime() - (o.graceMs ?? 60_000);
  for (const r of records) {
    const ip = r.metadata.name ?? "";
    const created = Date.parse(r.metadata.creationTimestamp ?? "");
    if (holders.has(ip) || cutoff === undefined || !(created <= cutoff)) continue;
    try {
      await store.delete("", ip, r.metadata.resourceVersion);
      released.push(ip);
    } catch (err) {
      if (!isStorage(err, "not-found", "conflict")) throw err;
    }
  }
  const duplicates = [...holders].filter(([, refs]) => refs.length > 1).map(([ip]) => ip);
  return { reserved, released, duplicates };
}
