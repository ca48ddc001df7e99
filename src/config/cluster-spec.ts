// The cluster spec of `kpki init --config cluster.yaml`. Every field has a default, so an empty
// file (or no file) gives the Kubernetes-the-Hard-Way machines: one control plane "server" and the
// two workers node-0 and node-1 (addresses from the study's lab, 192.168.10.100-102).
import type { KeyAlgorithm } from "../pki/index.ts";
import { parseCidr, tryParseIp } from "../pki/index.ts";
import { DAY, parseDuration } from "../base/index.ts";
import { asObj, deepFreeze, fieldError, isObj, optStr, optStrList, parseYamlText, type Obj } from "./errors.ts";

export interface NodeSpec {
  readonly name: string;
  readonly ips: readonly string[];
}

export interface ClusterSpec {
  readonly clusterName: string;
  readonly controlPlane: readonly NodeSpec[];
  readonly workers: readonly NodeSpec[];
  readonly apiServerSANs: readonly string[];
  readonly serviceCIDR: string;
  readonly dnsDomain: string;
  /** Default ECDSA P-256 (kubeadm's default is RSA-2048; P-256 is ~50× faster to generate and
   *  accepted by every Kubernetes component; set `keyAlgorithm: rsa-2048` for kubeadm's choice). */
  readonly keyAlgorithm: KeyAlgorithm;
  readonly caValidityMs: number;
  readonly leafValidityMs: number;
}

export const DEFAULT_CLUSTER: ClusterSpec = deepFreeze({
  clusterName: "kubernetes",
  controlPlane: [{ name: "server", ips: ["192.168.10.100"] }],
  workers: [
    { name: "node-0", ips: ["192.168.10.101"] },
    { name: "node-1", ips: ["192.168.10.102"] },
  ],
  apiServerSANs: [],
  serviceCIDR: "10.96.0.0/12",
  dnsDomain: "cluster.local",
  keyAlgorithm: { kind: "ecdsa", curve: "P-256" },
  caValidityMs: 3650 * DAY, // kubeadm: CA 10 years
  leafValidityMs: 365 * DAY, // kubeadm: leaves 1 year
});

const KEY_ALGORITHMS: Record<string, KeyAlgorithm> = {
  "ecdsa-p256": { kind: "ecdsa", curve: "P-256" },
  "ecdsa-p384": { kind: "ecdsa", curve: "P-384" },
  "ecdsa-p521": { kind: "ecdsa", curve: "P-521" },
  "rsa-2048": { kind: "rsa", bits: 2048 },
  "rsa-3072": { kind: "rsa", bits: 3072 },
  "rsa-4096": { kind: "rsa", bits: 4096 },
  ed25519: { kind: "ed25519" },
};

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function isIp(s: string): boolean {
  return tryParseIp(s) !== undefined;
}

function parseNodes(v: unknown, source: string, field: string): NodeSpec[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw fieldError(source, field, "must be a list of {name, ips}");
  return v.map((n, i) => {
    const path = `${field}[${i}]`;
    const o = asObj(n, source, path);
    const name = optStr(o, "name", source, `${path}.`);
    if (!name || !name.split(".").every((l) => DNS_LABEL.test(l))) {
      throw fieldError(source, `${path}.name`, `"${name ?? ""}" is not a valid node name (RFC 1123 subdomain)`);
    }
    const ips = optStrList(o, "ips", source, `${path}.`);
    ips.forEach((ip, j) => {
      if (!isIp(ip)) throw fieldError(source, `${path}.ips[${j}]`, `"${ip}" is not an IP address`);
    });
    return { name, ips };
  });
}

function parseValidity(o: Obj, source: string): { caValidityMs: number; leafValidityMs: number } {
  const v = o["validity"];
  if (v === undefined || v === null) return { caValidityMs: DEFAULT_CLUSTER.caValidityMs, leafValidityMs: DEFAULT_CLUSTER.leafValidityMs };
  if (!isObj(v)) throw fieldError(source, "validity", "must be an object {ca, leaf}");
  const dur = (k: "ca" | "leaf", d: number): number => {
    const s = optStr(v, k, source, "validity.");
    if (s === undefined) return d;
    try {
      return parseDuration(s);
    } catch {
      throw fieldError(source, `validity.${k}`, `cannot parse "${s}" as a duration (e.g. "8760h", "10y")`);
    }
  };
  return { caValidityMs: dur("ca", DEFAULT_CLUSTER.caValidityMs), leafValidityMs: dur("leaf", DEFAULT_CLUSTER.leafValidityMs) };
}

