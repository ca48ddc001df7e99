import { test } from "node:test";
import assert from "node:assert/strict";
import { sign } from "node:crypto";
import { seededRandom } from "../base/index.ts";
import { keyIdentifier, parseCertificateDer, randomSerial, verifySignedBy } from "./certificate.ts";
import { signTemplate } from "./issued.ts";
import { generateKeyPair, spkiOf } from "./keys.ts";
import { lintCertificate } from "./lint.ts";
import type { CertRole } from "./lint-rules.ts";
import { encodeDn, makeDn, makeSans, parseDn } from "./names.ts";
import { EKU } from "./oids.ts";
import { signatureSchemeFor } from "./sigalg.ts";
import type { Certificate, CertificateTemplate } from "./types.ts";

const rnd = seededRandom(11);
const caKey = generateKeyPair({ kind: "ecdsa", curve: "P-256" });
const caSubject = parseDn("/CN=view-ca");
const caSpki = spkiOf(caKey.publicKey);
const leafSpki = spkiOf(generateKeyPair({ kind: "rsa", bits: 2048 }).publicKey);
const FIELDS = [
  "version", "serialHex", "subject", "issuer", "subjectDer", "issuerDer", "notBefore", "notAfter", "spki", "keyAlgorithm", "signatureAlgorithm",
  "sans", "keyUsage", "extKeyUsage", "basicConstraints", "subjectKeyId", "authorityKeyId", "extensions", "fingerprintSha256", "tbs", "der",
] as const;

// The lint gate sees the template (templateView), not a parse: for every shape of template it must
// see exactly what a parse of the signed certificate gives, or lint would judge a different certificate.
test("the lint gate's template view reads like the parsed certificate, and the lazy certificate is its DER", async () => {
  const base = {
    issuerDer: encodeDn(caSubject), notBefore: new Date("2026-01-01T00:00:00.123Z"), notAfter: new Date("2027-01-01T00:00:00.999Z"),
    spki: leafSpki, subjectKeyId: keyIdentifier(leafSpki), authorityKeyId: keyIdentifier(caSpki),
  };
  const cases: [string, Partial<CertificateTemplate> & { subject: CertificateTemplate["subject"] }, CertRole][] = [
    ["server leaf", { subject: parseDn("/CN=a/O=x/O=y"), sans: makeSans({ dns: ["a.example"], ip: ["10.0.0.1", "fd00::1"] }), keyUsage: ["keyEncipherment", "digitalSignature", "digitalSignature"], extKeyUsage: [EKU.serverAuth, EKU.clientAuth], basicConstraints: { ca: false } }, "peer"],
    ["empty subject, SAN critical", { subject: makeDn([]), sans: makeSans({ uri: ["spiffe://x/y"] }), extKeyUsage: [EKU.clientAuth] }, "client"],
    ["OID-typed CN, empty lists", { subject: makeDn([{ type: "2.5.4.3", value: "system:node:n1" }, { type: "O", value: "system:nodes" }]), keyUsage: [], extKeyUsage: [], sans: makeSans({}) }, "kubelet-client"],
    ["CA with pathLen", { subject: parseDn("/CN=sub-ca"), basicConstraints: { ca: true, pathLen: 0 }, keyUsage: ["keyCertSign", "cRLSign"] }, "intermediate-ca"],
    ["pathLen on a leaf, server without SAN", { subject: parseDn("/CN=bad"), basicConstraints: { ca: false, pathLen: 1 }, extKeyUsage: [EKU.serverAuth] }, "server"],
  ];
  for (const [name, t, role] of cases) {
    let view: Certificate | undefined;
    const cert = await signTemplate({ ...base, serialNumber: randomSerial(rnd), ...t }, (tbs) => sign("sha256", tbs, caKey.privateKey), caKey.algorithm, {
      check: (u) => void (view = u),
    });
    const parsed = parseCertificateDer(cert.der);
    assert.ok(view);
    assert.deepEqual(lintCertificate(view, { role }), lintCertificate(parsed, { role }), name);
    for (const f of ["version", "subject", "subjectDer", "issuerDer", "notBefore", "notAfter", "spki", "keyAlgorithm", "signatureAlgorithm", "sans", "keyUsage", "extKeyUsage", "basicConstraints", "subjectKeyId", "authorityKeyId", "extensions"] as const) {
      assert.deepEqual(view[f], parsed[f], `${name}: view.${f}`);
    }
    for (const f of FIELDS) assert.deepEqual(cert[f], parsed[f], `${name}: lazy ${f}`);
    assert.deepEqual({ ...cert }, { ...parsed }, `${name}: spread sees every field`);
    assert.ok(Object.isFrozen(cert));
    const ca = await signTemplate({ ...base, serialNumber: randomSerial(rnd), subject: caSubject, spki: caSpki, subjectKeyId: keyIdentifier(caSpki), basicConstraints: { ca: true } },
      (tbs) => sign(signatureSchemeFor(caKey.algorithm).digest, tbs, caKey.privateKey), caKey.algorithm);
    assert.ok(verifySignedBy(cert, ca), `${name}: verifies under the CA`);
  }
});
