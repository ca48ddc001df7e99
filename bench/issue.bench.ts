// In-process issuance (CSR PEM parse + proof-of-possession verify + lint gate + sign + PEM encode) per
// second for a P-256 and an RSA-2048 CA, side by side with `openssl speed` on the same machine in the
// same run: P-256 is bounded by one verify plus one sign per certificate (1/(1/sign+1/verify)), RSA by
// the CA's sign rate. Every CSR carries its own public key, so each one pays the key import, as a real
// signer does. Leaf keys are the CA's key type (reference/perf-anchors.md §2).
import { spawnSync } from "node:child_process";
import { availableParallelism, loadavg } from "node:os";
import { DAY, fixedClock, systemRandom } from "../src/base/index.ts";
import { createLocalSigner, createPooledSigner, createRootCa, localKeySigner } from "../src/ca/index.ts";
import type { SigningProfile } from "../src/ca/index.ts";
import { createCsr, encodeCertificatePem, encodeCsrPem, generateKeyPair, generateKeyPairAsync, parseCsrPem, parseDn, sansFromHosts } from "../src/pki/index.ts";
import type { KeyAlgorithm } from "../src/pki/index.ts";
import type { Reporter } from "./run.ts";

const SECONDS = 3;
const PROFILE: SigningProfile = {
  name: "bench",
  usages: ["digital signature", "key encipherment", "server auth", "client auth"],
  expiryMs: 365 * DAY,
};

/** threads = 0: the plain local signer on this thread; > 0: a pooled signer with that many worker
 *  threads and 256 issuances in flight (as a busy signing controller or API has). */
async function issueRate(alg: KeyAlgorithm, distinctKeys: number, threads: number): Promise<{ rate: number; cpuRate: number; count: number }> {
  const clock = fixedClock(new Date());
  const random = systemRandom;
  const caKey = generateKeyPair(alg);
  const ca = await createRootCa({ subject: parseDn("/CN=bench-ca"), key: caKey, validityMs: 3650 * DAY, clock, random });
  const signer =
    threads === 0
      ? { ...createLocalSigner({ signerName: "bench", caCertificate: ca, key: localKeySigner(caKey), clock, random }), close: async () => {} }
      : createPooledSigner({ signerName: "bench", caCertificate: ca, caKey, clock, random, threads });
  const keys = await Promise.all(Array.from({ length: distinctKeys }, () => generateKeyPairAsync(alg)));
  const csrs = keys.map((key, i) =>
    encodeCsrPem(createCsr({ subject: parseDn(`/CN=node-${i}/O=system:nodes`), sans: sansFromHosts([`node-${i}.example`, `node-${i}`, "10.0.0.1", "fd00::1"]), key })),
  );
  const issueOne = async (i: number): Promise<number> => {
    const csr = parseCsrPem(csrs[i % csrs.length]!);
    const { certificate } = await signer.sign(csr, PROFILE);
    return encodeCertificatePem(certificate).length;
  };
  const inFlight = threads === 0 ? 1 : 256;
  let count = 0;
  let end = 0;
  const client = async (): Promise<void> => {
    while (performance.now() < end) await issueOne(count++);
  };
  end = performance.now() + 300; // warm-up (JIT, worker start)
  await Promise.all(Array.from({ length: inFlight }, client));
  count = 0;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  end = start + SECONDS * 1000;
  await Promise.all(Array.from({ length: inFlight }, client));
  const rate = count / ((performance.now() - start) / 1000);
  const cpu = process.cpuUsage(cpu0); // every thread of the process, user + system
  await signer.close();
  return { rate, cpuRate: count / ((cpu.user + cpu.system) / 1e6), count };
}

