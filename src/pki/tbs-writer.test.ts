// Pins the one-pass DER writer (der.ts encodeDer, certificate.ts encodeTbsParts, issued.ts's in-place
// Certificate) to the nested tlv()/seq() construction it replaced: for a table of templates, the TBS,
// its views and the signed certificate must be byte for byte what the old code wrote.
import { test } from "node:test";
import assert from "node:assert/strict";
import { seededRandom } from "../base/index.ts";
import { encodeTbsParts, keyIdentifier, parseCertificateDer, randomSerial } from "./certificate.ts";
import { ctx, encodeDer, encodeOid, encodeSmallInt, encodeString, encodeTime, encodeUnsigned, node, tlv, TAG } from "./der.ts";
import { encodeAki, encodeBasicConstraints, encodeEku, encodeKeyUsage } from "./extensions.ts";
import { signTemplate } from "./issued.ts";
import { generateKeyPair, spkiOf } from "./keys.ts";
import { makeDn, makeSans, parseIp } from "./names.ts";
import { ATTRIBUTE_OIDS, EKU, OID } from "./oids.ts";
import { signatureSchemeFor } from "./sigalg.ts";
import type { CertificateTemplate, DistinguishedName, KeyAlgorithm, SubjectAltNames } from "./types.ts";

// ---- the previous encoder, verbatim in behaviour (every level copies its children) ----
const seq = (...p: Uint8Array[]): Uint8Array => tlv(TAG.SEQUENCE, ...p);
const oldString = (tag: number, s: string): Uint8Array => tlv(tag, new Uint8Array(Buffer.from(s, tag === TAG.UTF8_STRING ? "utf8" : "latin1")));
const pad = (n: number, w = 2): string => String(n).padStart(w, "0");
function oldTime(d: Date): Uint8Array {
  const y = d.getUTCFullYear();
  const body = `${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}Z`;
  if (y >= 1950 && y < 2050) return oldString(TAG.UTC_TIME, pad(y % 100) + body);
  return oldString(TAG.GENERALIZED_TIME, pad(y, 4) + body);
}
const strTag = (type: string): number => (type === "C" || type === "serialNumber" ? TAG.PRINTABLE_STRING : type === "emailAddress" || type === "DC" ? TAG.IA5_STRING : TAG.UTF8_STRING);
const oldDn = (dn: DistinguishedName): Uint8Array =>
  seq(...dn.attributes.map((a) => tlv(TAG.SET, seq(encodeOid(ATTRIBUTE_OIDS[a.type] ?? a.type), oldString(strTag(a.type), a.value)))));
function oldSans(s: SubjectAltNames): Uint8Array {
  const enc = (t: number, v: string): Uint8Array => tlv(t, new Uint8Array(Buffer.from(v, "latin1")));
  return seq(...s.dns.map((d) => enc(ctx(2, false), d)), ...s.ip.map((ip) => tlv(ctx(7, false), parseIp(ip))),
    ...s.email.map((e) => enc(ctx(1, false), e)), ...s.uri.map((u) => enc(ctx(6, false), u)));
}
const oldExt = (oid: string, critical: boolean, v: Uint8Array): Uint8Array =>
  critical ? seq(encodeOid(oid), Uint8Array.of(1, 1, 0xff), tlv(TAG.OCTET_STRING, v)) : seq(encodeOid(oid), tlv(TAG.OCTET_STRING, v));
