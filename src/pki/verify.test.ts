import { test } from "node:test";
import assert from "node:assert/strict";
import { sign } from "node:crypto";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { seededRandom } from "../base/index.ts";
import { encodeCertificatePem, keyIdentifier, randomSerial } from "./certificate.ts";
import { signTemplate } from "./issued.ts";
import { generateKeyPair, spkiOf } from "./keys.ts";
import { encodeDn, parseDn, sansFromHosts } from "./names.ts";
import { EKU } from "./oids.ts";
import { signatureSchemeFor } from "./sigalg.ts";
import type { Certificate, CertificateTemplate, KeyPair, Purpose } from "./types.ts";
import { matchesHost, verifyChain } from "./verify.ts";

const rnd = seededRandom(99);
const T0 = new Date("2026-06-01T00:00:00Z");
const YEAR = 365 * 86_400_000;

interface Issued { cert: Certificate; key: KeyPair }
async function issue(cn: string, issuer: Issued | undefined, over: Partial<CertificateTemplate> = {}): Promise<Issued> {
  const key = generateKeyPair({ kind: "ecdsa", curve: "P-256" });
  const spki = spkiOf(key.publicKey);
  const subject = parseDn(`/CN=${cn}`);
  const signingKey = issuer?.key ?? key;
  const t: CertificateTemplate = {
    serialNumber: randomSerial(rnd),
    subject,
    issuerDer: issuer?.cert.subjectDer ?? encodeDn(subject),
    notBefore: new Date(T0.getTime() - 3600_000),
    notAfter: new Date(T0.getTime() + YEAR),
    spki,
    subjectKeyId: keyIdentifier(spki),
    authorityKeyId: issuer?.cert.subjectKeyId ?? keyIdentifier(spki),
    ...over,
  };
  const cert = await signTemplate(t, (tbs) => sign(signatureSchemeFor(signingKey.algorithm).digest, tbs, signingKey.privateKey), signingKey.algorithm);
  return { cert, key };
}
const CA = { basicConstraints: { ca: true }, keyUsage: ["digitalSignature", "keyCertSign", "cRLSign"] } as const;

