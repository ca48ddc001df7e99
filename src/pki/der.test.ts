import { test } from "node:test";
import assert from "node:assert/strict";
import { fromHex, seededRandom } from "../base/index.ts";
import {
  children, encodeOid, encodeSmallInt, encodeTime, encodeUnsigned, parseDer, readBoolean, readIntegerBytes, readOid, readSmallInt,
  readString, readTime, seq,
} from "./der.ts";
import { PkiError } from "./errors.ts";
import { createCsr, parseCsrDer } from "./csr.ts";
import { generateKeyPair } from "./keys.ts";
import { parseDn } from "./names.ts";

const rejects: [string, string, (t: ReturnType<typeof parseDer>) => unknown][] = [
  ["indefinite length", "3080020101 0000", (t) => t],
  ["non-minimal long length", "3081020101", (t) => t],
  ["length with leading zero", "308200030201 01", (t) => t],
  ["trailing bytes", "3003020101 00", (t) => t],
  ["truncated value", "30050201", (t) => t],
  ["high tag number", "1f0100", (t) => t],
  ["non-minimal INTEGER 00 7f", "0202007f", (t) => readIntegerBytes(t)],
  ["non-minimal INTEGER ff 80", "0202ff80", (t) => readIntegerBytes(t)],
  ["empty INTEGER", "0200", (t) => readIntegerBytes(t)],
  ["BOOLEAN 01", "010101", (t) => readBoolean(t)],
  ["OID arc with 0x80 padding", "0603808001", (t) => readOid(t)],
  ["UTCTime with fractions", "17113235303130313030303030302e355a", (t) => readTime(t)],
  ["UTCTime Feb 30", "170d3235303233303030303030305a", (t) => readTime(t)],
];

for (const [name, hex, read] of rejects) {
  test(`DER rejects ${name}`, () => {
    assert.throws(() => read(parseDer(fromHex(hex))), (e: unknown) => e instanceof PkiError && e.code === "bad-der");
  });
}

test("INTEGER writer is minimal and round-trips", () => {
  const cases: [string, string][] = [["00", "020100"], ["7f", "02017f"], ["80", "02020080"], ["000080", "02020080"], ["0100", "02020100"]];
  for (const [input, want] of cases) assert.equal(Buffer.from(encodeUnsigned(fromHex(input))).toString("hex"), want, input);
  for (const n of [0, 1, 127, 128, 255, 256, 65535, 2 ** 31 - 1]) assert.equal(readSmallInt(parseDer(encodeSmallInt(n))), n);
});

test("OIDs round-trip", () => {
  for (const oid of ["2.5.29.37.0", "1.2.840.113549.1.1.11", "1.3.6.1.4.1.311.10.3.3", "2.999.1", "0.9.2342.19200300.100.1.25"]) {
    assert.equal(readOid(parseDer(encodeOid(oid))), oid);
  }
  assert.equal(Buffer.from(encodeOid("1.2.840.10045.2.1")).toString("hex"), "06072a8648ce3d0201");
});

test("times: UTCTime before 2050, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5)", () => {
  const cases: [string, number][] = [
    ["1999-12-31T23:59:59Z", 0x17],
    ["2049-12-31T23:59:59Z", 0x17],
    ["2050-01-01T00:00:00Z", 0x18],
    ["9999-12-31T23:59:59Z", 0x18],
  ];
  for (const [iso, tag] of cases) {
    const enc = encodeTime(new Date(iso));
    assert.equal(enc[0], tag, iso);
    assert.equal(readTime(parseDer(enc)).toISOString(), new Date(iso).toISOString());
  }
});

test("nested sequences decode to children views", () => {
  const der = seq(encodeSmallInt(1), seq(encodeSmallInt(2)));
  const [a, b] = children(parseDer(der));
  assert.equal(readSmallInt(a!), 1);
  assert.equal(readSmallInt(children(b!)[0]!), 2);
});

test("fuzz: mutated CSRs fail with PkiError, never anything else", () => {
  const key = generateKeyPair({ kind: "ecdsa", curve: "P-256" });
  const good = createCsr({ subject: parseDn("/CN=fuzz/O=x"), sans: { dns: ["a.b"], ip: ["10.0.0.1"], email: [], uri: [] }, key }).der;
  const rnd = seededRandom(42);
  let parsed = 0;
  for (let i = 0; i < 3000; i++) {
    const m = Uint8Array.from(good);
    const r = rnd.bytes(3);
    const at = (r[0]! * 256 + r[1]!) % m.length;
    m[at] = m[at]! ^ (r[2]! || 1);
    try {
      parseCsrDer(m);
      parsed++;
    } catch (e) {
      assert.ok(e instanceof PkiError, `iteration ${i}: ${String(e)}`);
    }
  }
  assert.ok(parsed < 3000);
});

test("readString decodes every X.520 string type", () => {
  const cases: [string, string][] = [
    ["0c03c3a961", "éa"], // UTF8String
    ["1303616263", "abc"], // PrintableString
    ["1603612e62", "a.b"], // IA5String
    ["1402e961", "éa"], // T61String (read as Latin-1)
    ["1e0400e90061", "éa"], // BMPString (UTF-16BE)
    ["1c08000000e900000061", "éa"], // UniversalString (UTF-32BE)
  ];
  for (const [hex, want] of cases) assert.equal(readString(parseDer(fromHex(hex))), want, hex);
  assert.throws(() => readString(parseDer(fromHex("1e03000000"))), PkiError);
});
