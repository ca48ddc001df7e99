import { test } from "node:test";
import assert from "node:assert/strict";
import { createPrivateKey, createPublicKey, sign, verify } from "node:crypto";
import { encodePrivateKeyPem, encodePublicKeyPem, generateKeyPairDer, keyPairSpki, parsePrivateKeyPem, spkiOf } from "./keys.ts";
import type { KeyAlgorithm } from "./types.ts";

// generateKeyPairDer assembles the DER itself (no OpenSSL encoder): it must be exactly what OpenSSL writes.
test("generateKeyPairDer: SPKI and PKCS#8 are byte for byte OpenSSL's, and the key signs", () => {
  const algs: KeyAlgorithm[] = [{ kind: "ecdsa", curve: "P-256" }, { kind: "ecdsa", curve: "P-384" }, { kind: "ecdsa", curve: "P-521" }, { kind: "ed25519" }];
  for (const alg of algs) {
    for (let i = 0; i < 20; i++) {
      const k = generateKeyPairDer(alg);
      assert.deepEqual(k.algorithm, alg);
      const pem = encodePrivateKeyPem(k);
      const reparsed = createPrivateKey(pem);
      assert.equal(pem, reparsed.export({ format: "pem", type: "pkcs8" }), `${JSON.stringify(alg)}: PKCS#8 as OpenSSL re-encodes it`);
      assert.deepEqual(keyPairSpki(k), new Uint8Array(createPublicKey(reparsed).export({ format: "der", type: "spki" })), "SPKI");
      assert.deepEqual(spkiOf(k.publicKey), keyPairSpki(k), "lazy public KeyObject");
      assert.equal(encodePublicKeyPem(k), encodePublicKeyPem(k.publicKey));
      const data = Buffer.from(`message ${i}`);
      const digest = alg.kind === "ed25519" ? null : "sha256";
      assert.ok(verify(digest, data, k.publicKey, sign(digest, data, k.privateKey)));
      assert.deepEqual(parsePrivateKeyPem(pem).algorithm, alg);
    }
  }
});

test("verifyCsrSignatureAsync (raw EC import) agrees with verifyCsrSignature, off-curve points included", async () => {
  const { createCsr, parseCsrDer, verifyCsrSignature, verifyCsrSignatureAsync } = await import("./csr.ts");
  const { parseDn } = await import("./names.ts");
  const { generateKeyPair } = await import("./keys.ts");
  for (const alg of [{ kind: "ecdsa", curve: "P-256" }, { kind: "ecdsa", curve: "P-521" }, { kind: "ed25519" }, { kind: "rsa", bits: 2048 }] as KeyAlgorithm[]) {
    const csr = createCsr({ subject: parseDn("/CN=x"), key: generateKeyPair(alg) });
    assert.equal(await verifyCsrSignatureAsync(csr), true);
    const at = Buffer.from(csr.der).indexOf(Buffer.from(csr.spki)) + csr.spki.length - 1; // last octet of the key
    const bad = Uint8Array.from(csr.der);
    bad[at] = bad[at]! ^ 1; // off the curve for EC keys; a different key (so a bad signature) otherwise
    const tampered = parseCsrDer(bad);
    assert.equal(await verifyCsrSignatureAsync(tampered), false, JSON.stringify(alg));
    assert.equal(verifyCsrSignature(tampered), false, JSON.stringify(alg));
  }
});
