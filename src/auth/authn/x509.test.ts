import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, sign as nodeSign } from "node:crypto";
import { fixedClock, DAY, HOUR } from "../../base/index.ts";
import { encodeDn, generateKeyPair, keyIdentifier, makeDn, signTemplate, spkiOf } from "../../pki/index.ts";
import type { Certificate, KeyPair, NameAttribute } from "../../pki/index.ts";
import type { AuthenticationResult } from "../types.ts";
import { x509Authenticator } from "./x509.ts";

const T0 = new Date("2026-06-01T00:00:00Z");
const CLIENT = "1.3.6.1.5.5.7.3.2";
const SERVER = "1.3.6.1.5.5.7.3.1";

interface Issued { cert: Certificate; key: KeyPair }
interface IssueOpts {
  subject: NameAttribute[]; issuer?: Issued; ca?: boolean; eku?: string[] | null; serial?: number; from?: Date; to?: Date;
}
let serials = 100;
async function issue(o: IssueOpts): Promise<Issued> {
  const key = generateKeyPair({ kind: "ecdsa", curve: "P-256" });
  const spki = spkiOf(key.publicKey);
  const subject = makeDn(o.subject);
  const signer = o.issuer?.key ?? key;
  const serial = o.serial ?? ++serials;
  const cert = await signTemplate(
    {
      serialNumber: Uint8Array.of(serial),
      subject,
      issuerDer: o.issuer?.cert.subjectDer ?? encodeDn(subject),
      notBefore: o.from ?? new Date(T0.getTime() - DAY),
      notAfter: o.to ?? new Date(T0.getTime() + 30 * DAY),
      spki,
      keyUsage: o.ca ? ["keyCertSign", "cRLSign", "digitalSignature"] : ["digitalSignature"],
      ...(o.eku === null ? {} : { extKeyUsage: o.eku ?? (o.ca ? undefined : [CLIENT]) }),
      ...(o.ca ? { basicConstraints: { ca: true } } : {}),
      subjectKeyId: keyIdentifier(spki),
      authorityKeyId: o.issuer ? o.issuer.cert.subjectKeyId : keyIdentifier(spki),
    },
    (tbs) => nodeSign("sha256", tbs, signer.privateKey),
    signer.algorithm,
  );
  return { cert, key };
}

const cn = (name: string, ...orgs: string[]): NameAttribute[] => [...orgs.map((v) => ({ type: "O", value: v })), { type: "CN", value: name }];
const colon = (b: Uint8Array | undefined) => Array.from(b ?? [], (x) => x.toString(16).toUpperCase().padStart(2, "0")).join(":");
const creds = (...peerCertificates: Certificate[]) => ({ peerCertificates, path: "/api" });

test("x509Authenticator outcomes (x509.go, §1.2/§1.3)", async () => {
  const root = await issue({ subject: cn("root-ca"), ca: true });
  const other = await issue({ subject: cn("other-ca"), ca: true });
  const mid = await issue({ subject: cn("mid-ca"), ca: true, issuer: root });
  const midServerOnly = await issue({ subject: cn("mid-server"), ca: true, issuer: root, eku: [SERVER] });
  const good = await issue({ subject: cn("jane", "dev", "ops"), issuer: root, serial: 77 });
  const fail = (leaf: Issued, error: string): AuthenticationResult => ({
    outcome: "rejected",
    reason: `verifying certificate SN=${BigInt(`0x${leaf.cert.serialHex}`)}, SKID=${colon(leaf.cert.subjectKeyId)}, AKID=${colon(leaf.cert.authorityKeyId)} failed: ${error}`,
  });
  const fromOther = await issue({ subject: cn("eve"), issuer: other });
  const expired = await issue({ subject: cn("old"), issuer: root, to: new Date(T0.getTime() - HOUR) });
  const future = await issue({ subject: cn("new"), issuer: root, from: new Date(T0.getTime() + HOUR) });
  const serverOnly = await issue({ subject: cn("srv"), issuer: root, eku: [SERVER] });
  const noEku = await issue({ subject: cn("any", "g"), issuer: root, eku: null });
  const viaMid = await issue({ subject: cn("bob", "team"), issuer: mid });
  const viaServerMid = await issue({ subject: cn("carl"), issuer: midServerOnly });
  const noCn = await issue({ subject: [{ type: "O", value: "x" }], issuer: root });
  const withUid = await issue({ subject: [...cn("u"), { type: "1.3.6.1.4.1.57683.2", value: "uid-1" }], issuer: root });
  const twoUids = await issue({ subject: [...cn("u"), { type: "1.3.6.1.4.1.57683.2", value: "a" }, { type: "1.3.6.1.4.1.57683.2", value: "b" }], issuer: root });
  const auth = x509Authenticator({ roots: () => [root.cert], clock: fixedClock(T0) });
  const user = (name: string, groups: string[], leaf: Issued, uid?: string): AuthenticationResult => ({
    outcome: "authenticated",
    user: {
      name, ...(uid ? { uid } : {}), groups,
      extra: { "authentication.kubernetes.io/credential-id": [`X509SHA256=${createHash("sha256").update(leaf.cert.der).digest("hex")}`] },
    },
  });
  const cases: Array<[string, Certificate[], AuthenticationResult]> = [
    ["valid: CN user, every O a group, credential id", [good.cert], user("jane", ["dev", "ops"], good)],
    ["no certificate", [], { outcome: "not-applicable" }],
    ["other CA", [fromOther.cert], fail(fromOther, "x509: certificate signed by unknown authority")],
    ["expired", [expired.cert], fail(expired, "x509: certificate has expired or is not yet valid: current time 2026-06-01T00:00:00Z is after 2026-05-31T23:00:00Z")],
    ["not yet valid", [future.cert], fail(future, "x509: certificate has expired or is not yet valid: current time 2026-06-01T00:00:00Z is before 2026-06-01T01:00:00Z")],
    ["no clientAuth", [serverOnly.cert], fail(serverOnly, "x509: certificate specifies an incompatible key usage")],
    ["no EKU extension = any", [noEku.cert], user("any", ["g"], noEku)],
    ["intermediate presented", [viaMid.cert, mid.cert], user("bob", ["team"], viaMid)],
    ["intermediate missing", [viaMid.cert], fail(viaMid, "x509: certificate signed by unknown authority")],
    ["intermediate without clientAuth", [viaServerMid.cert, midServerOnly.cert], fail(viaServerMid, "x509: certificate specifies an incompatible key usage")],
    ["roots are never taken from the client", [fromOther.cert, other.cert], fail(fromOther, "x509: certificate signed by unknown authority")],
    ["empty CN", [noCn.cert], { outcome: "not-applicable" }],
    ["UID attribute", [withUid.cert], user("u", [], withUid, "uid-1")],
    ["two UIDs", [twoUids.cert], { outcome: "rejected", reason: "expected 1 UID, but found multiple: [a b]" }],
  ];
  for (const [name, peers, want] of cases) assert.deepEqual(await auth.authenticate(creds(...peers)), want, name);
  const none = x509Authenticator({ roots: () => undefined, clock: fixedClock(T0) });
  assert.deepEqual(await none.authenticate(creds(good.cert)), { outcome: "not-applicable" }, "no CA loaded");
});

