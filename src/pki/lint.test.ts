import { test } from "node:test";
import assert from "node:assert/strict";
import { sign } from "node:crypto";
import { seededRandom } from "../base/index.ts";
import { keyIdentifier, randomSerial } from "./certificate.ts";
import { signTemplate } from "./issued.ts";
import { describeCertificate, describeCsr } from "./describe.ts";
import { createCsr } from "./csr.ts";
import { generateKeyPair, spkiOf } from "./keys.ts";
import { inferRole, lintCertificate } from "./lint.ts";
import type { CertRole } from "./lint-rules.ts";
import { encodeDn, makeSans, parseDn, sansFromHosts } from "./names.ts";
import { EKU } from "./oids.ts";
import { signatureSchemeFor } from "./sigalg.ts";
import type { Certificate, CertificateTemplate, KeyPair } from "./types.ts";

const rnd = seededRandom(5);
const caKey = generateKeyPair({ kind: "ecdsa", curve: "P-256" });
const leafKey = generateKeyPair({ kind: "ecdsa", curve: "P-256" });
const NB = new Date("2026-01-01T00:00:00Z");
const NA = new Date("2027-01-01T00:00:00Z");

async function make(t: Partial<CertificateTemplate> & { subject: CertificateTemplate["subject"] }, key: KeyPair, signer: KeyPair, issuer?: Certificate): Promise<Certificate> {
  const spki = spkiOf(key.publicKey);
  return signTemplate({
    serialNumber: randomSerial(rnd), issuerDer: issuer?.subjectDer ?? encodeDn(t.subject), notBefore: NB, notAfter: NA, spki,
    subjectKeyId: keyIdentifier(spki), authorityKeyId: issuer?.subjectKeyId ?? keyIdentifier(spki), ...t,
  }, (tbs) => sign(signatureSchemeFor(signer.algorithm).digest, tbs, signer.privateKey), signer.algorithm);
}

test("lint: each rule fires on the certificate that breaks it, and only there", async () => {
  const ca = await make({ subject: parseDn("/CN=ca"), basicConstraints: { ca: true }, keyUsage: ["keyCertSign", "cRLSign", "digitalSignature"] }, caKey, caKey);
  assert.deepEqual(lintCertificate(ca, { role: "root-ca", at: NB }), []);
  const leaf = (t: Partial<CertificateTemplate>, subject = "/CN=leaf") =>
    make({ subject: parseDn(subject), basicConstraints: { ca: false }, keyUsage: ["digitalSignature"], ...t }, leafKey, caKey, ca);
  const server = { extKeyUsage: [EKU.serverAuth], sans: sansFromHosts(["leaf.example"]) };
  const cases: [string, Promise<Certificate>, CertRole | undefined, string[]][] = [
    ["clean server", leaf(server), "server", []],
    ["server without SAN", leaf({ extKeyUsage: [EKU.serverAuth] }), "server", ["e_server_auth_without_san"]],
    ["CA without keyCertSign", make({ subject: parseDn("/CN=ca2"), basicConstraints: { ca: true }, keyUsage: ["digitalSignature"] }, caKey, caKey), "root-ca",
      ["e_ca_key_cert_sign_missing"]],
    ["CA role without CA flag", make({ subject: parseDn("/CN=ca3"), keyUsage: ["keyCertSign"] }, caKey, caKey), "root-ca",
      ["e_ca_flag_missing", "e_cert_sign_without_ca"]],
    ["CA without SKI", make({ subject: parseDn("/CN=ca4"), basicConstraints: { ca: true }, keyUsage: ["keyCertSign"], subjectKeyId: undefined }, caKey, caKey),
      "root-ca", ["e_ca_subject_key_identifier_missing"]],
    ["leaf outliving CA", leaf({ ...server, notAfter: new Date("2040-01-01T00:00:00Z") }), "server", ["e_outlives_issuer", "w_leaf_validity_over_825_days"]],
    ["notBefore after notAfter", leaf({ ...server, notBefore: NA, notAfter: NB }), "server", ["e_validity_inverted"]],
    ["pathLen on non-CA", leaf({ ...server, basicConstraints: { ca: false, pathLen: 1 } }), "server", ["e_path_len_without_ca"]],
    ["leaf that is a CA", leaf({ ...server, basicConstraints: { ca: true }, keyUsage: ["keyCertSign"] }), "server", ["e_leaf_is_ca"]],
    ["zero serial", leaf({ ...server, serialNumber: Uint8Array.of(0) }), "server", ["e_serial_not_positive"]],
    ["21-octet serial", leaf({ ...server, serialNumber: new Uint8Array(21).fill(0x11) }), "server", ["e_serial_too_long"]],
    ["empty subject, SAN not critical", leaf(server, ""), "server", []],
    ["empty subject, no SAN", leaf({ extKeyUsage: [EKU.clientAuth] }, ""), "client", ["e_empty_subject_without_critical_san"]],
    ["kubelet serving bad CN", leaf({ ...server }, "/CN=worker-1/O=system:nodes"), "kubelet-serving", ["e_kubelet_cn"]],
    ["kubelet serving bad O", leaf({ ...server }, "/CN=system:node:w1/O=system:masters"), "kubelet-serving", ["e_kubelet_organization"]],
    ["kubelet client with SANs", leaf({ extKeyUsage: [EKU.clientAuth], sans: sansFromHosts(["w1"]) }, "/CN=system:node:w1/O=system:nodes"),
      "kubelet-client", ["e_kubelet_client_sans"]],
    ["client role with server EKU", leaf(server), "client", ["e_client_eku_missing"]],
    ["bad wildcard", leaf({ extKeyUsage: [EKU.serverAuth], sans: makeSans({ dns: ["a.*.example"] }) }), "server", ["e_dns_san_invalid"]],
    ["no AKI", leaf({ ...server, authorityKeyId: undefined }), "server", ["e_authority_key_identifier_missing"]],
  ];
  for (const [name, p, role, want] of cases) {
    const c = await p;
    const ids = lintCertificate(c, { issuer: role === "root-ca" ? undefined : ca, role }).map((f) => f.id);
    assert.deepEqual(ids, want, name);
  }
});