test("verifyChain: Go semantics and messages", async () => {
  const root = await issue("root", undefined, CA);
  const root0 = await issue("root0", undefined, { ...CA, basicConstraints: { ca: true, pathLen: 0 } });
  const other = await issue("other-root", undefined, CA);
  const inter = await issue("inter", root, CA);
  const interClientOnly = await issue("inter-client", root, { ...CA, extKeyUsage: [EKU.clientAuth] });
  const inter0 = await issue("inter0", root0, CA);
  const notCa = await issue("not-a-ca", root, { basicConstraints: { ca: false } });
  const noCertSign = await issue("no-cert-sign", root, { basicConstraints: { ca: true }, keyUsage: ["digitalSignature"] });
  const server = { basicConstraints: { ca: false }, extKeyUsage: [EKU.serverAuth], sans: sansFromHosts(["api.example.com", "*.apps.example.com", "10.0.0.1"]) };
  const leaf = await issue("leaf", inter, server);
  const leafNoEku = await issue("leaf-any", inter, { sans: sansFromHosts(["x.example"]) });
  const leafUnderClientInter = await issue("leaf2", interClientOnly, server);
  const leafUnder0 = await issue("leaf3", inter0, server);
  const leafUnderNotCa = await issue("leaf4", notCa, server);
  const leafUnderNoSign = await issue("leaf5", noCertSign, server);
  const leafNoSan = await issue("legacy", inter, { extKeyUsage: [EKU.serverAuth] });

  const cases: [string, Certificate, { roots: Certificate[]; intermediates?: Certificate[]; purpose: Purpose; at?: Date; host?: string }, string | number][] = [
    ["good chain", leaf.cert, { roots: [root.cert], intermediates: [inter.cert], purpose: "server", host: "api.example.com" }, 3],
    ["wildcard", leaf.cert, { roots: [root.cert], intermediates: [inter.cert], purpose: "server", host: "web.apps.example.com" }, 3],
    ["IP host", leaf.cert, { roots: [root.cert], intermediates: [inter.cert], purpose: "server", host: "10.0.0.1" }, 3],
    ["root alone is trusted", root.cert, { roots: [root.cert], purpose: "any" }, 1],
    ["no EKU = any purpose", leafNoEku.cert, { roots: [root.cert], intermediates: [inter.cert], purpose: "client" }, 3],
    ["missing intermediate", leaf.cert, { roots: [root.cert], purpose: "server" }, "x509: certificate signed by unknown authority"],
    ["wrong root", leaf.cert, { roots: [other.cert], intermediates: [inter.cert], purpose: "server" }, "x509: certificate signed by unknown authority"],
    ["expired", leaf.cert, { roots: [root.cert], intermediates: [inter.cert], purpose: "server", at: new Date(T0.getTime() + 2 * YEAR) },
      "x509: certificate has expired or is not yet valid: current time 2028-05-31T00:00:00Z is after 2027-06-01T00:00:00Z"],
    ["not yet valid", leaf.cert, { roots: [root.cert], intermediates: [inter.cert], purpose: "server", at: new Date("2026-01-01T00:00:00Z") },
      "x509: certificate has expired or is not yet valid: current time 2026-01-01T00:00:00Z is before 2026-05-31T23:00:00Z"],
    ["wrong host", leaf.cert, { roots: [root.cert], intermediates: [inter.cert], purpose: "server", host: "evil.example.com" },
      "x509: certificate is valid for api.example.com, *.apps.example.com, not evil.example.com"],
    ["wildcard is one label only", leaf.cert, { roots: [root.cert], intermediates: [inter.cert], purpose: "server", host: "a.b.apps.example.com" },
      "x509: certificate is valid for api.example.com, *.apps.example.com, not a.b.apps.example.com"],
    ["wrong IP", leaf.cert, { roots: [root.cert], intermediates: [inter.cert], purpose: "server", host: "10.0.0.2" }, "x509: certificate is valid for 10.0.0.1, not 10.0.0.2"],
    ["no IP SANs", leafNoEku.cert, { roots: [root.cert], intermediates: [inter.cert], purpose: "server", host: "10.0.0.2" },
      "x509: cannot validate certificate for 10.0.0.2 because it doesn't contain any IP SANs"],
    ["CN only", leafNoSan.cert, { roots: [root.cert], intermediates: [inter.cert], purpose: "server", host: "legacy" },
      "x509: certificate relies on legacy Common Name field, use SANs instead"],
    ["server cert used as client", leaf.cert, { roots: [root.cert], intermediates: [inter.cert], purpose: "client" }, "x509: certificate specifies an incompatible key usage"],
    ["intermediate EKU restricts leaf", leafUnderClientInter.cert, { roots: [root.cert], intermediates: [interClientOnly.cert], purpose: "server" },
      "x509: certificate specifies an incompatible key usage"],
    ["pathLen 0 root over an intermediate", leafUnder0.cert, { roots: [root0.cert], intermediates: [inter0.cert], purpose: "server" },
      "x509: too many intermediates for path length constraint"],
    ["issuer is not a CA", leafUnderNotCa.cert, { roots: [root.cert], intermediates: [notCa.cert], purpose: "server" }, "parent certificate cannot sign"],
    ["issuer lacks keyCertSign", leafUnderNoSign.cert, { roots: [root.cert], intermediates: [noCertSign.cert], purpose: "server" }, "parent certificate cannot sign"],
  ];
  for (const [name, cert, opts, want] of cases) {
    const r = verifyChain(cert, { ...opts, at: opts.at ?? T0 });
    if (typeof want === "number") {
      assert.ok(r.ok, `${name}: ${r.ok ? "" : r.reason}`);
      assert.equal(r.ok && r.chain.length, want, name);
    } else {
      assert.equal(r.ok, false, name);
      assert.ok(!r.ok && r.reason.includes(want), `${name}: got "${!r.ok ? r.reason : ""}"`);
    }
  }

  // openssl agrees on the good chain and on the missing intermediate
  const dir = mkdtempSync(join(tmpdir(), "kpki-verify-"));
  const f = (n: string, c: Certificate): string => (writeFileSync(join(dir, n), encodeCertificatePem(c)), join(dir, n));
  const args = ["verify", "-attime", String(T0.getTime() / 1000), "-CAfile", f("root.pem", root.cert)];
  assert.equal(spawnSync("openssl", [...args, "-untrusted", f("inter.pem", inter.cert), f("leaf.pem", leaf.cert)]).status, 0);
  assert.notEqual(spawnSync("openssl", [...args, join(dir, "leaf.pem")]).status, 0);
  assert.notEqual(spawnSync("openssl", [...args, "-untrusted", f("inter0.pem", inter0.cert), f("leaf3.pem", leafUnder0.cert)]).status, 0);
});

