// The IP/CIDR parser moved to base/ip.ts (registry/ reads --service-cluster-ip-range and ClusterIPs with
// it and may not import pki/); pki keeps its names so every importer of pki/index.ts is unchanged.
// Only parseIp stays here: its failure is a PkiError ("bad-name"), as a bad SAN is pki's error.
import { tryParseIp } from "../base/index.ts";
import { PkiError } from "./errors.ts";

export { parseAddr, tryParseIp, parseCidr, formatCidr, cidrContains, formatIp, type Cidr } from "../base/index.ts";

export function parseIp(s: string): Uint8Array {
  const b = tryParseIp(s);
  if (!b) throw new PkiError("bad-name", `"${s}" is not an IP address`);
  return b;
}
