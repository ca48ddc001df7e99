import { DAY, fixedClock, systemRandom } from "../src/base/index.ts";
import { createLocalSigner, createRootCa, localKeySigner } from "../src/ca/index.ts";
import { createCsr, encodeCertificatePem, encodeCsrPem, generateKeyPair, generateKeyPairAsync, parseCsrPem, parseDn, sansFromHosts } from "../src/pki/index.ts";
const alg = { kind: "ecdsa", curve: "P-256" } as const;
const clock = fixedClock(new Date());
const caKey = generateKeyPair(alg);
const ca = await createRootCa({ subject: parseDn("/CN=bench-ca"), key: caKey, validityMs: 3650 * DAY, clock, random: systemRandom });
const signer = createLocalSigner({ signerName: "bench", caCertificate: ca, key: localKeySigner(caKey), clock, random: systemRandom });
const keys = await Promise.all(Array.from({ length: Number(process.argv[2] ?? 2000) }, () => generateKeyPairAsync(alg)));
const csrs = keys.map((key, i) => encodeCsrPem(createCsr({ subject: parseDn(`/CN=node-${i}/O=system:nodes`), sans: sansFromHosts([`node-${i}.example`, `node-${i}`, "10.0.0.1", "fd00::1"]), key })));
const PROFILE = { name: "bench", usages: ["digital signature", "key encipherment", "server auth", "client auth"], expiryMs: 365 * DAY };
for (let round = 0; round < 2; round++) {
  const c0 = process.cpuUsage(); const s = performance.now();
  for (let i = 0; i < 6000; i++) encodeCertificatePem((await signer.sign(parseCsrPem(csrs[i % csrs.length]!), PROFILE)).certificate);
  const c = process.cpuUsage(c0);
  console.log(process.argv[2], (6000 / ((performance.now() - s) / 1000)).toFixed(0), "certs/s wall;", (6000 / ((c.user + c.system) / 1e6)).toFixed(0), "certs/cpu-s");
}
