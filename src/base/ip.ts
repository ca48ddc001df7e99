// IP addresses and CIDRs read exactly as Go's net.ParseIP / net.ParseCIDR read them — what cfssl, kubeadm,
// kube-apiserver and crypto/x509's VerifyHostname decide is an address. Since Go 1.22 both go through
// net/netip.ParseAddr: an IPv4 octet with a leading zero is refused (Go ≥ 1.17; "010" was octal to some
// parsers and decimal to others, CVE-2021-29923), as is an IPv6 zone ("fe80::1%eth0"), a hex group of
// more than four digits and brackets ("[::1]" is a URL host, not an address). One parser, used everywhere:
// it lives in base/ so that pki/ (certificate SANs) and registry/ (Service ClusterIPs,
// --service-cluster-ip-range) read addresses alike; pki/ip.ts re-exports it.

/** Go netip parseIPv4Fields: exactly four decimal fields, each "0" or without a leading zero, ≤ 255. */
const DEC_OCTET = /^(?:0|[1-9][0-9]{0,2})$/;
const HEX_GROUP = /^[0-9a-fA-F]+/;

function parseV4(s: string): Uint8Array | undefined {
  const fields = s.split(".");
  if (fields.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (const [i, f] of fields.entries()) {
    if (!DEC_OCTET.test(f) || Number(f) > 255) return undefined;
    out[i] = Number(f);
  }
  return out;
}

/** A port of Go's netip parseIPv6 (without zones: net.ParseIP refuses every address that has one). */
function parseV6(s: string): Uint8Array | undefined {
  if (s.includes("%")) return undefined;
  const ip = new Uint8Array(16);
  let ellipsis = -1; // byte offset of "::"
  let rest = s;
  if (rest.startsWith("::")) {
    ellipsis = 0;
    rest = rest.slice(2);
    if (rest === "") return ip;
  }
  let i = 0;
  while (i < 16) {
    const hex = HEX_GROUP.exec(rest)?.[0] ?? "";
    if (hex.length === 0 || hex.length > 4) return undefined;
    if (rest[hex.length] === ".") {
      // A trailing dotted quad replaces the last two groups ("::ffff:1.2.3.4", "64:ff9b::192.0.2.1").
      if ((ellipsis < 0 && i !== 12) || i + 4 > 16) return undefined;
      const v4 = parseV4(rest);
      if (!v4) return undefined;
      ip.set(v4, i);
      i += 4;
      rest = "";
      break;
    }
    const n = parseInt(hex, 16);
    ip[i] = n >> 8;
    ip[i + 1] = n & 0xff;
    i += 2;
    rest = rest.slice(hex.length);
    if (rest === "") break;
    if (rest[0] !== ":" || rest.length === 1) return undefined;
    rest = rest.slice(1);
    if (rest[0] === ":") {
      if (ellipsis >= 0) return undefined; // a second "::"
      ellipsis = i;
      rest = rest.slice(1);
      if (rest === "") break;
    }
  }
  if (rest !== "") return undefined;
  if (i < 16) {
    if (ellipsis < 0) return undefined; // too short
    const n = 16 - i;
    ip.copyWithin(ellipsis + n, ellipsis, i);
    ip.fill(0, ellipsis, ellipsis + n);
  } else if (ellipsis >= 0) return undefined; // "::" must stand for at least one group
  return ip;
}

/** Go's netip.ParseAddr without zones, keeping the family: 4 bytes for a dotted quad, 16 for any IPv6
 *  text (also ::ffff:a.b.c.d, which ParseCIDR treats as IPv6). The first '.', ':' or '%' decides. */
export function parseAddr(s: string): Uint8Array | undefined {
  const first = /[.:%]/.exec(s)?.[0];
  if (first === ".") return parseV4(s);
  if (first === ":") return parseV6(s);
  return undefined;
}

const isV4Mapped = (b: Uint8Array): boolean => b.length === 16 && b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;

/** Go's IP.To4 where it applies: an IPv4-mapped IPv6 address as its 4 bytes, anything else unchanged. */
function unmap(b: Uint8Array): Uint8Array {
  return isV4Mapped(b) ? b.slice(12) : b;
}

/** net.ParseIP, as the bytes that end up in a certificate: crypto/x509 writes an IPv4(-mapped) address
 *  as 4 bytes (marshalSANs: ip.To4()), so "::ffff:1.2.3.4" and "1.2.3.4" are both [1, 2, 3, 4]. */
export function tryParseIp(s: string): Uint8Array | undefined {
  const b = parseAddr(s);
  return b && unmap(b);
}

export interface Cidr {
  /** The address before the "/" (Go's first result): 4 bytes for IPv4, 16 for IPv6. */
  readonly ip: Uint8Array;
  /** Host bits cleared (Go's IPNet.IP), the same length as `ip`. */
  readonly network: Uint8Array;
  /** The prefix length. */
  readonly bits: number;
  /** 4 for a dotted quad (prefix ≤ 32); 6 for IPv6 (prefix ≤ 128), including ::ffff:a.b.c.d/n as Go has it. */
  readonly family: 4 | 6;
}

/** Go's net.ParseCIDR: ADDR/PREFIX with ADDR as netip.ParseAddr reads it (no zone) and PREFIX decimal
 *  digits only (Go's dtoi: leading zeros allowed, no sign or space) within 0..32 or 0..128. */
export function parseCidr(s: string): Cidr | undefined {
  const slash = s.indexOf("/");
  if (slash < 0) return undefined;
  const ip = parseAddr(s.slice(0, slash));
  const prefix = s.slice(slash + 1);
  if (!ip || !/^[0-9]+$/.test(prefix)) return undefined;
  const bits = Number(prefix);
  if (bits > ip.length * 8) return undefined;
  const network = ip.map((b, i) => b & (0xff00 >> Math.min(8, Math.max(0, bits - 8 * i))));
  return Object.freeze({ ip, network, bits, family: ip.length === 4 ? 4 : 6 });
}

/** Go's IPNet.networkNumberAndMask: an IPv4-mapped network is its IPv4 network with the last 32 bits. */
function v4View(c: Cidr): { network: Uint8Array; bits: number } {
  return isV4Mapped(c.network) ? { network: c.network.slice(12), bits: c.bits - 96 } : c;
}

/** Go's IPNet.Contains: the address (To4 where it applies) has the network's family and prefix. */
export function cidrContains(c: Cidr, ip: Uint8Array): boolean {
  const { network, bits } = v4View(c);
  const x = unmap(ip);
  if (x.length !== network.length) return false;
  for (let bit = 0; bit < bits; bit++) {
    const mask = 0x80 >> bit % 8;
    if (((x[bit >> 3] ?? 0) & mask) !== ((network[bit >> 3] ?? 0) & mask)) return false;
  }
  return true;
}

/** Go's IPNet.String: network/prefix ("10.32.0.5/24" → "10.32.0.0/24", "2001:db8::1/64" → "2001:db8::/64"). */
export function formatCidr(c: Cidr): string {
  const { network, bits } = v4View(c);
  return `${formatIp(network)}/${bits}`;
}

/** `ip` + `offset` (a non-negative integer below 2^53), carried byte by byte from the last: Go's
 *  utilnet.AddIPOffset / GetIndexedIP(network, n), e.g. a service range's first address. */
export function indexedIp(ip: Uint8Array, offset: number): Uint8Array {
  const b = Uint8Array.from(ip);
  let carry = offset;
  for (let i = b.length - 1; i >= 0 && carry > 0; i--) {
    const sum = b[i]! + (carry % 256);
    b[i] = sum % 256;
    carry = Math.floor(carry / 256) + Math.floor(sum / 256);
  }
  return b;
}

/** Dotted quad, or RFC 5952 canonical IPv6 (lowercase, longest zero run ≥ 2 compressed). */
export function formatIp(b: Uint8Array): string {
  if (b.length === 4) return Array.from(b).join(".");
  // A wrong length is a caller bug (every parser here returns 4 or 16 bytes), not bad input.
  if (b.length !== 16) throw new RangeError(`IP address of ${b.length} bytes`);
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((b[i]! << 8) | b[i + 1]!);
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`;
}
