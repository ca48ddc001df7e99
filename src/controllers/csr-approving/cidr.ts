// IPv4/IPv6 CIDR containment for approval-policy SAN rules, without node:net (controllers do no I/O).
import { ControllerError } from "../errors.ts";

export interface Cidr {
  readonly bytes: Uint8Array;
  readonly prefix: number;
  readonly text: string;
}

function parseV4(s: string): Uint8Array | undefined {
  const parts = s.split(".");
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i] ?? "";
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    out[i] = Number(p);
  }
  return out;
}

function parseV6(s: string): Uint8Array | undefined {
  let text = s;
  if (text.includes(".")) {
    // "::ffff:10.0.0.1": rewrite the dotted tail as two hex groups.
    const lastColon = text.lastIndexOf(":");
    const v4 = parseV4(text.slice(lastColon + 1));
    if (!v4) return undefined;
    const hex = (a: number, b: number): string => ((a << 8) | b).toString(16);
    text = `${text.slice(0, lastColon + 1)}${hex(v4[0] ?? 0, v4[1] ?? 0)}:${hex(v4[2] ?? 0, v4[3] ?? 0)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (h: string | undefined): number[] | undefined => {
    if (h === undefined || h === "") return [];
    const out: number[] = [];
    for (const g of h.split(":")) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = groups(halves[0]);
  const rest = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !rest) return undefined;
  const total = head.length + rest.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return undefined;
  const words = [...head, ...new Array<number>(8 - total).fill(0), ...rest];
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

export function parseIp(s: string): Uint8Array | undefined {
  return s.includes(":") ? parseV6(s) : parseV4(s);
}

export function parseCidr(text: string, where: string): Cidr {
  const [addr = "", len] = text.split("/");
  const bytes = parseIp(addr);
  const max = bytes ? bytes.length * 8 : 0;
  const prefix = len === undefined ? max : Number(len);
  if (!bytes || !Number.isInteger(prefix) || prefix < 0 || prefix > max) throw new ControllerError("bad-policy", `${where}: not an IP or CIDR: ${JSON.stringify(text)}`);
  return { bytes, prefix, text };
}

export function ipInCidr(ip: string, c: Cidr): boolean {
  const b = parseIp(ip);
  if (!b || b.length !== c.bytes.length) return false;
  for (let bit = 0; bit < c.prefix; bit++) {
    const mask = 0x80 >> bit % 8;
    if (((b[bit >> 3] ?? 0) & mask) !== ((c.bytes[bit >> 3] ?? 0) & mask)) return false;
  }
  return true;
}
