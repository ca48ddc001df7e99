// cfssl's csr.json (cfssl/csr.CertificateRequest): CN, hosts, key {algo, size}, names [{C, ST, L, O,
// OU}], optional CA {expiry, pathlen, pathlenzero}. Several `names` entries give several O (etc.).
import type { DistinguishedName, KeyAlgorithm, NameAttribute } from "../pki/index.ts";
import { parseDuration } from "../base/index.ts";
import { asObj, deepFreeze, fieldError, goFields, optBool, optNum, optStr, optStrList, parseJsonText } from "./errors.ts";

export interface CsrJson {
  readonly subject: DistinguishedName;
  readonly commonName: string;
  readonly hosts: readonly string[];
  readonly key: KeyAlgorithm;
  /** The "CA" section of an -initca request. */
  readonly ca?: { readonly expiryMs?: number; readonly pathLen?: number };
}

// Go's pkix.Name.ToRDNSequence order, which cfssl's subjects follow: C, ST, L, O, OU, then CN.
const NAME_KEYS = [
  ["C", "C"],
  ["ST", "ST"],
  ["L", "L"],
  ["O", "O"],
  ["OU", "OU"],
] as const;

/** cfssl's defaults (csr.NewKeyRequest): ECDSA P-256 when "key" is absent. */
export function parseCfsslKey(v: unknown, source: string): KeyAlgorithm {
  if (v === undefined || v === null) return { kind: "ecdsa", curve: "P-256" };
  const k = goFields(asObj(v, source, "key"), ["algo", "size"]);
  const algo = optStr(k, "algo", source, "key.") ?? "ecdsa";
  const size = optNum(k, "size", source, "key.");
  if (algo === "rsa") {
    const bits = size ?? 2048;
    if (![2048, 3072, 4096].includes(bits)) throw fieldError(source, "key.size", `${bits} is not a valid RSA size (2048, 3072, 4096)`);
    return { kind: "rsa", bits };
  }
  if (algo === "ecdsa") {
    const curves: Record<number, "P-256" | "P-384" | "P-521"> = { 256: "P-256", 384: "P-384", 521: "P-521" };
    const curve = curves[size ?? 256];
    if (!curve) throw fieldError(source, "key.size", `${size} is not a valid ECDSA size (256, 384, 521)`);
    return { kind: "ecdsa", curve };
  }
  if (algo === "ed25519") return { kind: "ed25519" };
  throw fieldError(source, "key.algo", `unknown algorithm "${algo}" (rsa, ecdsa, ed25519)`);
}

function parseNames(v: unknown, source: string): NameAttribute[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw fieldError(source, "names", "must be a list of objects");
  const entries = v.map((e, i) => goFields(asObj(e, source, `names[${i}]`), NAME_KEYS.map(([k]) => k)));
  const out: NameAttribute[] = [];
  for (const [key, type] of NAME_KEYS) {
    entries.forEach((e, i) => {
      const value = optStr(e, key, source, `names[${i}].`);
      if (value) out.push({ type, value });
    });
  }
  return out;
}

export function csrJsonFromObject(v: unknown, source: string): CsrJson {
  // cfssl's json tags: CN, hosts, key, names, ca (matched case-insensitively, as Go does).
  const o = goFields(asObj(v, source, "(top level)"), ["CN", "hosts", "key", "names", "CA"]);
  const cn = optStr(o, "CN", source, "") ?? "";
  const hosts = optStrList(o, "hosts", source, "");
  const attrs = parseNames(o["names"], source);
  if (cn !== "") attrs.push({ type: "CN", value: cn });
  if (attrs.length === 0 && hosts.length === 0) throw fieldError(source, "CN", "missing (and no names or hosts)");
  let ca: CsrJson["ca"];
  if (o["CA"] !== undefined && o["CA"] !== null) {
    const c = goFields(asObj(o["CA"], source, "CA"), ["expiry", "pathlen", "pathlenzero"]);
    const expiry = optStr(c, "expiry", source, "CA.");
    const pathLen = optNum(c, "pathlen", source, "CA.");
    const zero = optBool(c, "pathlenzero", source, "CA.");
    ca = {
      ...(expiry ? { expiryMs: parseExpiry(expiry, source, "CA.expiry") } : {}),
      // cfssl initca: pathlen 0 means "no limit" unless pathlenzero is set (then pathlen:0).
      ...(pathLen !== undefined && pathLen > 0 ? { pathLen } : zero === true ? { pathLen: 0 } : {}),
    };
  }
  return deepFreeze({ subject: { attributes: attrs }, commonName: cn, hosts, key: parseCfsslKey(o["key"], source), ...(ca ? { ca } : {}) });
}

export function parseCsrJson(text: string, source: string): CsrJson {
  return csrJsonFromObject(parseJsonText(text, source), source);
}

export function parseExpiry(text: string, source: string, field: string): number {
  try {
    return parseDuration(text);
  } catch {
    throw fieldError(source, field, `cannot parse "${text}" as a duration (e.g. "8760h")`);
  }
}
