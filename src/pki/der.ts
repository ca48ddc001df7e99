// A small, strict DER (ITU-T X.690 §10) reader and writer: the issuance hot path. The reader works on
// subarrays (no copies) and rejects what DER forbids: indefinite lengths, non-minimal lengths,
// non-minimal INTEGERs, BOOLEANs other than 00/FF, trailing bytes. High tag numbers are not used by
// X.509/PKCS#10 and are rejected too.
import { PkiError } from "./errors.ts";

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  T61_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  UNIVERSAL_STRING: 0x1c,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** One TLV: `raw` is the whole encoding (header + value), `value` the contents. Both are views. */
export interface Tlv {
  readonly tag: number;
  readonly raw: Uint8Array;
  readonly value: Uint8Array;
}

function fail(what: string): never {
  throw new PkiError("bad-der", `malformed DER: ${what}`);
}

/** Reads one TLV at `pos` of `buf`. */
export function readTlv(buf: Uint8Array, pos: number): Tlv {
  const end = buf.length;
  if (pos + 2 > end) fail("truncated header");
  const tag = buf[pos]!;
  if ((tag & 0x1f) === 0x1f) fail("high tag number");
  let len = buf[pos + 1]!;
  let hdr = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0) fail("indefinite length");
    if (n > 4) fail("length too long");
    if (pos + 2 + n > end) fail("truncated length");
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[pos + 2 + i]!;
    // X.690 §10.1: the definite form uses the fewest octets.
    if (len < 0x80 || buf[pos + 2] === 0) fail("non-minimal length");
    hdr += n;
  }
  const vEnd = pos + hdr + len;
  if (vEnd > end) fail("truncated value");
  return { tag, raw: buf.subarray(pos, vEnd), value: buf.subarray(pos + hdr, vEnd) };
}

/** Parses a complete DER value; trailing bytes are an error. */
export function parseDer(buf: Uint8Array): Tlv {
  const t = readTlv(buf, 0);
  if (t.raw.length !== buf.length) fail("trailing bytes");
  return t;
}

/** The children of a constructed value. */
export function children(t: Tlv): Tlv[] {
  if ((t.tag & 0x20) === 0) fail(`tag 0x${t.tag.toString(16)} is not constructed`);
  const out: Tlv[] = [];
  const v = t.value;
  let pos = 0;
  while (pos < v.length) {
    const c = readTlv(v, pos);
    out.push(c);
    pos += c.raw.length;
  }
  return out;
}

export function expect(t: Tlv | undefined, tag: number, what: string): Tlv {
  if (t === undefined) fail(`missing ${what}`);
  if (t.tag !== tag) fail(`${what}: expected tag 0x${tag.toString(16)}, got 0x${t.tag.toString(16)}`);
  return t;
}

/** INTEGER contents after checking minimality (X.690 §8.3.2). */
export function readIntegerBytes(t: Tlv): Uint8Array {
  const v = t.value;
  if (v.length === 0) fail("empty INTEGER");
  if (v.length > 1 && ((v[0] === 0 && v[1]! < 0x80) || (v[0] === 0xff && v[1]! >= 0x80))) fail("non-minimal INTEGER");
  return v;
}

export function readSmallInt(t: Tlv): number {
  const v = readIntegerBytes(t);
  if (v.length > 4 || v[0]! >= 0x80) fail("INTEGER out of range");
  let n = 0;
  for (const b of v) n = n * 256 + b;
  return n;
}

export function readBoolean(t: Tlv): boolean {
  if (t.value.length !== 1 || (t.value[0] !== 0 && t.value[0] !== 0xff)) fail("BOOLEAN must be 00 or FF");
  return t.value[0] === 0xff;
}

/** BIT STRING contents with the unused-bits octet checked; returns the bytes and the unused count. */
export function readBitString(t: Tlv): { bytes: Uint8Array; unused: number } {
  const v = t.value;
  if (v.length === 0) fail("empty BIT STRING");
  const unused = v[0]!;
  if (unused > 7 || (unused > 0 && v.length === 1)) fail("bad BIT STRING padding");
  // DER (X.690 §11.2.1): the unused bits are zero.
  if (unused > 0 && (v[v.length - 1]! & ((1 << unused) - 1)) !== 0) fail("non-zero BIT STRING padding");
  return { bytes: v.subarray(1), unused };
}

