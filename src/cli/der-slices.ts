// Just enough DER walking for the CLI's output formats (cfssl's Raw* fields, the encryption scheme
// of a PKCS#8 key): TLV boundaries and OBJECT IDENTIFIER text. Parsing proper lives in pki/.

/** One DER TLV: where it starts, where its contents start, where it ends (X.690 §8.1). */
export interface Tlv {
  readonly tag: number;
  readonly start: number;
  readonly body: number;
  readonly end: number;
}

export function tlv(der: Uint8Array, off: number): Tlv {
  const first = der[off + 1] ?? 0;
  let len = first;
  let body = off + 2;
  if (first & 0x80) {
    len = 0;
    for (let i = 0; i < (first & 0x7f); i++) len = len * 256 + (der[body + i] ?? 0);
    body += first & 0x7f;
  }
  return { tag: der[off] ?? 0, start: off, body, end: body + len };
}

/** The TLVs directly inside a constructed value. */
export function children(der: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let off = parent.body; off < parent.end && off < der.length; ) {
    const t = tlv(der, off);
    out.push(t);
    off = t.end;
  }
  return out;
}

/** Dotted text of an OBJECT IDENTIFIER's contents (X.690 §8.19). */
export function oidText(der: Uint8Array, t: Tlv): string {
  const arcs: number[] = [];
  let v = 0;
  for (let i = t.body; i < t.end; i++) {
    const b = der[i] ?? 0;
    v = v * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      if (arcs.length === 0) arcs.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else arcs.push(v);
      v = 0;
    }
  }
  return arcs.join(".");
}
