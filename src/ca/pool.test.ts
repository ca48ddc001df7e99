import { test } from "node:test";
import assert from "node:assert/strict";
import { DAY, fixedClock, seededRandom } from "../base/index.ts";
import { createCsr, generateKeyPair, parseCsrDer, parseDn, sansFromHosts, verifyChain } from "../pki/index.ts";
import type { KeyAlgorithm } from "../pki/index.ts";
import { createRootCa } from "./authority.ts";
import { CaError } from "./errors.ts";
import { createPooledSigner } from "./pool.ts";

const NOW = new Date("2026-06-01T00:00:00Z");
const clock = fixedClock(NOW);
const random = seededRandom(3);

test("pooled signer issues the same certificates as the local one, concurrently, and refuses forgeries", async () => {
  for (const alg of [{ kind: "ecdsa", curve: "P-256" }, { kind: "rsa", bits: 2048 }, { kind: "ed25519" }] as KeyAlgorithm[]) {
    const caKey = generateKeyPair(alg);
    const ca = await createRootCa({ subject: parseDn("/CN=pool-ca"), key: caKey, validityMs: 365 * DAY, clock, random });
    const signer = createPooledSigner({ signerName: "x", caCertificate: ca, caKey, clock, random, threads: 2 });
    try {
      const profile = { name: "p", usages: ["digital signature", "server auth"], expiryMs: 30 * DAY };
      const csrs = Array.from({ length: 40 }, (_, i) =>
        createCsr({ subject: parseDn(`/CN=n${i}`), sans: sansFromHosts([`n${i}.example`]), key: generateKeyPair({ kind: "ecdsa", curve: "P-256" }) }));
      const issued = await Promise.all(csrs.map((c) => signer.sign(c, profile)));
      for (const [i, { certificate }] of issued.entries()) {
        const r = verifyChain(certificate, { roots: [ca], purpose: "server", at: NOW, host: `n${i}.example` });
        assert.ok(r.ok, r.ok ? "" : r.reason);
      }
      const forged = { ...csrs[0]!, der: csrs[0]!.der.slice(0, -1) };
      await assert.rejects(() => signer.sign(forged, profile), (e: unknown) => e instanceof Error);
      const wrongSig = createCsr({ subject: parseDn("/CN=x"), sans: sansFromHosts(["x"]), key: generateKeyPair({ kind: "ed25519" }) });
      const bytes = Uint8Array.from(wrongSig.der);
      bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 1;
      await assert.rejects(() => signer.sign(parseCsrDer(bytes), profile), (e: unknown) => e instanceof CaError && e.code === "bad-csr");
    } finally {
      await signer.close();
    }
  }
});

test("a closed pool rejects instead of hanging", async () => {
  const caKey = generateKeyPair({ kind: "ed25519" });
  const ca = await createRootCa({ subject: parseDn("/CN=closed"), key: caKey, validityMs: DAY, clock, random });
  const signer = createPooledSigner({ signerName: "x", caCertificate: ca, caKey, clock, random, threads: 1 });
  await signer.close();
  const csr = createCsr({ subject: parseDn("/CN=a"), key: generateKeyPair({ kind: "ed25519" }) });
  await assert.rejects(() => signer.sign(csr, { name: "p", usages: ["client auth"], expiryMs: DAY }), (e: unknown) => e instanceof CaError && e.code === "signer-unavailable");
});