const oidCache = new Map<string, string>();

export function readOid(t: Tlv): string {
  const v = t.value;
  if (v.length === 0) fail("empty OID");
  let key = "";
  for (let i = 0; i < v.length; i++) key += String.fromCharCode(v[i]!); // a spread into fromCharCode costs more than the parse
  const hit = oidCache.get(key);
  if (hit !== undefined) return hit;
  const parts: number[] = [];
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    const b = v[i]!;
    if (n === 0 && b === 0x80) fail("non-minimal OID arc");
    n = n * 128 + (b & 0x7f);
    if (n > Number.MAX_SAFE_INTEGER / 128) fail("OID arc too large");
    if ((b & 0x80) === 0) {
      if (parts.length === 0) parts.push(n < 80 ? Math.floor(n / 40) : 2, n < 80 ? n % 40 : n - 80);
      else parts.push(n);
      n = 0;
    } else if (i === v.length - 1) fail("truncated OID");
  }
  const s = parts.join(".");
  if (oidCache.size < 1000) oidCache.set(key, s);
  return s;
}

const TWO = (s: string, i: number): number => Number(s.slice(i, i + 2));

/** UTCTime / GeneralizedTime in the RFC 5280 §4.1.2.5 profile: seconds, "Z", no fractions. */
export function readTime(t: Tlv): Date {
  const s = String.fromCharCode(...t.value);
  let year: number;
  let rest: string;
  if (t.tag === TAG.UTC_TIME) {
    if (!/^\d{12}Z$/.test(s)) fail(`bad UTCTime "${s}"`);
    const yy = TWO(s, 0);
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
    rest = s.slice(2);
  } else if (t.tag === TAG.GENERALIZED_TIME) {
    if (!/^\d{14}Z$/.test(s)) fail(`bad GeneralizedTime "${s}"`);
    year = Number(s.slice(0, 4));
    rest = s.slice(4);
  } else fail("expected a time");
  const ms = Date.UTC(year, TWO(rest, 0) - 1, TWO(rest, 2), TWO(rest, 4), TWO(rest, 6), TWO(rest, 8));
  const d = new Date(ms);
  if (d.getUTCDate() !== TWO(rest, 2) || TWO(rest, 4) > 23 || TWO(rest, 6) > 59 || TWO(rest, 8) > 59) fail(`bad time "${s}"`);
  return d;
}

/** Any of the X.520 string types, decoded to a JS string. */
export function readString(t: Tlv): string {
  const v = t.value;
  const buf = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  switch (t.tag) {
    case TAG.UTF8_STRING:
      return buf.toString("utf8");
    case TAG.PRINTABLE_STRING:
    case TAG.IA5_STRING:
    case 0x12: // NumericString
    case 0x1a: // VisibleString
      return buf.toString("latin1");
    case TAG.T61_STRING:
      return buf.toString("latin1");
    case TAG.BMP_STRING:
      if (v.length % 2 !== 0) fail("bad BMPString");
      return Buffer.from(buf).swap16().toString("utf16le");
    case TAG.UNIVERSAL_STRING: {
      if (v.length % 4 !== 0) fail("bad UniversalString");
      let s = "";
      for (let i = 0; i < v.length; i += 4) s += String.fromCodePoint(buf.readUInt32BE(i));
      return s;
    }
    default:
      return fail(`tag 0x${t.tag.toString(16)} is not a string`);
  }
}

// ---- writer -------------------------------------------------------------------------------