test("x509Authenticator caches per chain, re-checks at expiry and on a new CA bundle", async () => {
  const root = await issue({ subject: cn("root-ca"), ca: true });
  const other = await issue({ subject: cn("other-ca"), ca: true });
  const leaf = await issue({ subject: cn("jane"), issuer: root, to: new Date(T0.getTime() + 30_000) });
  const clock = fixedClock(T0);
  let roots: Certificate[] = [root.cert];
  const auth = x509Authenticator({ roots: () => roots, clock, cacheTtlMs: 60_000, cacheSize: 2 });
  const first = await auth.authenticate(creds(leaf.cert));
  assert.equal(first.outcome, "authenticated");
  assert.equal(await auth.authenticate(creds(leaf.cert)), first, "same result object: served from the cache");
  roots = [root.cert];
  assert.equal(await auth.authenticate(creds(leaf.cert)), first, "the same bundle in a new array keeps the cache");
  clock.advance(30_001);
  assert.equal((await auth.authenticate(creds(leaf.cert))).outcome, "rejected", "expired while cached → re-verified");
  clock.set(T0);
  roots = [other.cert];
  assert.equal((await auth.authenticate(creds(leaf.cert))).outcome, "rejected", "new bundle clears the cache");
  roots = [root.cert];
  for (let i = 0; i < 3; i++) await auth.authenticate(creds((await issue({ subject: cn(`u${i}`), issuer: root })).cert));
  assert.equal((await auth.authenticate(creds(leaf.cert))).outcome, "authenticated", "bounded cache still answers");
});

test("x509Authenticator: a revoked leaf is rejected on the next call, cached success or not", async () => {
  const root = await issue({ subject: cn("root-ca"), ca: true });
  const jane = await issue({ subject: cn("jane", "dev"), issuer: root, serial: 91 });
  const joe = await issue({ subject: cn("joe", "dev"), issuer: root, serial: 92 });
  const revoked = new Set<string>();
  const a = x509Authenticator({ roots: () => [root.cert], clock: fixedClock(T0), isRevoked: (leaf) => revoked.has(leaf.serialHex) });
  const table: [string, Issued, () => void, "authenticated" | "rejected"][] = [
    ["jane before any revocation (verdict now cached)", jane, () => undefined, "authenticated"],
    ["jane after her revocation, despite the cache", jane, () => revoked.add(jane.cert.serialHex), "rejected"],
    ["joe keeps working", joe, () => undefined, "authenticated"],
  ];
  for (const [name, who, before, want] of table) {
    before();
    const r = await a.authenticate(creds(who.cert));
    assert.equal(r.outcome, want, name);
    if (r.outcome === "rejected") assert.match(r.reason, /^verifying certificate SN=91, .* failed: certificate has been revoked$/);
  }
});
