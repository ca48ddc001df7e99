// The Service IP range (kube-apiserver --service-cluster-ip-range): parsed once at the boundary into a
// frozen value the registry allocates from and validates against. IPv4 only (kpki serves single-stack).
// kube-apiserver's default is 10.0.0.0/24; kpki uses kubeadm's 10.96.0.0/12, which `kpki init` puts
// (as its first host address 10.96.0.1) in the apiserver certificate.

export interface ServiceIpRange {
  /** Canonical text, host bits cleared as Go's net.ParseCIDR does ("10.32.0.5/24" → "10.32.0.0/24"). */
  readonly cidr: string;
  /** The network address as an unsigned 32-bit number. */
  readonly base: number;
  /** Number of addresses in the range (2^(32 − prefix)). */
  readonly size: number;
}

export type ServiceIpRangeResult = { readonly ok: true; readonly range: ServiceIpRange } | { readonly ok: false; readonly reason: string };

/** kube-apiserver's maxCIDRBits (options/validation.go validateMaxCIDRRange): at most 20 host bits. */
const MAX_HOST_BITS = 20;
/** Network, the kubernetes Service's address, broadcast, and room for one Service beside it. */
const MIN_HOST_BITS = 2;

const OCTET = /^(?:0|[1-9]\d{0,2})$/;

/** A dotted-quad IPv4 address as an unsigned number; undefined unless exactly four decimal octets
 *  without leading zeros (Go's net.ParseIP rejects them since 1.17). */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!OCTET.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

export function formatIpv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

export function parseServiceIpRange(text: string): ServiceIpRangeResult {
  const m = /^([0-9.]+)\/(0|[1-9]\d?)$/.exec(text);
  const ip = m === null ? undefined : parseIpv4(m[1] ?? "");
  const prefix = Number(m?.[2]);
  if (ip === undefined || prefix > 32) return { ok: false, reason: "is not an IPv4 CIDR" };
  const hostBits = 32 - prefix;
  if (hostBits > MAX_HOST_BITS) return { ok: false, reason: `is too large; for 32-bit addresses, the mask must be >= ${32 - MAX_HOST_BITS}` };
  if (hostBits < MIN_HOST_BITS) return { ok: false, reason: `is too small; the mask must be <= ${32 - MIN_HOST_BITS} to leave room for Services` };
  const size = 2 ** hostBits;
  const base = ip - (ip % size);
  return { ok: true, range: Object.freeze({ cidr: `${formatIpv4(base)}/${prefix}`, base, size }) };
}

function mustParse(text: string): ServiceIpRange {
  const r = parseServiceIpRange(text);
  if (!r.ok) throw new Error(`built-in service IP range ${text} ${r.reason}`);
  return r.range;
}

/** kubeadm's default service subnet, which `kpki init` uses by default. */
export const DEFAULT_SERVICE_IP_RANGE: ServiceIpRange = mustParse("10.96.0.0/12");

/** The kubernetes Service's ClusterIP: the first host address of the range (pkg/controlplane
 *  ServiceIPRange: utilnet.GetIndexedIP(range, 1)). */
export function kubernetesServiceIp(range: ServiceIpRange): string {
  return formatIpv4(range.base + 1);
}

export function rangeContains(range: ServiceIpRange, ip: string): boolean {
  const n = parseIpv4(ip);
  return n !== undefined && n >= range.base && n < range.base + range.size;
}

/** A stable address from the Service's namespace/name (FNV-1a), so the same Service gets the same IP on
 *  every server. It skips the network address, the kubernetes Service's (network + 1) and the broadcast
 *  address. It is where the search for a free address starts (service-ip-reservations.ts allocateIp),
 *  which moves on past addresses already reserved. */
export function allocateClusterIp(range: ServiceIpRange, namespace: string, name: string): string {
  let h = 0x811c9dc5;
  for (const ch of `${namespace}/${name}`) h = Math.imul(h ^ (ch.codePointAt(0) ?? 0), 0x01000193) >>> 0;
  return formatIpv4(range.base + 2 + (h % (range.size - 3)));
}