export function encodeLength(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  for (let x = n; x > 0; x = Math.floor(x / 256)) bytes.unshift(x & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

/** tag + length + concatenated contents, in one allocation (the length octets are written in place:
 *  this runs a few dozen times per issued certificate). */
export function tlv(tag: number, ...parts: readonly Uint8Array[]): Uint8Array {
  let len = 0;
  for (let i = 0; i < parts.length; i++) len += parts[i]!.length;
  const lenBytes = len < 0x80 ? 0 : len < 0x100 ? 1 : len < 0x10000 ? 2 : len < 0x1000000 ? 3 : 4;
  const out = new Uint8Array(2 + lenBytes + len);
  out[0] = tag;
  if (lenBytes === 0) out[1] = len;
  else {
    out[1] = 0x80 | lenBytes;
    for (let i = 0; i < lenBytes; i++) out[2 + i] = (len / 2 ** (8 * (lenBytes - 1 - i))) & 0xff;
  }
  let pos = 2 + lenBytes;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

export const seq = (...parts: readonly Uint8Array[]): Uint8Array => tlv(TAG.SEQUENCE, ...parts);
export const set = (...parts: readonly Uint8Array[]): Uint8Array => tlv(TAG.SET, ...parts);
export const octets = (b: Uint8Array): Uint8Array => tlv(TAG.OCTET_STRING, b);
export const NULL_DER = Uint8Array.of(0x05, 0x00);

/** INTEGER from unsigned big-endian bytes, made DER-minimal (leading zeros stripped, 00 added if high bit set). */
export function encodeUnsigned(b: Uint8Array): Uint8Array {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  const v = b.subarray(i);
  return v.length > 0 && v[0]! >= 0x80 ? tlv(TAG.INTEGER, Uint8Array.of(0), v) : tlv(TAG.INTEGER, v.length ? v : Uint8Array.of(0));
}

export function encodeSmallInt(n: number): Uint8Array {
  const bytes: number[] = [];
  let x = n;
  do {
    bytes.unshift(x & 0xff);
    x = Math.floor(x / 256);
  } while (x > 0);
  return encodeUnsigned(Uint8Array.from(bytes));
}

export const encodeBoolean = (b: boolean): Uint8Array => Uint8Array.of(TAG.BOOLEAN, 1, b ? 0xff : 0);

export function encodeBitString(bytes: Uint8Array, unused = 0): Uint8Array {
  return tlv(TAG.BIT_STRING, Uint8Array.of(unused), bytes);
}

const oidEncCache = new Map<string, Uint8Array>();

export function encodeOid(oid: string): Uint8Array {
  const hit = oidEncCache.get(oid);
  if (hit) return hit;
  const arcs = oid.split(".").map(Number);
  if (arcs.length < 2 || arcs.some((a) => !Number.isSafeInteger(a) || a < 0)) throw new PkiError("bad-der", `bad OID "${oid}"`);
  const out: number[] = [];
  const first = [arcs[0]! * 40 + arcs[1]!, ...arcs.slice(2)];
  for (const arc of first) {
    const chunk: number[] = [arc & 0x7f];
    for (let x = Math.floor(arc / 128); x > 0; x = Math.floor(x / 128)) chunk.unshift(0x80 | (x & 0x7f));
    out.push(...chunk);
  }
  const enc = tlv(TAG.OID, Uint8Array.from(out));
  oidEncCache.set(oid, enc);
  return enc;
}

export function encodeString(tag: number, s: string): Uint8Array {
  return tlv(tag, new Uint8Array(Buffer.from(s, tag === TAG.UTF8_STRING ? "utf8" : "latin1")));
}

const pad = (n: number, w = 2): string => String(n).padStart(w, "0");

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. Sub-second parts are dropped. */
export function encodeTime(d: Date): Uint8Array {
  const y = d.getUTCFullYear();
  const body =
    `${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}` + `${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}Z`;
  if (y >= 1950 && y < 2050) return encodeString(TAG.UTC_TIME, pad(y % 100) + body);
  return encodeString(TAG.GENERALIZED_TIME, pad(y, 4) + body);
}

/** Context-specific tag: [n] constructed (EXPLICIT or IMPLICIT SEQUENCE) or primitive. */
export const ctx = (n: number, constructed: boolean): number => 0x80 | (constructed ? 0x20 : 0) | n;
