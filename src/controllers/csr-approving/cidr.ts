// CIDR rules of approval policies (sans.ip), on pki's parser so a policy reads addresses exactly as
// Go does (no leading-zero octets, IPv4-mapped forms contained as Go's IPNet.Contains has them).
import { cidrContains, parseCidr as parsePkiCidr, tryParseIp } from "../../pki/index.ts";
import type { Cidr as PkiCidr } from "../../pki/index.ts";
import { ControllerError } from "../errors.ts";

export interface Cidr {
  readonly range: PkiCidr;
  /** As written in the policy (for messages). */
  readonly text: string;
}

/** "10.0.0.0/8", "fd00::/8", or a bare address meaning just that address (/32 or /128). */
export function parseCidr(text: string, where: string): Cidr {
  const bare = text.includes("/") ? undefined : tryParseIp(text);
  const range = parsePkiCidr(bare === undefined ? text : `${text}/${bare.length * 8}`);
  if (!range) throw new ControllerError("bad-policy", `${where}: not an IP or CIDR: ${JSON.stringify(text)}`);
  return { range, text };
}

export function ipInCidr(ip: string, c: Cidr): boolean {
  const b = tryParseIp(ip);
  return b !== undefined && cidrContains(c.range, b);
}
