// Chain verification with Go crypto/x509 semantics and error wording (kubectl and the apiserver are Go,
// so users see these strings elsewhere too): leaf validity → hostname → chain building → EKU.
import { equalBytes } from "../base/index.ts";
import { verifySignedBy } from "./certificate.ts";
import { formatIp, sanCount, tryParseIp } from "./names.ts";
import { EKU } from "./oids.ts";
import type { Certificate, Purpose, VerifyResult } from "./types.ts";

const MAX_DEPTH = 8;
const rfc3339 = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, "Z");

/** Go's "x509: certificate has expired or is not yet valid: …" detail, or undefined when valid at `at`. */
export function validityError(c: Certificate, at: Date): string | undefined {
  const prefix = "x509: certificate has expired or is not yet valid: current time";
  if (at.getTime() > c.notAfter.getTime()) return `${prefix} ${rfc3339(at)} is after ${rfc3339(c.notAfter)}`;
  if (at.getTime() < c.notBefore.getTime()) return `${prefix} ${rfc3339(at)} is before ${rfc3339(c.notBefore)}`;
  return undefined;
}

/** RFC 6125 §6.4.3: a wildcard only as the whole left-most label of the presented identifier (the SAN),
 *  matching exactly one label. The reference identifier (the host asked for) is a name, never a pattern:
 *  "*.example.com" matches no SAN, not even "*.example.com" (Go's VerifyHostname would match that one
 *  exactly; a wildcard request is no host a client connects to). */
function matchesDnsName(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase().replace(/\.$/, "");
  const h = host.toLowerCase().replace(/\.$/, "");
  if (h.includes("*")) return false;
  if (p === h) return true;
  if (!p.startsWith("*.") || p.slice(2).includes("*")) return false;
  const dot = h.indexOf(".");
  return dot > 0 && h.slice(dot + 1) === p.slice(2) && p.slice(2).includes(".");
}

export function matchesHost(cert: Certificate, host: string): boolean {
  return hostError(cert, host) === undefined;
}

/** Go's VerifyHostname: an IP host may be written in brackets ("[::1]"); what is inside is an address only
 *  by net.ParseIP (tryParseIp), so since Go 1.17 "010.0.0.5" is a DNS name (CVE-2021-29923), which
 *  matches no IP SAN. Go's error names the host without its brackets. */
function hostIp(host: string): { ip: string; bare: string } | undefined {
  const bare = host.length >= 3 && host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  const b = tryParseIp(bare);
  return b && { ip: formatIp(b), bare };
}

/** net.IP.String of a SAN: an IPv4-mapped 16-byte SAN reads (and compares, as ip.Equal does) as IPv4. */
const sanIp = (s: string): string => {
  const b = tryParseIp(s);
  return b ? formatIp(b) : s;
};

function hostError(cert: Certificate, host: string): string | undefined {
  const asIp = hostIp(host);
  if (asIp) {
    const sans = cert.sans.ip.map(sanIp);
    if (sans.includes(asIp.ip)) return undefined;
    if (sans.length === 0) return `x509: cannot validate certificate for ${asIp.bare} because it doesn't contain any IP SANs`;
    return `x509: certificate is valid for ${sans.join(", ")}, not ${asIp.bare}`;
  }
  if (cert.sans.dns.some((d) => matchesDnsName(d, host))) return undefined;
  if (sanCount(cert.sans) === 0) return "x509: certificate relies on legacy Common Name field, use SANs instead";
  if (cert.sans.dns.length === 0) return `x509: certificate is not valid for any names, but wanted to match ${host}`;
  return `x509: certificate is valid for ${cert.sans.dns.join(", ")}, not ${host}`;
}

const PURPOSE_EKU: Readonly<Record<Purpose, string | undefined>> = { server: EKU.serverAuth, client: EKU.clientAuth, any: undefined };

/** Go: every certificate in the chain that carries EKU must allow the purpose (or anyExtendedKeyUsage). */
function ekuAllows(chain: readonly Certificate[], purpose: Purpose): boolean {
  const want = PURPOSE_EKU[purpose];
  if (want === undefined) return true;
  return chain.every((c) => c.extKeyUsage === undefined || c.extKeyUsage.includes(want) || c.extKeyUsage.includes(EKU.any));
}

function issues(parent: Certificate, child: Certificate): boolean {
  if (!equalBytes(parent.subjectDer, child.issuerDer)) return false;
  if (parent.subjectKeyId && child.authorityKeyId && !equalBytes(parent.subjectKeyId, child.authorityKeyId)) return false;
  return verifySignedBy(child, parent);
}

/** Go's isValid for an issuer: CA:TRUE, keyCertSign when KU is present, path length. */
function issuerError(ca: Certificate, below: number, at: Date): string | undefined {
  const v = validityError(ca, at);
  if (v) return v;
  if (!ca.basicConstraints?.ca || (ca.keyUsage !== undefined && !ca.keyUsage.includes("keyCertSign"))) {
    return "x509: certificate signed by unknown authority (possibly because of \"x509: invalid signature: parent certificate cannot sign this kind of certificate\")";
  }
  // `below` = number of intermediates (non-leaf CAs) beneath this CA in the chain.
  if (ca.basicConstraints.pathLen !== undefined && below > ca.basicConstraints.pathLen) {
    return "x509: too many intermediates for path length constraint";
  }
  return undefined;
}

interface Search {
  roots: readonly Certificate[];
  intermediates: readonly Certificate[];
  at: Date;
  lastError?: string;
}

function build(chain: Certificate[], s: Search): Certificate[] | undefined {
  const cur = chain[chain.length - 1]!;
  if (chain.length > MAX_DEPTH) return undefined;
  const below = chain.length - 1; // certs under the candidate issuer, minus the leaf
  for (const root of s.roots) {
    if (!issues(root, cur)) continue;
    const err = issuerError(root, below, s.at);
    if (!err) return [...chain, root];
    s.lastError = err;
  }
  for (const mid of s.intermediates) {
    if (chain.some((c) => equalBytes(c.der, mid.der)) || !issues(mid, cur)) continue;
    const err = issuerError(mid, below, s.at);
    if (err) {
      s.lastError = err;
      continue;
    }
    const found = build([...chain, mid], s);
    if (found) return found;
  }
  return undefined;
}

export function verifyChain(
  leaf: Certificate,
  opts: { roots: readonly Certificate[]; intermediates?: readonly Certificate[]; purpose: Purpose; at: Date; host?: string },
): VerifyResult {
  const fail = (reason: string): VerifyResult => Object.freeze({ ok: false, reason });
  const v = validityError(leaf, opts.at);
  if (v) return fail(v);
  if (opts.host !== undefined) {
    const h = hostError(leaf, opts.host);
    if (h) return fail(h);
  }
  let chain: Certificate[] | undefined;
  if (opts.roots.some((r) => equalBytes(r.der, leaf.der))) chain = [leaf];
  else {
    const s: Search = { roots: opts.roots, intermediates: opts.intermediates ?? [], at: opts.at };
    chain = build([leaf], s);
    if (!chain) return fail(s.lastError ?? "x509: certificate signed by unknown authority");
  }
  if (!ekuAllows(chain, opts.purpose)) return fail("x509: certificate specifies an incompatible key usage");
  return Object.freeze({ ok: true, chain: Object.freeze(chain) });
}