function oldTbs(t: CertificateTemplate, alg: KeyAlgorithm): Uint8Array {
  const exts: Uint8Array[] = [];
  if (t.keyUsage?.length) exts.push(oldExt(OID.keyUsage, true, encodeKeyUsage(t.keyUsage)));
  if (t.extKeyUsage?.length) exts.push(oldExt(OID.extKeyUsage, false, encodeEku(t.extKeyUsage)));
  if (t.basicConstraints) exts.push(oldExt(OID.basicConstraints, true, encodeBasicConstraints(t.basicConstraints)));
  if (t.subjectKeyId) exts.push(oldExt(OID.subjectKeyIdentifier, false, tlv(TAG.OCTET_STRING, t.subjectKeyId)));
  if (t.authorityKeyId) exts.push(oldExt(OID.authorityKeyIdentifier, false, encodeAki(t.authorityKeyId)));
  const s = t.sans;
  if (s && s.dns.length + s.ip.length + s.email.length + s.uri.length > 0) exts.push(oldExt(OID.subjectAltName, t.subject.attributes.length === 0, oldSans(s)));
  return seq(tlv(ctx(0, true), encodeSmallInt(2)), encodeUnsigned(t.serialNumber), signatureSchemeFor(alg).algorithmIdentifier, t.issuerDer,
    seq(oldTime(t.notBefore), oldTime(t.notAfter)), oldDn(t.subject), t.spki, ...(exts.length ? [tlv(ctx(3, true), seq(...exts))] : []));
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const rnd = seededRandom(5);
const ALGS: KeyAlgorithm[] = [{ kind: "ecdsa", curve: "P-256" }, { kind: "ecdsa", curve: "P-521" }, { kind: "rsa", bits: 2048 }, { kind: "ed25519" }];
const spkis = ALGS.map((a) => spkiOf(generateKeyPair(a).publicKey));
const long = (n: number): string => "x".repeat(n);
const SERIALS = [Uint8Array.of(0), Uint8Array.of(0, 0, 0x7f), Uint8Array.of(0x80), new Uint8Array(20).fill(0xff), new Uint8Array(0)];
const SHAPES: [string, Partial<CertificateTemplate>][] = [
  ["leaf, SANs of every kind", { sans: makeSans({ dns: ["a.example", "ä€.example"], ip: ["10.0.0.1", "fd00::1", "::ffff:1.2.3.4"], email: ["a@b"], uri: ["spiffe://x/y"] }),
    keyUsage: ["digitalSignature", "keyEncipherment"], extKeyUsage: [EKU.serverAuth, EKU.clientAuth], basicConstraints: { ca: false } }],
  ["empty subject, critical SAN", { subject: makeDn([]), sans: makeSans({ uri: ["spiffe://x"] }) }],
  ["no extensions", { keyUsage: [], extKeyUsage: [], sans: makeSans({}), subjectKeyId: undefined, authorityKeyId: undefined }],
  ["CA with pathLen", { basicConstraints: { ca: true, pathLen: 3 }, keyUsage: ["keyCertSign", "cRLSign", "decipherOnly"] }],
  ["names: UTF-8, Printable, IA5, OID type", { subject: makeDn([{ type: "C", value: "DE" }, { type: "CN", value: "Ünïcødé 😀 \ud800" },
    { type: "emailAddress", value: "a@b" }, { type: "2.5.4.99", value: "x" }]) }],
  ["2-byte lengths", { subject: makeDn([{ type: "CN", value: long(300) }]), sans: makeSans({ dns: [long(200)] }) }],
  ["3-byte lengths (> 64 KiB)", { subject: makeDn([{ type: "CN", value: long(70_000) }]), sans: makeSans({ dns: [long(66_000)] }) }],
  ["times around 1950 / 2050 / 9999", { notBefore: new Date("1949-12-31T23:59:59.999Z"), notAfter: new Date("2050-01-01T00:00:00Z") }],
  ["times at the UTCTime edges", { notBefore: new Date("1950-01-01T00:00:00Z"), notAfter: new Date("2049-12-31T23:59:59.5Z") }],
  ["far future", { notBefore: new Date("2100-02-28T12:00:00Z"), notAfter: new Date("9999-12-31T23:59:59Z") }],
];

test("encodeTbsParts writes what the nested seq() encoder wrote, and its views are views of it", () => {
  for (const [i, spki] of spkis.entries()) {
    for (const [name, over] of SHAPES) {
      for (const serial of [...SERIALS, randomSerial(rnd), randomSerial(rnd)]) {
        const t: CertificateTemplate = {
          serialNumber: serial, subject: makeDn([{ type: "CN", value: "n" }, { type: "O", value: "system:nodes" }]), issuerDer: oldDn(makeDn([{ type: "CN", value: "ca" }])),
          notBefore: new Date("2026-01-01T00:00:00.123Z"), notAfter: new Date("2027-01-01T00:00:00Z"), spki, subjectKeyId: keyIdentifier(spki), authorityKeyId: rnd.bytes(20), ...over,
        };
        const alg = ALGS[(i + 1) % ALGS.length]!;
        const parts = encodeTbsParts(t, alg);
        const what = `${name}, SPKI ${i}, serial ${hex(serial)}`;
        assert.equal(hex(parts.tbs), hex(oldTbs(t, alg)), what);
        assert.equal(hex(parts.subjectDer), hex(oldDn(t.subject)), what);
        assert.equal(hex(parts.serial), hex(encodeUnsigned(t.serialNumber).subarray(2)), what);
        assert.equal(hex(parts.issuerDer), hex(t.issuerDer), what);
        assert.equal(hex(parts.spki), hex(t.spki), what);
        assert.equal(parts.spki.buffer, parts.tbs.buffer, `${what}: a view of the TBS`);
        const unsigned = parseCertificateDer(seq(parts.tbs, signatureSchemeFor(alg).algorithmIdentifier, Uint8Array.of(3, 1, 0)));
        assert.deepEqual(parts.extensions, unsigned.extensions, what);
      }
    }
  }
});

test("the Certificate is finished around the TBS in place, or copied when the signature outgrows the room", async () => {
  const t: CertificateTemplate = { serialNumber: randomSerial(rnd), subject: makeDn([{ type: "CN", value: "a" }]), issuerDer: oldDn(makeDn([])),
    notBefore: new Date("2026-01-01T00:00:00Z"), notAfter: new Date("2027-01-01T00:00:00Z"), spki: spkis[0]!, sans: makeSans({ dns: ["a"] }) };
  const big = { ...t, subject: makeDn([{ type: "CN", value: long(70_000) }]) };
  for (const alg of [...ALGS, { kind: "rsa", bits: 4096 } as const, { kind: "ecdsa", curve: "P-384" } as const]) {
    for (const tmpl of [t, big]) {
      for (const len of [0, 1, 64, 70, 72, 104, 139, 256, 512, 600, 2000]) {
        const sig = rnd.bytes(len);
        const cert = await signTemplate(tmpl, () => sig, alg);
        const want = seq(oldTbs(tmpl, alg), signatureSchemeFor(alg).algorithmIdentifier, tlv(TAG.BIT_STRING, Uint8Array.of(0), sig));
        assert.equal(hex(cert.der), hex(want), `${JSON.stringify(alg)}, signature of ${len} bytes`);
        assert.equal(hex(cert.tbs), hex(oldTbs(tmpl, alg)));
        const parsed = parseCertificateDer(cert.der);
        for (const f of ["version", "subjectDer", "issuerDer", "spki", "signatureAlgorithm"] as const) assert.deepEqual(cert[f], parsed[f], f);
      }
    }
  }
});

test("encodeString, encodeTime and encodeDer match the copying writer", () => {
  for (const s of ["", "abc", "é", "€", "😀", "\ud800", "\u00ff\u0100", long(127), long(128), long(255), long(256), long(65_536)]) {
    for (const tag of [TAG.UTF8_STRING, TAG.PRINTABLE_STRING, TAG.IA5_STRING, TAG.UTC_TIME]) assert.equal(hex(encodeString(tag, s)), hex(oldString(tag, s)), `${tag} ${s.slice(0, 8)}`);
  }
  for (let i = 0; i < 2000; i++) {
    const d = new Date(Date.UTC(1900, 0, 1) + Math.floor(Number(rnd.bytes(4).reduce((a, b) => a * 256 + b, 0)) * 70_000));
    assert.equal(hex(encodeTime(d)), hex(oldTime(d)), d.toISOString());
  }
  for (const d of [new Date(Date.UTC(-5, 0, 1)), new Date(Date.UTC(12_345, 5, 6)), new Date(Date.UTC(999, 0, 1))]) assert.equal(hex(encodeTime(d)), hex(oldTime(d)));
  const parts = [new Uint8Array(0), Uint8Array.of(1), rnd.bytes(17), rnd.bytes(300), rnd.bytes(70_000)];
  for (const a of parts) for (const b of parts) {
    assert.equal(hex(encodeDer(node(TAG.SEQUENCE, [a, node(TAG.SET, [b, a]), node(ctx(3, true), [])]))), hex(seq(a, tlv(TAG.SET, b, a), tlv(ctx(3, true)))));
  }
});
