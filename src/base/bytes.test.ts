import { test } from "node:test";
import assert from "node:assert/strict";
import { decodePem, encodePem, fromBase64, toBase64 } from "./bytes.ts";
import { seededRandom } from "./random.ts";

test("encodePem: RFC 7468 lines of 64 characters, the last one shorter, and it decodes back", () => {
  for (const size of [1, 47, 48, 49, 96, 600]) {
    const der = Uint8Array.from({ length: size }, (_, i) => (i * 37) & 0xff);
    const pem = encodePem("CERTIFICATE", der);
    const lines = pem.split("\n");
    assert.equal(lines[0], "-----BEGIN CERTIFICATE-----");
    assert.deepEqual(lines.slice(-2), ["-----END CERTIFICATE-----", ""]);
    const body = lines.slice(1, -2);
    assert.ok(body.slice(0, -1).every((l) => l.length === 64), `size ${size}`);
    assert.ok(body.at(-1)!.length > 0 && body.at(-1)!.length <= 64);
    assert.equal(body.join(""), toBase64(der));
    assert.deepEqual(decodePem(pem)[0]?.der, der);
  }
});

// The previous decoders, kept here as the reference: fromBase64 and decodePem must accept, reject and
// return exactly what they did (their fast paths are a regex + indexOf instead of strip + regex).
function refBase64(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 === 1) throw new Error("not valid base64");
  return new Uint8Array(Buffer.from(clean, "base64"));
}
function refPem(text: string): { type: string; headers: Record<string, string>; der: Uint8Array }[] {
  const out = [];
  for (const m of text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g)) {
    let body = m[2] ?? "";
    const headers: Record<string, string> = {};
    const split = body.match(/^((?:[A-Za-z-]+:.*\r?\n)+)\r?\n/);
    if (split) {
      for (const line of (split[1] ?? "").split(/\r?\n/)) {
        const i = line.indexOf(":");
        if (i > 0) headers[line.slice(0, i).trim()] = line.slice(i + 1).trim();
      }
      body = body.slice(split[0].length);
    }
    out.push({ type: m[1] ?? "", headers, der: refBase64(body) });
  }
  return out;
}
const outcome = (f: () => unknown): string => {
  try {
    return JSON.stringify(f(), (_k, v: unknown) => (v instanceof Uint8Array ? `${Buffer.from(v).toString("hex")}/${v.buffer.byteLength}` : v));
  } catch {
    return "throws";
  }
};

test("fromBase64 accepts, rejects and decodes exactly as strip + regex did (fuzz)", () => {
  const rnd = seededRandom(3);
  const noise = "AB+/=\n\r \t\v\f\u00a0\u202f\u2028\u3000-*_aZ09";
  const pick = (): string => noise[rnd.bytes(1)[0]! % noise.length]!;
  for (let i = 0; i < 30_000; i++) {
    let s = i % 2 ? Buffer.from(rnd.bytes(i % 50)).toString("base64") : Array.from({ length: i % 13 }, pick).join("");
    for (let k = i % 5; k > 0; k--) {
      const at = rnd.bytes(1)[0]! % (s.length + 1);
      s = s.slice(0, at) + pick() + s.slice(at);
    }
    assert.equal(outcome(() => fromBase64(s)), outcome(() => refBase64(s)), JSON.stringify(s));
  }
});

test("decodePem finds the blocks the regex found", () => {
  const b = "QUJD\n";
  const texts = [
    `-----BEGIN A-----\n${b}-----END A-----`, `x-----BEGIN A B-----\r\n${b}-----END A B-----y-----BEGIN C-----\n\n-----END C-----`,
    `------BEGIN X-----\n${b}-----END X-----`, `-----BEGIN X------\n${b}-----END X-----`, `-----BEGIN a-----\n${b}-----END a-----`,
    `-----BEGIN X-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: x\n\n${b}-----END X-----`, `-----BEGIN X-----\n${b}-----END Y-----\n-----BEGIN Y-----\n${b}-----END Y-----`,
    `-----BEGIN X-----\n-----BEGIN X-----\n${b}-----END X-----`, "-----BEGIN -----\n\n-----END -----", `-----BEGIN A-B-----\n${b}-----END A-B-----`,
    `-----BEGIN X-----\r${b}-----END X-----`, `-----BEGIN X-----\n${b}-----END X----`, `-----BEGIN X-----\nQU:JD\n-----END X-----`, "-----BEGIN X",
  ];
  for (const t of texts) assert.equal(outcome(() => decodePem(t)), outcome(() => refPem(t)), JSON.stringify(t));
});
