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

/** A TLV of a parsed buffer, as offsets: `raw` and `value` are views made on access. Making both views
 *  for every TLV cost two subarrays a TLV (≈ 80 per CSR parse); containers are walked by offset. */
class TlvAt implements Tlv {
  constructor(
    readonly tag: number,
    readonly buf: Uint8Array,
    readonly start: number,
    readonly body: number,
    readonly end: number,
  ) {}
  get raw(): Uint8Array {
    return this.buf.subarray(this.start, this.end);
  }
  get value(): Uint8Array {
    return this.buf.subarray(this.body, this.end);
  }
}

/** The TLV at `pos` of `buf`, which must end by `limit`. */
function readAt(buf: Uint8Array, pos: number, limit: number): TlvAt {
  if (pos + 2 > limit) fail("truncated header");
  const tag = buf[pos]!;
  if ((tag & 0x1f) === 0x1f) fail("high tag number");
  let len = buf[pos + 1]!;
  let hdr = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0) fail("indefinite length");
    if (n > 4) fail("length too long");
    if (pos + 2 + n > limit) fail("truncated length");
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[pos + 2 + i]!;
    // X.690 §10.1: the definite form uses the fewest octets.
    if (len < 0x80 || buf[pos + 2] === 0) fail("non-minimal length");
    hdr += n;
  }
  const vEnd = pos + hdr + len;
  if (vEnd > limit) fail("truncated value");
  return new TlvAt(tag, buf, pos, pos + hdr, vEnd);
}

/** Reads one TLV at `pos` of `buf`. */
export const readTlv = (buf: Uint8Array, pos: number): Tlv => readAt(buf, pos, buf.length);

/** Parses a complete DER value; trailing bytes are an error. */
export function parseDer(buf: Uint8Array): Tlv {
  const t = readAt(buf, 0, buf.length);
  if (t.end !== buf.length) fail("trailing bytes");
  return t;
}

