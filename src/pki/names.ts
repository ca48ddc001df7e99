// Distinguished names (RFC 5280 §4.1.2.4, RFC 4514) and subject alternative names.
// One attribute per RDN on output (what `openssl req -subj "/CN=a/O=x/O=y"` makes); multi-valued RDNs
// are flattened on input. Values are UTF8String except C (PrintableString, RFC 5280 appendix A) and
// emailAddress/DC (IA5String).
import { children, encodeDer, encodeOid, expect, node, parseDer, readOid, readString, stringPart, TAG } from "./der.ts";
import type { DerNode, Tlv } from "./der.ts";
import { PkiError } from "./errors.ts";
import { ATTRIBUTE_ALIASES, ATTRIBUTE_NAMES, ATTRIBUTE_OIDS } from "./oids.ts";
import type { DistinguishedName, NameAttribute, SubjectAltNames } from "./types.ts";
import { formatIp, parseIp, tryParseIp } from "./ip.ts";

// The IP parser moved to ip.ts (Go's net.ParseIP); re-exported for the modules that import it from here.
export { formatIp, parseIp, tryParseIp };

export function makeDn(attributes: readonly NameAttribute[]): DistinguishedName {
  return Object.freeze({ attributes: Object.freeze(attributes.map((a) => Object.freeze({ type: a.type, value: a.value }))) });
}

function canonicalType(raw: string): string {
  const t = raw.trim();
  if (ATTRIBUTE_OIDS[t] !== undefined) return t;
  const upper = t.toUpperCase();
  if (ATTRIBUTE_OIDS[upper] !== undefined) return upper;
  const alias = ATTRIBUTE_ALIASES[t.toLowerCase()];
  if (alias) return alias;
  if (/^\d+(\.\d+)+$/.test(t)) return ATTRIBUTE_NAMES[t] ?? t;
  throw new PkiError("bad-name", `unknown name attribute "${raw}"`);
}

function unescape(v: string): string {
  return v.replace(/\\([0-9a-fA-F]{2}|.)/g, (_, e: string) => (e.length === 2 ? String.fromCharCode(parseInt(e, 16)) : e));
}