test("inferRole and describe", async () => {
  const ca = await make({ subject: parseDn("/CN=ca"), basicConstraints: { ca: true, pathLen: 1 }, keyUsage: ["keyCertSign"] }, caKey, caKey);
  const mk = (subject: string, eku?: string[], hosts: string[] = []) =>
    make({ subject: parseDn(subject), extKeyUsage: eku, sans: sansFromHosts(hosts) }, leafKey, caKey, ca);
  const cases: [Promise<Certificate>, CertRole][] = [
    [Promise.resolve(ca), "root-ca"],
    [make({ subject: parseDn("/CN=int"), basicConstraints: { ca: true } }, leafKey, caKey, ca), "intermediate-ca"],
    [mk("/CN=system:node:w1/O=system:nodes", [EKU.serverAuth], ["w1"]), "kubelet-serving"],
    [mk("/CN=system:node:w1/O=system:nodes", [EKU.clientAuth]), "kubelet-client"],
    [mk("/CN=etcd", [EKU.serverAuth, EKU.clientAuth], ["etcd"]), "peer"],
    [mk("/CN=api", [EKU.serverAuth], ["api"]), "server"],
    [mk("/CN=admin/O=system:masters", [EKU.clientAuth]), "client"],
  ];
  for (const [p, want] of cases) assert.equal(inferRole(await p), want);

  const leaf = await mk("/CN=api/O=a/O=b", [EKU.serverAuth, EKU.clientAuth], ["api.example", "10.0.0.1"]);
  const d = describeCertificate(leaf);
  assert.equal(d.subject, "CN = api, O = a, O = b");
  assert.equal(d.issuer, "CN = ca");
  assert.equal(d.key.description, "ECDSA P-256");
  assert.deepEqual(d.extKeyUsage, ["TLS Web Server Authentication", "TLS Web Client Authentication"]);
  assert.equal(d.sans.text, "DNS:api.example, IP Address:10.0.0.1");
  assert.equal(d.authorityKeyId, describeCertificate(ca).subjectKeyId);
  assert.match(d.sha256Fingerprint, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  assert.deepEqual(describeCertificate(ca).basicConstraints, { ca: true, pathLen: 1, critical: true });
  assert.equal(JSON.parse(JSON.stringify(d)).serialHex, leaf.serialHex);
  const csr = describeCsr(createCsr({ subject: parseDn("/CN=x"), sans: sansFromHosts(["x"]), key: leafKey, ca: true }));
  assert.equal(csr.requestsCa, true);
  assert.equal(csr.sans.text, "DNS:x");
});

test("serial 0: a warning on an existing self-signed CA (client-go certutil before 2019), an error everywhere else", async () => {
  const zero = Uint8Array.of(0);
  const ca = await make({ subject: parseDn("/CN=ca"), basicConstraints: { ca: true }, keyUsage: ["keyCertSign"] }, caKey, caKey);
  const oldRoot = await make({ subject: parseDn("/CN=kubernetes"), basicConstraints: { ca: true }, keyUsage: ["keyCertSign"], serialNumber: zero }, caKey, caKey);
  const zeroInter = await make({ subject: parseDn("/CN=int"), basicConstraints: { ca: true }, keyUsage: ["keyCertSign"], serialNumber: zero }, leafKey, caKey, ca);
  const zeroLeaf = await make({ subject: parseDn("/CN=leaf"), extKeyUsage: [EKU.clientAuth], serialNumber: zero }, leafKey, caKey, ca);
  // Issuer = subject but CA:FALSE: a self-signed leaf is no CA, so no allowance.
  const zeroSelfLeaf = await make({ subject: parseDn("/CN=self"), basicConstraints: { ca: false }, extKeyUsage: [EKU.clientAuth], serialNumber: zero }, leafKey, leafKey);
  const cases: [string, Certificate, { issuer?: Certificate; preIssuance?: boolean }, string[]][] = [
    ["old kubeadm root", oldRoot, {}, ["w_root_serial_zero"]],
    ["old kubeadm root, about to be issued", oldRoot, { preIssuance: true }, ["e_serial_not_positive"]],
    ["intermediate", zeroInter, { issuer: ca }, ["e_serial_not_positive"]],
    ["leaf", zeroLeaf, { issuer: ca }, ["e_serial_not_positive"]],
    ["self-signed leaf", zeroSelfLeaf, {}, ["e_serial_not_positive"]],
    ["random serial root", ca, {}, []],
  ];
  for (const [name, c, ctx, want] of cases) {
    const found = lintCertificate(c, ctx).filter((f) => f.id.includes("serial"));
    assert.deepEqual(found.map((f) => f.id), want, name);
    if (want[0] === "w_root_serial_zero") assert.equal(found[0]?.level, "warning", name);
  }
});
