import { test } from "node:test";
import assert from "node:assert/strict";
import { DAY, utf8 } from "../base/index.ts";
import { createCsr, encodeCertificatePem, formatDn, generateKeyPair, makeDn, type Certificate } from "../pki/index.ts";
import { createMemoryBackend, type StorageBackend } from "../storage/index.ts";
import { LEDGER_PREFIX } from "./ledger.ts";
import { issuerId, listRevocations, normalizeSerial, parseRevocationKey, recordRevocation, revocationKey, validateRecord, type RevocationRecord } from "./revocation.ts";
import { revokeCertificate, type RevocationContext } from "./revocation-request.ts";
import { startRevocationSet } from "./revocation-set.ts";
import { testCa, testClock, T0 } from "./testing.ts";

const GOOD: RevocationRecord = { serial: "1a2b", issuer: "CN=kubernetes", subject: "CN=alice,O=devs", reason: "keyCompromise", revokedAt: "2026-03-01T12:00:00Z", revokedBy: "kubernetes-admin" };

test("validateRecord", () => {
  const cases: [string, unknown, RegExp | undefined][] = [
    ["a good record", GOOD, undefined],
    ["not an object", "x", /must be a JSON object/],
    ["serial with leading zero", { ...GOOD, serial: "01a2" }, /lowercase hex without leading zeros/],
    ["serial upper case", { ...GOOD, serial: "1A2B" }, /lowercase hex/],
    ["serial longer than 20 octets", { ...GOOD, serial: "1".repeat(41) }, /at most 20 octets/],
    ["certificateHold is not offered", { ...GOOD, reason: "certificateHold" }, /unknown revocation reason "certificateHold": use one of unspecified, keyCompromise/],
    ["no such reason", { ...GOOD, reason: "lost" }, /unknown revocation reason "lost"/],
    ["empty issuer", { ...GOOD, issuer: "" }, /issuer must not be empty/],
    ["revokedAt not UTC", { ...GOOD, revokedAt: "2026-03-01T12:00:00+01:00" }, /RFC 3339 UTC/],
    ["revokedBy missing", { ...GOOD, revokedBy: undefined }, /revokedBy must be a string/],
  ];
  for (const [name, value, want] of cases) {
    const errs = validateRecord(value);
    if (want === undefined) assert.deepEqual(errs, [], name);
    else assert.match(errs.join("; "), want, name);
  }
});

test("normalizeSerial and keys", () => {
  const cases: [string, string | undefined][] = [["0x00AB:CD", "abcd"], ["ab cd", "abcd"], ["0", "0"], ["000", "0"], ["xyz", undefined], ["", undefined]];
  for (const [input, want] of cases) assert.equal(normalizeSerial(input), want, input);
  const id = issuerId(utf8("issuer"));
  assert.match(id, /^[0-9a-f]{32}$/);
  assert.deepEqual(parseRevocationKey(revocationKey(id, "abcd")), { issuerId: id, serial: "abcd" });
  for (const bad of ["/kpki/revoked/xyz/abcd", `/kpki/revoked/${id}/00ab`, `/kpki/revoked/${id}/ab/cd`, "/kpki/ledger/cert/ab"]) assert.equal(parseRevocationKey(bad), undefined, bad);
});

async function setup(): Promise<{ backend: StorageBackend; ctx: RevocationContext; ca: Certificate; issue: (cn: string) => Promise<Certificate> }> {
  const clock = testClock();
  const { root, signer } = await testCa(clock);
  const backend = createMemoryBackend({ clock });
  const issue = async (cn: string): Promise<Certificate> => {
    const csr = createCsr({ subject: makeDn([{ type: "O", value: "devs" }, { type: "CN", value: cn }]), key: generateKeyPair({ kind: "ecdsa", curve: "P-256" }) });
    return (await signer.sign(csr, { name: "client", usages: ["digital signature", "client auth"], expiryMs: DAY })).certificate;
  };
  return { backend, ca: root, issue, ctx: { backend, cas: [root], revokedBy: "admin", now: new Date(T0) } };
}