/** `openssl speed` prints "… sign/s verify/s" as the last two numbers of the algorithm's line. */
function opensslSpeed(alg: string, linePattern: RegExp): { sign: number; verify: number } | undefined {
  const r = spawnSync("openssl", ["speed", "-seconds", String(SECONDS), alg], { encoding: "utf8" });
  const line = r.stdout.split("\n").find((l) => linePattern.test(l));
  const nums = line?.trim().split(/\s+/).map(Number).filter((n) => Number.isFinite(n)) ?? [];
  if (nums.length < 2) return undefined;
  return { sign: nums[nums.length - 2]!, verify: nums[nums.length - 1]! };
}

/** openssl's P-256 sign and verify rates measured before and after `between`, averaged: this shared
 *  VM's speed drifts by tens of percent within a minute, and one openssl run on one side of ours
 *  made the ratio swing 0.36–0.52 for the same code. */
async function aroundOpenssl<T>(between: () => Promise<T>): Promise<{ ssl: { sign: number; verify: number } | undefined; runs: string; result: T }> {
  const before = opensslSpeed("ecdsap256", /ecdsa \(nistp256\)/);
  const result = await between();
  const after = opensslSpeed("ecdsap256", /ecdsa \(nistp256\)/);
  const both = [before, after].filter((x) => x !== undefined);
  const mean = (f: (x: { sign: number; verify: number }) => number): number => both.reduce((a, x) => a + f(x), 0) / both.length;
  const runs = both.map((x) => `sign ${x.sign.toFixed(0)}/s, verify ${x.verify.toFixed(0)}/s`).join(" → ");
  return { ssl: both.length > 0 ? { sign: mean((x) => x.sign), verify: mean((x) => x.verify) } : undefined, runs, result };
}

export default async function (r: Reporter): Promise<void> {
  const { ssl: sslP256, runs, result: p256Rows } = await aroundOpenssl(async () => {
    const rows: { how: string; rate: number; cpuRate: number }[] = [];
    for (const threads of [0, 2]) {
      const p256 = await issueRate({ kind: "ecdsa", curve: "P-256" }, 2000, threads);
      rows.push({ how: threads === 0 ? "1 thread" : `pool ${threads} threads`, rate: p256.rate, cpuRate: p256.cpuRate });
    }
    return rows;
  });
  const p256Limit = sslP256 ? 1 / (1 / sslP256.sign + 1 / sslP256.verify) : undefined;
  if (sslP256) r.note(`openssl speed ecdsap256 before and after kpki's rows: ${runs} (one core; the mean is the peer)`);
  for (const p of p256Rows) {
    r.row({ name: `issue P-256 CA, ${p.how}`, ours: p.rate, peer: p256Limit, peerName: "openssl 1-core sign+verify", unit: "certs/s", note: `${p.cpuRate.toFixed(0)} per CPU-second` });
  }
  const sslRsa = opensslSpeed("rsa2048", /^rsa\s+2048 bits/);
  if (sslRsa) r.note(`openssl speed rsa2048: sign ${sslRsa.sign.toFixed(0)}/s, verify ${sslRsa.verify.toFixed(0)}/s (one core)`);
  for (const threads of [0, 2]) {
    const rsa = await issueRate({ kind: "rsa", bits: 2048 }, 8, threads);
    const how = threads === 0 ? "1 thread" : `pool ${threads} threads`;
    r.row({ name: `issue RSA-2048 CA, ${how}`, ours: rsa.rate, peer: sslRsa?.sign, peerName: "openssl 1-core sign", unit: "certs/s", note: `${rsa.cpuRate.toFixed(0)} per CPU-second` });
  }
  r.note("openssl speed divides by its user CPU time; the kpki rows are wall-clock, with certificates per CPU-second (all threads) beside them");
  r.note(`load average at the end: ${loadavg().map((x) => x.toFixed(1)).join(" ")} on ${availableParallelism()} CPUs`);
  r.note("issue = CSR PEM parse + proof-of-possession verify + lint gate + sign + PEM, every CSR a distinct key");
  r.note("goals (issue 2): P-256 ≥ 0.40× the openssl sign+verify row (≈ 6500/s on an idle machine), RSA ≥ 0.70× openssl sign; the pool rows are the ones that count");
}