/** The children of a constructed value. */
export function children(t: Tlv): Tlv[] {
  if ((t.tag & 0x20) === 0) fail(`tag 0x${t.tag.toString(16)} is not constructed`);
  const out: Tlv[] = [];
  // A Tlv from this reader is walked in place; any other is read through its `value`.
  const own = t instanceof TlvAt;
  const buf = own ? t.buf : t.value;
  const end = own ? t.end : buf.length;
  for (let pos = own ? t.body : 0; pos < end; ) {
    const c = readAt(buf, pos, end);
    out.push(c);
    pos = c.end;
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
  const v = t.value;
  if (v.length !== 1 || (v[0] !== 0 && v[0] !== 0xff)) fail("BOOLEAN must be 00 or FF");
  return v[0] === 0xff;
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

/** Header size (tag + length octets) of a value of `len` bytes. */
export const headerSize = (len: number): number => (len < 0x80 ? 2 : len < 0x100 ? 3 : len < 0x10000 ? 4 : len < 0x1000000 ? 5 : 6);

/** Writes tag + definite length at `pos`; returns where the contents start. */
export function writeHeader(out: Uint8Array, pos: number, tag: number, len: number): number {
  out[pos] = tag;
  const n = headerSize(len) - 2;
  out[pos + 1] = n === 0 ? len : 0x80 | n;
  for (let i = 0; i < n; i++) out[pos + 2 + i] = (len / 2 ** (8 * (n - 1 - i))) & 0xff;
  return pos + 2 + n;
}

/** tag + length + concatenated contents, in one allocation. */
export function tlv(tag: number, ...parts: readonly Uint8Array[]): Uint8Array {
  let len = 0;
  for (let i = 0; i < parts.length; i++) len += parts[i]!.length;
  const out = new Uint8Array(headerSize(len) + len);
  let pos = writeHeader(out, 0, tag, len);
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

/** A TLV for the one-pass writer: contents `parts` (bytes or nodes); encodeDer fills in `len` (contents
 *  length) and `at` (header offset in the output), so nodeBytes gives a node's encoding as a view. Why:
 *  nested tlv()/seq() copy their children at every level; a TBS was copied 3–4 times and made ≈ 40
 *  small Uint8Arrays. Here it is measured, allocated once and written once. */
export interface DerNode {
  readonly tag: number;
  readonly parts: readonly DerPart[];
  /** Instead of parts: contents are the low byte of each UTF-16 unit (what Buffer's "latin1" writes). */
  readonly str: string | undefined;
  len: number;
  at: number;
}
export type DerPart = Uint8Array | DerNode;

const NO_PARTS: readonly DerPart[] = [];
export const node = (tag: number, parts: readonly DerPart[]): DerNode => ({ tag, parts, str: undefined, len: 0, at: 0 });
/** A string written straight into the output: no Uint8Array of its own (≈ 120 bytes of heap each). */
export const latin1Node = (tag: number, str: string): DerNode => ({ tag, parts: NO_PARTS, str, len: 0, at: 0 });

function measure(p: DerPart): number {
  if (p instanceof Uint8Array) return p.length;
  let len = p.str === undefined ? 0 : p.str.length;
  const parts = p.parts;
  for (let i = 0; i < parts.length; i++) len += measure(parts[i]!);
  p.len = len;
  return headerSize(len) + len;
}

function write(p: DerPart, out: Uint8Array, pos: number): number {
  if (p instanceof Uint8Array) {
    const n = p.length;
    // TypedArray#set costs more than a short loop for the many few-byte parts.
    if (n > 16) out.set(p, pos);
    else for (let i = 0; i < n; i++) out[pos + i] = p[i]!;
    return pos + n;
  }
  p.at = pos;
  let at = writeHeader(out, pos, p.tag, p.len);
  const str = p.str;
  if (str !== undefined) for (let i = 0; i < str.length; i++) out[at++] = str.charCodeAt(i) & 0xff;
  const parts = p.parts;
  for (let i = 0; i < parts.length; i++) at = write(parts[i]!, out, at);
  return at;
}

/** The DER of `p` written at offset `before` of a buffer with `after` spare bytes behind it, so an
 *  enclosing value can be finished around it in place (issued.ts: the Certificate around its TBS). */
export function encodeDerWithRoom(p: DerNode, before: number, after: number): Uint8Array {
  const out = new Uint8Array(before + measure(p) + after);
  write(p, out, before);
  return out;
}
/** The DER of `p` in one allocation. */
export const encodeDer = (p: DerPart): Uint8Array => (p instanceof Uint8Array ? p : encodeDerWithRoom(p, 0, 0));

/** The encoding of `n` (header included) inside `out`, the encodeDer output that contains it. */
export const nodeBytes = (out: Uint8Array, n: DerNode): Uint8Array => out.subarray(n.at, n.at + headerSize(n.len) + n.len);
/** The contents of `n` inside `out`. */
export const nodeValue = (out: Uint8Array, n: DerNode): Uint8Array => out.subarray(n.at + headerSize(n.len), n.at + headerSize(n.len) + n.len);

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

/** A string value for the writer: latin1 string types and ASCII UTF-8 are written in place. */
export function stringPart(tag: number, s: string): DerPart {
  if (tag === TAG.UTF8_STRING) for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return tlv(tag, Buffer.from(s, "utf8"));
  return latin1Node(tag, s);
}

export const encodeString = (tag: number, s: string): Uint8Array => encodeDer(stringPart(tag, s));


const pad = (n: number, w = 2): string => String(n).padStart(w, "0");

function timeBytes(tag: number, y: number, d: Date): Uint8Array {
  const digits = [y % 100, d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()];
  if (tag === TAG.GENERALIZED_TIME) digits.unshift(Math.floor(y / 100));
  const out = new Uint8Array(3 + 2 * digits.length);
  out[0] = tag;
  out[1] = 1 + 2 * digits.length;
  for (let i = 0; i < digits.length; i++) {
    out[2 + 2 * i] = 0x30 + Math.floor(digits[i]! / 10);
    out[3 + 2 * i] = 0x30 + (digits[i]! % 10);
  }
  out[out.length - 1] = 0x5a; // "Z"
  return out;
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. Sub-second parts are dropped.
 *  Years 1950–9999 are written digit by digit (≈ 1 µs less than building the string); any other year
 *  (or an invalid Date) takes the string path, unchanged. */
export function encodeTime(d: Date): Uint8Array {
  const y = d.getUTCFullYear();
  if (y >= 1950 && y < 2050) return timeBytes(TAG.UTC_TIME, y, d);
  if (y >= 2050 && y <= 9999) return timeBytes(TAG.GENERALIZED_TIME, y, d);
  const body =
    `${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}` + `${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}Z`;
  return encodeString(TAG.GENERALIZED_TIME, pad(y, 4) + body);
}

/** Context-specific tag: [n] constructed (EXPLICIT or IMPLICIT SEQUENCE) or primitive. */
export const ctx = (n: number, constructed: boolean): number => 0x80 | (constructed ? 0x20 : 0) | n;