/** Splits on `sep` where it is not backslash-escaped. */
function splitUnescaped(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "\\" && i + 1 < s.length) {
      cur += c + s[i + 1]!;
      i++;
    } else if (c === sep) {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** openssl "/CN=minjun/O=a/O=b" (certificate order) or RFC 4514 "CN=minjun,O=a" (most-specific
 *  first, so the attribute order is reversed to certificate order, as RFC 4514 §2.1 says). */
export function parseDn(text: string): DistinguishedName {
  const s = text.trim();
  if (s === "" || s === "/") return makeDn([]);
  const openssl = s.startsWith("/");
  const parts = openssl ? splitUnescaped(s.slice(1), "/") : splitUnescaped(s, ",");
  const attrs: NameAttribute[] = [];
  for (const part of parts) {
    for (const ava of splitUnescaped(part, "+")) {
      const eq = ava.indexOf("=");
      if (eq <= 0) throw new PkiError("bad-name", `cannot parse name "${text}": "${ava.trim()}" is not TYPE=value`);
      attrs.push({ type: canonicalType(ava.slice(0, eq)), value: unescape(ava.slice(eq + 1).trim()) });
    }
  }
  return makeDn(openssl ? attrs : attrs.reverse());
}

function escape4514(v: string): string {
  return v.replace(/([,+"\\<>;=])/g, "\\$1").replace(/^([ #])/, "\\$1").replace(/ $/, "\\ ");
}

/** openssl style "CN = minjun, O = dev-team" (certificate order), or RFC 4514 "CN=minjun,O=dev-team" (reversed). */
export function formatDn(dn: DistinguishedName, style: "openssl" | "rfc4514" = "openssl"): string {
  if (style === "rfc4514") return [...dn.attributes].reverse().map((a) => `${a.type}=${escape4514(a.value)}`).join(",");
  return dn.attributes.map((a) => `${a.type} = ${a.value.replace(/([,+\\])/g, "\\$1")}`).join(", ");
}

export const commonName = (dn: DistinguishedName): string | undefined => dn.attributes.find((a) => a.type === "CN")?.value;
export const organizations = (dn: DistinguishedName): string[] => dn.attributes.filter((a) => a.type === "O").map((a) => a.value);

function stringTag(type: string, value: string): number {
  if (type === "C" || type === "serialNumber") {
    if (!/^[A-Za-z0-9 '()+,\-./:=?]*$/.test(value)) throw new PkiError("bad-name", `${type} "${value}" is not a PrintableString`);
    return TAG.PRINTABLE_STRING;
  }
  if (type === "emailAddress" || type === "DC") return TAG.IA5_STRING;
  return TAG.UTF8_STRING;
}

/** The Name as a writer node (certificate.ts writes it straight into the TBS). */
export function dnNode(dn: DistinguishedName): DerNode {
  const rdns: DerNode[] = [];
  for (const a of dn.attributes) {
    const oid = ATTRIBUTE_OIDS[a.type] ?? (/^\d+(\.\d+)+$/.test(a.type) ? a.type : undefined);
    if (oid === undefined) throw new PkiError("bad-name", `unknown name attribute "${a.type}"`);
    rdns.push(node(TAG.SET, [node(TAG.SEQUENCE, [encodeOid(oid), stringPart(stringTag(a.type, a.value), a.value)])]));
  }
  return node(TAG.SEQUENCE, rdns);
}

export const encodeDn = (dn: DistinguishedName): Uint8Array => encodeDer(dnNode(dn));

export function decodeDn(t: Tlv): DistinguishedName {
  const attrs: NameAttribute[] = [];
  for (const rdn of children(expect(t, TAG.SEQUENCE, "Name"))) {
    for (const atv of children(expect(rdn, TAG.SET, "RelativeDistinguishedName"))) {
      const [type, value] = children(expect(atv, TAG.SEQUENCE, "AttributeTypeAndValue"));
      const oid = readOid(expect(type, TAG.OID, "attribute type"));
      if (!value) throw new PkiError("bad-der", "malformed DER: attribute without value");
      attrs.push({ type: ATTRIBUTE_NAMES[oid] ?? oid, value: readString(value) });
    }
  }
  return makeDn(attrs);
}

export const decodeDnDer = (der: Uint8Array): DistinguishedName => decodeDn(parseDer(der));

// ---- SANs and IP addresses ----------------------------------------------------------------

export function makeSans(s: Partial<SubjectAltNames>): SubjectAltNames {
  return Object.freeze({
    dns: Object.freeze([...(s.dns ?? [])]),
    ip: Object.freeze((s.ip ?? []).map((x) => formatIp(parseIp(x)))),
    email: Object.freeze([...(s.email ?? [])]),
    uri: Object.freeze([...(s.uri ?? [])]),
  });
}

export const emptySans = (): SubjectAltNames => makeSans({});
export const sanCount = (s: SubjectAltNames): number => s.dns.length + s.ip.length + s.email.length + s.uri.length;

/** cfssl "hosts": each entry is an IP (by Go's net.ParseIP, so "010.0.0.5" and "[::1]" are DNS names, and
 *  "::ffff:1.2.3.4" is the IP SAN 1.2.3.4), an email (has "@"), a URI (has "://") or a DNS name. */
export function sansFromHosts(hosts: readonly string[]): SubjectAltNames {
  const s = { dns: [] as string[], ip: [] as string[], email: [] as string[], uri: [] as string[] };
  for (const raw of hosts) {
    const h = raw.trim();
    if (h === "") continue;
    if (tryParseIp(h)) s.ip.push(h);
    else if (h.includes("://")) s.uri.push(h);
    else if (h.includes("@")) s.email.push(h);
    else s.dns.push(h);
  }
  return makeSans(s);
}