export function clusterSpecFromObject(v: unknown, source: string): ClusterSpec {
  const o = v === null || v === undefined ? {} : asObj(v, source, "(top level)");
  const known = ["clusterName", "controlPlane", "workers", "apiServerSANs", "serviceCIDR", "dnsDomain", "keyAlgorithm", "validity"];
  for (const k of Object.keys(o)) if (!known.includes(k)) throw fieldError(source, k, `unknown field (known: ${known.join(", ")})`);
  const alg = optStr(o, "keyAlgorithm", source, "");
  const keyAlgorithm = alg === undefined ? DEFAULT_CLUSTER.keyAlgorithm : KEY_ALGORITHMS[alg.toLowerCase()];
  if (!keyAlgorithm) throw fieldError(source, "keyAlgorithm", `unknown "${alg}" (${Object.keys(KEY_ALGORITHMS).join(", ")})`);
  const serviceCIDR = optStr(o, "serviceCIDR", source, "") ?? DEFAULT_CLUSTER.serviceCIDR;
  const bad = serviceCidrProblem(serviceCIDR);
  if (bad !== undefined) throw fieldError(source, "serviceCIDR", `"${serviceCIDR}"${bad}`);
  const controlPlane = parseNodes(o["controlPlane"], source, "controlPlane") ?? DEFAULT_CLUSTER.controlPlane;
  if (controlPlane.length === 0) throw fieldError(source, "controlPlane", "needs at least one node");
  const workers = parseNodes(o["workers"], source, "workers") ?? (o["controlPlane"] === undefined ? DEFAULT_CLUSTER.workers : []);
  const names = [...controlPlane, ...workers].map((n) => n.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw fieldError(source, "workers", `node name "${dup}" appears twice`);
  return deepFreeze({
    clusterName: optStr(o, "clusterName", source, "") ?? DEFAULT_CLUSTER.clusterName,
    controlPlane,
    workers,
    apiServerSANs: optStrList(o, "apiServerSANs", source, ""),
    serviceCIDR,
    dnsDomain: optStr(o, "dnsDomain", source, "") ?? DEFAULT_CLUSTER.dnsDomain,
    keyAlgorithm,
    ...parseValidity(o, source),
  });
}

export async function parseClusterSpec(text: string, source: string): Promise<ClusterSpec> {
  return clusterSpecFromObject(await parseYamlText(text, source), source);
}

/** Host bits of a service range, per family: kube-apiserver's maxCIDRBits (20) and room for the
 *  kubernetes Service plus one more (kubeadm's MinimumAddressesInServiceSubnet is 10; 2 bits is ours). */
const SERVICE_PREFIX: Readonly<Record<4 | 6, { min: number; max: number }>> = { 4: { min: 12, max: 30 }, 6: { min: 108, max: 126 } };

/** Why `text` is not a service subnet, worded to follow the quoted value (" is …" or ": …"), or
 *  undefined. kubeadm's networking.serviceSubnet: one CIDR of either family, or two (dual-stack) of
 *  different families, the first being the primary family (ValidateIPNetFromString +
 *  ValidateServiceSubnetSize); each parsed as Go's net.ParseCIDR. `kpki serve
 *  --service-cluster-ip-range` (registry/service-ip.ts) applies the same bounds in kube-apiserver's words. */
export function serviceCidrProblem(text: string): string | undefined {
  const parts = text.split(",");
  if (parts.length > 2) return " must be one (IPv4 or IPv6) CIDR, or two CIDRs of different families for dual-stack";
  const families: (4 | 6)[] = [];
  for (const part of parts) {
    const cidr = parseCidr(part);
    if (cidr === undefined) return parts.length > 1 ? `: "${part}" is not an IPv4 or IPv6 CIDR` : " is not an IPv4 or IPv6 CIDR";
    // Go calls ::ffff:a.b.c.d/n IPv6 while Kubernetes' netutils calls it IPv4 (To4 succeeds): refuse the ambiguity.
    if (cidr.family === 6 && cidr.ip.subarray(0, 12).every((b, i) => b === (i >= 10 ? 0xff : 0))) {
      return `: "${part}" is an IPv4-mapped IPv6 range, which Go and Kubernetes read as different families; write it as IPv4`;
    }
    const { min, max } = SERVICE_PREFIX[cidr.family];
    if (cidr.bits < min || cidr.bits > max) {
      const which = parts.length > 1 ? ` of "${part}"` : "";
      return `: the prefix${which} must be /${min} to /${max} (kube-apiserver refuses larger service ranges)`;
    }
    families.push(cidr.family);
  }
  if (families.length === 2 && families[0] === families[1]) return " must be two CIDRs of different families (one IPv4, one IPv6) for dual-stack";
  return undefined;
}
