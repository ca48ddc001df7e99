import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cidrContains, formatCidr, formatIp, indexedIp, parseAddr, parseCidr, tryParseIp } from "./ip.ts";

// Go's net.ParseIP (Go ≥ 1.22, net/netip): input → net.IP.String(), or undefined for nil.
const IP_CASES: [string, string | undefined][] = [
  ["0.0.0.0", "0.0.0.0"], ["10.0.0.1", "10.0.0.1"], ["255.255.255.255", "255.255.255.255"], ["192.168.10.100", "192.168.10.100"],
  ["::", "::"], ["::1", "::1"], ["1::", "1::"], ["2001:DB8:0:0:0:0:0:1", "2001:db8::1"], ["2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1"],
  ["fe80::1:0:0:1", "fe80::1:0:0:1"], ["1:0:2:0:3:0:4:0", "1:0:2:0:3:0:4:0"], ["0001:0002::", "1:2::"], ["1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"],
  ["1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"], ["::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"], ["1:0:0:2::3", "1:0:0:2::3"],
  // IPv4-mapped is IPv4 (To4; crypto/x509 writes it as a 4-byte SAN); IPv4-compatible and NAT64 stay IPv6.
  ["::ffff:10.0.0.1", "10.0.0.1"], ["::FFFF:1.2.3.4", "1.2.3.4"], ["0:0:0:0:0:ffff:102:304", "1.2.3.4"], ["::ffff:0.0.0.0", "0.0.0.0"],
  ["::1.2.3.4", "::102:304"], ["1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"], ["64:ff9b::192.0.2.33", "64:ff9b::c000:221"],
  // Leading zeros (Go ≥ 1.17), bad octets.
  ["010.0.0.5", undefined], ["10.0.0.05", undefined], ["10.00.0.5", undefined], ["00.0.0.0", undefined], ["1.2.3.004", undefined],
  ["256.0.0.1", undefined], ["1.2.3.256", undefined], ["1000.0.0.1", undefined], ["1.2.3", undefined], ["1.2.3.4.5", undefined],
  ["1..2.3", undefined], [".1.2.3", undefined], ["1.2.3.", undefined], ["1.2.3.-4", undefined], ["+1.2.3.4", undefined],
  ["0x1.2.3.4", undefined], ["1e2.0.0.1", undefined], ["1.2.3.4:80", undefined], [" 1.2.3.4", undefined], ["1.2.3.4 ", undefined],
  ["1.2.3.4\n", undefined], ["1.2.3.4/32", undefined], ["4294967295", undefined], ["0", undefined],
  // Embedded IPv4 in the wrong place or malformed.
  ["::ffff:010.0.0.5", undefined], ["::ffff:1.2.3", undefined], ["::ffff:256.1.1.1", undefined], ["1:2:3:4:5:1.2.3.4", undefined],
  ["1:2:3:4:5:6:7:1.2.3.4", undefined], ["1:2:3:4:5:6:7::1.2.3.4", undefined], ["1.2.3.4::", undefined], ["::1.2.3.4:5", undefined],
  ["::ab.1.2.3", undefined],
  // Zones, brackets, malformed groups.
  ["fe80::1%eth0", undefined], ["fe80::1%", undefined], ["::1%1", undefined], ["%eth0", undefined], ["[::1]", undefined], ["[10.0.0.1]", undefined],
  ["1::2::3", undefined], ["12345::", undefined], ["1:2:3:4:5:6:7:8:9", undefined], ["1:2:3:4:5:6:7", undefined], [":1::", undefined],
  ["1::2:", undefined], [":::", undefined], ["1:::2", undefined], ["::g", undefined], ["1:2:3:4:5:6:7:8::", undefined],
  ["::1:2:3:4:5:6:7:8", undefined], ["1:2:3:4::5:6:7:8", undefined], [":", undefined], ["1:", undefined],
  ["", undefined], ["host.example", undefined], ["localhost", undefined], ["٣.٣.٣.٣", undefined], ["00001::", undefined],
];
/** Go 1.17–1.21 (cfssl 1.2 here is go1.19) read these as addresses; netip (Go ≥ 1.22, today's kube) refuses them. */
const GO122_ONLY = new Set(["00001::"]);

