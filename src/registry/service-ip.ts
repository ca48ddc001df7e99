// The Service IP range (kube-apiserver --service-cluster-ip-range): parsed once at the boundary into a
// frozen value the registry allocates from and validates against. As kube-apiserver, a range is IPv4 or
// IPv6, or a dual-stack pair "10.96.0.0/12,fd00:10:96::/112" of one range per family, the primary first
// (cmd/kube-apiserver/app/options/validation.go validateClusterIPFlags): the primary family is the
// default one of Services and the kubernetes Service's. kube-apiserver's default is 10.0.0.0/24; kpki
// uses kubeadm's 10.96.0.0/12, which `kpki init` puts (as its first host address 10.96.0.1) in the
// apiserver certificate. Addresses are read with Go's rules (base/ip.ts, net.ParseCIDR).
import { cidrContains, formatCidr, formatIp, indexedIp, parseCidr, tryParseIp } from "../base/index.ts";

export type IpFamily = "IPv4" | "IPv6";

/** One range of one family. */
export interface ServiceCidr {
  /** Canonical text, host bits cleared as Go's net.ParseCIDR does ("10.32.0.5/24" → "10.32.0.0/24"). */
  readonly cidr: string;
  readonly family: IpFamily;
  /** The network address: 4 bytes (IPv4) or 16 (IPv6). */
  readonly network: Uint8Array;
  /** The prefix length. */
  readonly bits: number;
  /** Number of addresses in the range, 2^(host bits) ≤ 2^20: offsets fit a JS number. */
  readonly size: number;
}

export interface ServiceIpRange {
  /** The flag's canonical text: one CIDR, or two joined by "," (primary first). */
  readonly cidr: string;
  /** The primary range (the default family), then the other family's on a dual-stack server. */
  readonly cidrs: readonly [ServiceCidr] | readonly [ServiceCidr, ServiceCidr];
}

export type ServiceIpRangeResult = { readonly ok: true; readonly range: ServiceIpRange } | { readonly ok: false; readonly reason: string };

/** kube-apiserver's maxCIDRBits (options/validation.go validateMaxCIDRRange): at most 20 host bits,
 *  for IPv4 and IPv6 alike. */
const MAX_HOST_BITS = 20;
/** Network, the kubernetes Service's address, broadcast, and room for one Service beside it. */
const MIN_HOST_BITS = 2;

type CidrResult = { readonly ok: true; readonly cidr: ServiceCidr } | { readonly ok: false; readonly reason: string };

function parseOne(text: string): CidrResult {
  const c = parseCidr(text);
  // An IPv4-mapped IPv6 range (::ffff:10.0.0.0/120) is neither family cleanly for Go (IsIPv4CIDR says
  // IPv4, Mask.Size says 128 bits); kpki refuses it rather than guess.
  if (c === undefined || (c.family === 6 && formatCidr(c).includes("."))) return { ok: false, reason: "is not a valid CIDR" };
  const width = c.network.length * 8;
  const hostBits = width - c.bits;
  if (hostBits > MAX_HOST_BITS) return { ok: false, reason: `is too large; for ${width}-bit addresses, the mask must be >= ${width - MAX_HOST_BITS}` };
  if (hostBits < MIN_HOST_BITS) return { ok: false, reason: `is too small; the mask must be <= ${width - MIN_HOST_BITS} to leave room for Services` };
  const family: IpFamily = c.family === 4 ? "IPv4" : "IPv6";
  return { ok: true, cidr: Object.freeze({ cidr: formatCidr(c), family, network: c.network, bits: c.bits, size: 2 ** hostBits }) };
}

/** One CIDR, or two comma-separated ones of different families (kube splits on "," and trims nothing).
 *  A single range keeps kpki's reasons ("is not a valid CIDR", "is too large; …"); a pair names the
 *  entry as kube does ("[1] …", "[0] and [1] must be of different IP family"). */
export function parseServiceIpRange(text: string): ServiceIpRangeResult {
  const parts = text.split(",");
  if (parts.length > 2) return { ok: false, reason: "is invalid: must not contain more than two entries" };
  const parsed = parts.map(parseOne);
  const [p0, p1] = parsed;
  if (p1 === undefined) return p0?.ok ? { ok: true, range: Object.freeze({ cidr: p0.cidr.cidr, cidrs: [p0.cidr] as const }) } : { ok: false, reason: p0?.reason ?? "is not a valid CIDR" };
  for (const [i, p] of parsed.entries()) if (!p.ok) return { ok: false, reason: `is invalid: [${i}] "${parts[i]}" ${p.reason}` };
  if (!p0?.ok || !p1.ok) return { ok: false, reason: "is not a valid CIDR" };
  if (p0.cidr.family === p1.cidr.family) return { ok: false, reason: "is invalid: [0] and [1] must be of different IP family" };
  return { ok: true, range: Object.freeze({ cidr: `${p0.cidr.cidr},${p1.cidr.cidr}`, cidrs: [p0.cidr, p1.cidr] as const }) };
}