test("revokeCertificate: by certificate, by ledger serial, by serial + issuer; twice; bad requests", async () => {
  const { backend, ctx, ca, issue } = await setup();
  const alice = await issue("alice");
  const first = await revokeCertificate({ certificate: encodeCertificatePem(alice), reason: "keyCompromise" }, ctx);
  assert.equal(first.outcome, "revoked");
  const again = await revokeCertificate({ certificate: encodeCertificatePem(alice), reason: "superseded" }, { ...ctx, now: new Date(Date.parse(T0) + 1000) });
  assert.deepEqual(again.outcome === "already-revoked" && [again.record.reason, again.record.revokedAt], ["keyCompromise", "2026-03-01T12:00:00Z"]);

  const bob = await issue("bob");
  await backend.create(`${LEDGER_PREFIX}${bob.serialHex}`, utf8(JSON.stringify({ serial: bob.serialHex, issuer: formatDn(ca.subject, "rfc4514"), subject: "CN=bob,O=devs" })));
  const bySerial = await revokeCertificate({ serial: bob.serialHex.toUpperCase() }, ctx);
  assert.deepEqual(bySerial.outcome === "revoked" && [bySerial.record.serial, bySerial.record.subject, bySerial.record.reason], [bob.serialHex, "CN=bob,O=devs", "unspecified"]);
  const withIssuer = await revokeCertificate({ serial: "abc123", issuer: "CN=kubernetes", reason: "privilegeWithdrawn" }, ctx);
  assert.deepEqual(withIssuer.outcome === "revoked" && [withIssuer.record.subject, withIssuer.issuerId], ["", issuerId(ca.subjectDer)]);

  const cases: [string, unknown, "invalid" | "not-found", RegExp][] = [
    ["bad reason", { serial: "ab", reason: "certificateHold" }, "invalid", /unknown revocation reason "certificateHold"/],
    ["neither", { reason: "keyCompromise" }, "invalid", /either certificate \(PEM\) or serial/],
    ["both", { serial: "ab", certificate: "x" }, "invalid", /either certificate/],
    ["unknown field", { serial: "ab", csr: "x" }, "invalid", /unknown field "csr"/],
    ["unparsable certificate", { certificate: "nope" }, "invalid", /cannot parse the certificate/],
    ["not hex", { serial: "zz" }, "invalid", /not a hex serial/],
    ["unknown serial", { serial: "ffff" }, "not-found", /serial ffff is not in the issuance ledger/],
    ["unknown issuer", { serial: "ffff", issuer: "CN=other" }, "invalid", /issuer "CN=other" of serial ffff is not a CA of this server/],
  ];
  for (const [name, body, outcome, msg] of cases) {
    const r = await revokeCertificate(body, ctx);
    assert.equal(r.outcome, outcome, name);
    assert.match("message" in r ? r.message : "", msg, name);
  }
  assert.deepEqual((await listRevocations(backend)).items.map((r) => r.revokedBy), ["admin", "admin", "admin"]);
  await assert.rejects(recordRevocation(backend, "nothex", GOOD), /invalid revocation record/);
});

test("startRevocationSet: listed at start, follows the watch, serial alone is not enough", async () => {
  const { backend, ctx, issue } = await setup();
  const [alice, bob] = [await issue("alice"), await issue("bob")];
  await revokeCertificate({ certificate: encodeCertificatePem(alice) }, ctx);
  const stop = new AbortController();
  try {
    const set = await startRevocationSet(backend, stop.signal, { log: () => undefined });
    assert.equal(set.isRevoked(alice), true);
    assert.equal(set.isRevoked(bob), false);
    assert.equal(set.isRevoked({ serialHex: alice.serialHex, issuerDer: utf8("another issuer") }), false);
    await revokeCertificate({ certificate: encodeCertificatePem(bob) }, ctx); // as another replica would
    for (let i = 0; i < 100 && !set.isRevoked(bob); i++) await new Promise((r) => setImmediate(r));
    assert.equal(set.isRevoked(bob), true, "the watch event reached the set");
    assert.equal(set.size, 2);
  } finally {
    stop.abort();
  }
});

test("revokeCertificate: a certificate of a CA this server does not know is refused", async () => {
  const { ctx } = await setup();
  const clock = testClock();
  const other = await testCa(clock, { seed: 11, intermediate: true });
  const csr = createCsr({ subject: makeDn([{ type: "CN", value: "eve" }]), key: generateKeyPair({ kind: "ecdsa", curve: "P-256" }) });
  const eve = (await other.signer.sign(csr, { name: "client", usages: ["digital signature", "client auth"], expiryMs: DAY })).certificate;
  const r = await revokeCertificate({ certificate: encodeCertificatePem(eve) }, ctx);
  assert.equal(r.outcome, "invalid");
  assert.match("message" in r ? r.message : "", /was issued by "CN=kpki signing intermediate", not by a CA of this server \(CN=kubernetes\)/);
});