test("tryParseIp: Go's net.ParseIP, table", () => {
  for (const [input, want] of IP_CASES) {
    const b = tryParseIp(input);
    assert.equal(b && formatIp(b), want, JSON.stringify(input));
  }
});

test("parseAddr keeps the family: ::ffff:a.b.c.d is 16 bytes (ParseCIDR's IPv6), tryParseIp unmaps it", () => {
  assert.equal(parseAddr("::ffff:1.2.3.4")?.length, 16);
  assert.equal(tryParseIp("::ffff:1.2.3.4")?.length, 4);
  assert.equal(parseAddr("1.2.3.4")?.length, 4);
  assert.equal(parseAddr("::1.2.3.4")?.length, 16);
});

/** The SANs of a CSR as openssl prints them: "DNS:x" and "IP Address:y" (IPv6 as eight hex groups). */
function opensslSans(csrPem: string): { dns: string[]; ip: string[] } {
  const r = spawnSync("openssl", ["req", "-noout", "-text"], { input: csrPem, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const line = /X509v3 Subject Alternative Name:\s*\n\s*(.*)/.exec(r.stdout)?.[1] ?? "";
  const items = line.split(", ");
  const ip = items.filter((x) => x.startsWith("IP Address:")).map((x) => x.slice(11));
  return { dns: items.filter((x) => x.startsWith("DNS:")).map((x) => x.slice(4)), ip };
}

// base/ may import nothing of kpki, so the CSR is read by openssl rather than by pki's parser.
test("tryParseIp agrees with cfssl's net.ParseIP: IP SANs vs DNS SANs of a cfssl genkey CSR", () => {
  const hosts = IP_CASES.map(([h]) => h).filter((h) => h !== "" && /^[\x21-\x7e]+$/.test(h) && !GO122_ONLY.has(h));
  const r = spawnSync("cfssl", ["genkey", "-"], { input: JSON.stringify({ CN: "ip-table", hosts, key: { algo: "ecdsa", size: 256 } }), encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const sans = opensslSans((JSON.parse(r.stdout) as { csr: string }).csr);
  const ours = hosts.map((h) => tryParseIp(h));
  // openssl prints IPv6 uncompressed and uppercase ("2001:DB8:0:0:0:0:0:1"); canonicalize before comparing.
  assert.deepEqual(sans.ip.map((t) => { const b = tryParseIp(t); return b ? formatIp(b) : t; }), ours.flatMap((b) => (b ? [formatIp(b)] : [])));
  assert.deepEqual(sans.dns, hosts.filter((_, i) => ours[i] === undefined));
});

// Go's net.ParseCIDR: input → IPNet.String(), family and prefix; or undefined for an error.
const CIDR_CASES: [string, { net: string; family: 4 | 6; bits: number } | undefined][] = [
  ["10.96.0.0/12", { net: "10.96.0.0/12", family: 4, bits: 12 }],
  ["10.32.0.5/24", { net: "10.32.0.0/24", family: 4, bits: 24 }],
  ["10.97.255.1/12", { net: "10.96.0.0/12", family: 4, bits: 12 }],
  ["0.0.0.0/0", { net: "0.0.0.0/0", family: 4, bits: 0 }],
  ["1.2.3.4/32", { net: "1.2.3.4/32", family: 4, bits: 32 }],
  ["10.0.0.0/024", { net: "10.0.0.0/24", family: 4, bits: 24 }], // Go's dtoi takes leading zeros in the prefix
  ["2001:db8::1/64", { net: "2001:db8::/64", family: 6, bits: 64 }],
  ["2001:db8:ffff::/33", { net: "2001:db8:8000::/33", family: 6, bits: 33 }],
  ["::/0", { net: "::/0", family: 6, bits: 0 }],
  ["::1/128", { net: "::1/128", family: 6, bits: 128 }],
  ["fd00:10:96::/108", { net: "fd00:10:96::/108", family: 6, bits: 108 }],
  // IPv4-mapped text is an IPv6 CIDR (prefix up to 128); its String() is IPv4 when the network stays mapped.
  ["::ffff:10.0.0.1/120", { net: "10.0.0.0/24", family: 6, bits: 120 }],
  ["::ffff:1.2.3.4/24", { net: "::/24", family: 6, bits: 24 }],
  ["::ffff:1.2.3.4/32", { net: "::/32", family: 6, bits: 32 }],
  ["10.0.0.0", undefined], ["10.0.0.0/33", undefined], ["10.0.0.0/-1", undefined], ["10.0.0.0/+8", undefined], ["10.0.0.0/", undefined],
  ["10.0.0.0/8/8", undefined], ["010.0.0.0/8", undefined], ["10.0.0/8", undefined], ["::/129", undefined], ["fe80::%eth0/64", undefined],
  ["10.0.0.0/ 8", undefined], ["10.0.0.0/8 ", undefined], ["/8", undefined], ["10.0.0.0/0x8", undefined], ["10.0.0.0/1e1", undefined],
  ["[::1]/128", undefined], ["10.0.0.0/٨", undefined], ["", undefined],
];

test("parseCidr: Go's net.ParseCIDR, table", () => {
  for (const [input, want] of CIDR_CASES) {
    const c = parseCidr(input);
    assert.deepEqual(c && { net: formatCidr(c), family: c.family, bits: c.bits }, want, JSON.stringify(input));
    if (c) assert.equal(c.ip.length, c.network.length, input);
  }
  assert.deepEqual(parseCidr("10.32.0.5/24")?.ip, Uint8Array.from([10, 32, 0, 5]));
});

test("cidrContains: Go's IPNet.Contains (To4 on both sides)", () => {
  const cases: [string, string, boolean][] = [
    ["10.96.0.0/12", "10.96.0.1", true], ["10.96.0.0/12", "10.111.255.255", true], ["10.96.0.0/12", "10.112.0.0", false],
    ["10.96.0.0/12", "10.95.255.255", false], ["10.0.0.0/8", "::ffff:10.1.2.3", true], ["::ffff:10.0.0.0/120", "10.0.0.5", true],
    ["::ffff:10.0.0.0/120", "10.0.1.5", false], ["0.0.0.0/0", "::1", false], ["::/0", "10.0.0.1", false], ["::/0", "::1", true],
    ["2001:db8::/32", "2001:db8:ffff::1", true], ["2001:db8::/32", "2001:db9::1", false], ["1.2.3.4/32", "1.2.3.4", true],
  ];
  for (const [cidr, ip, want] of cases) {
    const c = parseCidr(cidr);
    const b = tryParseIp(ip);
    assert.ok(c && b, `${cidr} ${ip}`);
    assert.equal(cidrContains(c, b), want, `${cidr} ∋ ${ip}`);
  }
});

test("indexedIp: Go's GetIndexedIP, carried across bytes, IPv4 and IPv6", () => {
  const at = (ip: string, n: number): string => formatIp(indexedIp(parseIp4or6(ip), n));
  assert.equal(at("10.96.0.0", 1), "10.96.0.1");
  assert.equal(at("10.96.0.255", 1), "10.96.1.0");
  assert.equal(at("10.95.255.255", 1), "10.96.0.0");
  assert.equal(at("10.96.0.0", 0x0fffff), "10.111.255.255");
  assert.equal(at("fd00:10:96::", 1), "fd00:10:96::1");
  assert.equal(at("fd00:10:96::ffff", 1), "fd00:10:96::1:0");
});

function parseIp4or6(s: string): Uint8Array {
  const b = tryParseIp(s);
  assert.ok(b, s);
  return b;
}