function mustParse(text: string): ServiceIpRange {
  const r = parseServiceIpRange(text);
  if (!r.ok) throw new Error(`built-in service IP range ${text} ${r.reason}`);
  return r.range;
}

/** kubeadm's default service subnet, which `kpki init` uses by default. */
export const DEFAULT_SERVICE_IP_RANGE: ServiceIpRange = mustParse("10.96.0.0/12");

export const isDualStack = (range: ServiceIpRange): boolean => range.cidrs.length === 2;
export const primaryCidr = (range: ServiceIpRange): ServiceCidr => range.cidrs[0];
export const cidrOfFamily = (range: ServiceIpRange, family: IpFamily): ServiceCidr | undefined => range.cidrs.find((c) => c.family === family);

/** The family of an address as kube reads it (netutils.IsIPv6String: an IPv4-mapped address is IPv4);
 *  undefined when it is not an address. */
export function familyOf(ip: string): IpFamily | undefined {
  const b = tryParseIp(ip);
  return b === undefined ? undefined : b.length === 4 ? "IPv4" : "IPv6";
}

/** The canonical text of an address (Go's IP.String): reservation keys use it, so "FD00::0A" and
 *  "fd00::a" are one address. */
export function canonicalIp(ip: string): string | undefined {
  const b = tryParseIp(ip);
  return b === undefined ? undefined : formatIp(b);
}

/** The address `offset` (< size) past the network address (GetIndexedIP). */
export function ipAt(c: ServiceCidr, offset: number): string {
  return formatIp(indexedIp(c.network, offset));
}

/** The offset of `ip` in the range, or undefined when it is not an address of it. */
export function offsetOf(c: ServiceCidr, ip: string): number | undefined {
  const b = tryParseIp(ip);
  const net = { ip: c.network, network: c.network, bits: c.bits, family: c.family === "IPv4" ? 4 : 6 } as const;
  if (b === undefined || b.length !== c.network.length || !cidrContains(net, b)) return undefined;
  // The host bits are ≤ 20: the last three bytes hold them.
  const n = b.length;
  return (((b[n - 3] ?? 0) << 16) | ((b[n - 2] ?? 0) << 8) | (b[n - 1] ?? 0)) % c.size;
}

/** The kubernetes Service's ClusterIP: the first host address of the primary range (pkg/controlplane
 *  ServiceIPRange: utilnet.GetIndexedIP(range, 1)). */
export function kubernetesServiceIp(range: ServiceIpRange): string {
  return ipAt(primaryCidr(range), 1);
}

/** True when `ip` is an address of one of the configured ranges. */
export function rangeContains(range: ServiceIpRange, ip: string): boolean {
  return range.cidrs.some((c) => offsetOf(c, ip) !== undefined);
}

/** Addresses a Service may get, as offsets [2, 2 + count): never the network address (kube's
 *  ipallocator skips it) nor the kubernetes Service's (network + 1); IPv4 also never the broadcast
 *  address, IPv6 has none (ipallocator.NewAllocatorCIDRRange: `max--` for IPv4 only). */
export function usableCount(c: ServiceCidr): number {
  return c.size - (c.family === "IPv4" ? 3 : 2);
}

/** A stable address from the Service's namespace/name (FNV-1a), so the same Service gets the same IP on
 *  every server: in the range of `family` (default the primary one). It is where the search for a free
 *  address starts (service-ip-reservations.ts allocateIp), which moves on past reserved addresses. */
export function allocateClusterIp(range: ServiceIpRange, namespace: string, name: string, family?: IpFamily): string {
  const c = (family === undefined ? undefined : cidrOfFamily(range, family)) ?? primaryCidr(range);
  let h = 0x811c9dc5;
  for (const ch of `${namespace}/${name}`) h = Math.imul(h ^ (ch.codePointAt(0) ?? 0), 0x01000193) >>> 0;
  return ipAt(c, 2 + (h % usableCount(c)));
}