test("matchesHost per RFC 6125", async () => {
  const c = (await issue("h", undefined, { sans: sansFromHosts(["*.example.com", "Exact.Example.ORG", "::1", "10.0.0.5"]) })).cert;
  const cases: [string, boolean][] = [
    ["a.example.com", true], ["A.EXAMPLE.COM", true], ["example.com", false], ["a.b.example.com", false], ["exact.example.org", true],
    ["exact.example.org.", true], ["::1", true], ["0:0:0:0:0:0:0:1", true], ["127.0.0.1", false],
    ["10.0.0.5", true],
    // Go ≥ 1.17 net.ParseIP: a leading-zero octet makes no IP address; as a DNS name it matches nothing here.
    ["010.0.0.5", false], ["10.0.0.05", false], ["10.00.0.5", false], ["::ffff:010.0.0.5", false],
    // Go's VerifyHostname: brackets around an IP are dropped, ip.Equal treats ::ffff:a.b.c.d as a.b.c.d, zones make no IP.
    ["[::1]", true], ["[10.0.0.5]", true], ["::ffff:10.0.0.5", true], ["[::ffff:10.0.0.5]", true], ["::1%lo", false], ["[]", false],
    // RFC 6125 §6.4.3: wildcards belong to the certificate, never to the name asked for.
    ["*.example.com", false], ["*.EXAMPLE.com", false], ["*", false], ["a*.example.com", false],
  ];
  for (const [host, want] of cases) assert.equal(matchesHost(c, host), want, host);
});

test("verify --host errors read like Go's for leading-zero IPs and wildcard requests", async () => {
  const ipOnly = (await issue("ip", undefined, { sans: sansFromHosts(["10.0.0.5"]) })).cert;
  const wild = (await issue("w", undefined, { sans: sansFromHosts(["*.example.com"]) })).cert;
  const cases: [string, Certificate, string, string | number][] = [
    ["leading zero is a name; only IP SANs", ipOnly, "010.0.0.5", "x509: certificate is not valid for any names, but wanted to match 010.0.0.5"],
    ["the same address without the zero", ipOnly, "10.0.0.5", 1],
    ["bracketed IP: Go names it without brackets", ipOnly, "[10.0.0.6]", "x509: certificate is valid for 10.0.0.5, not 10.0.0.6"],
    ["bracketed name is no IP", ipOnly, "[10.0.0.06]", "x509: certificate is not valid for any names, but wanted to match [10.0.0.06]"],
    ["wildcard request", wild, "*.example.com", "x509: certificate is valid for *.example.com, not *.example.com"],
  ];
  for (const [name, c, host, want] of cases) {
    const r = verifyChain(c, { roots: [c], purpose: "any", at: T0, host });
    assert.deepEqual(r.ok ? r.chain.length : r.reason, want, name);
  }
});
