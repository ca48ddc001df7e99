// The CRL encoder, cross-checked against openssl (RFC 5280 §5): `openssl crl -text` reads every field
// and `openssl verify -crl_check` refuses a listed certificate and accepts an unlisted one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { sign } from "node:crypto";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { seededRandom, toHex } from "../base/index.ts";
import { encodeCertificatePem, keyIdentifier, randomSerial } from "./certificate.ts";
import { encodeCrlPem, encodeTbsCrl, signCrl, type CrlTemplate } from "./crl.ts";
import { signTemplate } from "./issued.ts";
import { generateKeyPair, spkiOf } from "./keys.ts";
import { encodeDn, parseDn } from "./names.ts";
import { EKU } from "./oids.ts";
import { signatureSchemeFor } from "./sigalg.ts";
import type { Certificate, KeyAlgorithm, KeyPair } from "./types.ts";

const rnd = seededRandom(7);
const T0 = new Date("2026-06-01T00:00:00Z");
const DAY = 86_400_000;

interface Issued { cert: Certificate; key: KeyPair }
const signer = (k: KeyPair) => (tbs: Uint8Array): Uint8Array => sign(signatureSchemeFor(k.algorithm).digest, tbs, k.privateKey);

async function issue(cn: string, issuer: Issued | undefined, alg: KeyAlgorithm = { kind: "ecdsa", curve: "P-256" }): Promise<Issued> {
  const key = generateKeyPair(alg);
  const spki = spkiOf(key.publicKey);
  const subject = parseDn(`/O=kpki/CN=${cn}`);
  const by = issuer?.key ?? key;
  const ca = issuer === undefined;
  const cert = await signTemplate(
    {
      serialNumber: randomSerial(rnd), subject, issuerDer: issuer?.cert.subjectDer ?? encodeDn(subject),
      notBefore: new Date(T0.getTime() - DAY), notAfter: new Date(T0.getTime() + 365 * DAY), spki,
      subjectKeyId: keyIdentifier(spki), authorityKeyId: issuer?.cert.subjectKeyId ?? keyIdentifier(spki),
      basicConstraints: { ca }, keyUsage: ca ? ["digitalSignature", "keyCertSign", "cRLSign"] : ["digitalSignature"],
      ...(ca ? {} : { extKeyUsage: [EKU.clientAuth] }),
    },
    signer(by),
    by.algorithm,
  );
  return { cert, key };
}

function openssl(args: string[]): { status: number; out: string } {
  const r = spawnSync("openssl", args, { encoding: "utf8" });
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

const serialText = (hex: string): string => (hex.length % 2 === 1 ? `0${hex}` : hex).toUpperCase();

for (const alg of [{ kind: "ecdsa", curve: "P-256" }, { kind: "rsa", bits: 2048 }] as const) {
  test(`signCrl (${alg.kind} CA): openssl reads it and verify -crl_check refuses only the listed certificate`, async () => {
    const ca = await issue("crl-ca", undefined, alg);
    const [revoked, compromised, good] = [await issue("revoked", ca), await issue("compromised", ca), await issue("good", ca)];
    const t: CrlTemplate = {
      issuer: ca.cert,
      thisUpdate: T0,
      nextUpdate: new Date(T0.getTime() + DAY),
      crlNumber: 1_780_272_000_000n,
      entries: [
        { serialHex: revoked.cert.serialHex, revokedAt: new Date(T0.getTime() - 60_000), reason: "unspecified" },
        { serialHex: compromised.cert.serialHex, revokedAt: new Date(T0.getTime() - 30_000), reason: "keyCompromise" },
      ],
    };
    const dir = mkdtempSync(join(tmpdir(), "kpki-crl-"));
    try {
      const file = (name: string, text: string): string => (writeFileSync(join(dir, name), text), join(dir, name));
      const crl = file("crl.pem", encodeCrlPem(await signCrl(t, signer(ca.key))));
      const caFile = file("ca.crt", encodeCertificatePem(ca.cert));
      const text = openssl(["crl", "-inform", "PEM", "-in", crl, "-noout", "-text"]);
      assert.equal(text.status, 0, text.out);
      assert.match(text.out, /Version 2 \(0x1\)/);
      assert.match(text.out, /Issuer: O = kpki, CN = crl-ca/);
      assert.match(text.out, /Last Update: Jun {2}1 00:00:00 2026 GMT/);
      assert.match(text.out, /Next Update: Jun {2}2 00:00:00 2026 GMT/);
      assert.match(text.out, /X509v3 CRL Number: \n\s+1780272000000/);
      assert.match(text.out, new RegExp(`Authority Key Identifier: \\n\\s+(keyid:)?${toHex(ca.cert.subjectKeyId!, ":").toUpperCase()}`));
      assert.match(text.out, new RegExp(`Serial Number: ${serialText(revoked.cert.serialHex)}\\n\\s+Revocation Date: May 31 23:59:00 2026 GMT\\n(?!\\s+CRL entry extensions)`));
      assert.match(text.out, new RegExp(`Serial Number: ${serialText(compromised.cert.serialHex)}\\n\\s+Revocation Date: May 31 23:59:30 2026 GMT\\n\\s+CRL entry extensions:\\n\\s+X509v3 CRL Reason Code: \\n\\s+Key Compromise`));
      assert.equal(openssl(["crl", "-in", crl, "-CAfile", caFile, "-noout"]).status, 0, "the signature verifies under the CA");
      const at = String(T0.getTime() / 1000 + 3600);
      const verify = (c: Issued): { status: number; out: string } =>
        openssl(["verify", "-attime", at, "-crl_check", "-CAfile", caFile, "-CRLfile", crl, file(`${c.cert.serialHex}.crt`, encodeCertificatePem(c.cert))]);
      for (const c of [revoked, compromised]) {
        const r = verify(c);
        assert.notEqual(r.status, 0);
        assert.match(r.out, /certificate revoked/);
      }
      assert.equal(verify(good).status, 0, verify(good).out);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test("encodeTbsCrl: an empty list has no revokedCertificates; bad numbers and times are refused", async () => {
  const ca = await issue("empty-ca", undefined);
  const base: CrlTemplate = { issuer: ca.cert, thisUpdate: T0, nextUpdate: new Date(T0.getTime() + DAY), crlNumber: 5n, entries: [] };
  const dir = mkdtempSync(join(tmpdir(), "kpki-crl-"));
  try {
    writeFileSync(join(dir, "crl.pem"), encodeCrlPem(await signCrl(base, signer(ca.key))));
    const r = openssl(["crl", "-in", join(dir, "crl.pem"), "-noout", "-text"]);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /No Revoked Certificates/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const cases: [string, Partial<CrlTemplate>, RegExp][] = [
    ["negative number", { crlNumber: -1n }, /20 octets/],
    ["21-octet number", { crlNumber: 1n << 160n }, /20 octets/],
    ["nextUpdate not after thisUpdate", { nextUpdate: T0 }, /nextUpdate/],
    ["serial not hex", { entries: [{ serialHex: "xyz", revokedAt: T0, reason: "superseded" }] }, /not hex/],
  ];
  for (const [name, over, msg] of cases) assert.throws(() => encodeTbsCrl({ ...base, ...over }), msg, name);
});
