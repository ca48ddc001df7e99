import { test } from "node:test";
import assert from "node:assert/strict";
import { EKU } from "../pki/index.ts";
import { CaError } from "./errors.ts";
import { K8S_USAGES, usagesToExtensions } from "./usages.ts";

test("the 23 certificates.k8s.io usages map as policies.go does (reference §5.2)", () => {
  assert.equal(K8S_USAGES.length, 23);
  const cases: [string[], string[], string[]][] = [
    [["signing"], ["digitalSignature"], []],
    [["digital signature", "key encipherment", "server auth"], ["digitalSignature", "keyEncipherment"], [EKU.serverAuth]],
    [["client auth", "server auth", "any"], [], [EKU.any, EKU.serverAuth, EKU.clientAuth]],
    [["s/mime", "email protection"], [], [EKU.emailProtection]],
    [["content commitment", "key agreement", "data encipherment", "cert sign", "crl sign", "encipher only", "decipher only"],
      ["contentCommitment", "dataEncipherment", "keyAgreement", "keyCertSign", "cRLSign", "encipherOnly", "decipherOnly"], []],
    [["netscape sgc", "microsoft sgc", "ocsp signing", "timestamping", "ipsec user", "ipsec tunnel", "ipsec end system", "code signing"], [],
      [EKU.codeSigning, EKU.ipsecEndSystem, EKU.ipsecTunnel, EKU.ipsecUser, EKU.timeStamping, EKU.ocspSigning, EKU.microsoftSgc, EKU.netscapeSgc]],
    [["content committment"], ["contentCommitment"], []], // cfssl's spelling
    [[], [], []],
  ];
  for (const [usages, ku, eku] of cases) assert.deepEqual(usagesToExtensions(usages), { keyUsage: ku, extKeyUsage: eku }, usages.join(","));
  for (const u of K8S_USAGES) usagesToExtensions([u]);
});

test("unknown usages are listed like Go's %q", () => {
  assert.throws(
    () => usagesToExtensions(["server auth", "bogus", "Client Auth"]),
    (e: unknown) => e instanceof CaError && e.code === "unknown-usage" && e.message === 'unrecognized usage values: ["bogus" "Client Auth"]',
  );
});
