// Creating CAs: self-signed roots and intermediates signed by a parent Signer.
import { MINUTE } from "../base/index.ts";
import type { Clock, RandomSource } from "../base/index.ts";
import { createCsr, encodeDn, keyIdentifier, keyPairSpki, randomSerial } from "../pki/index.ts";
import type { Certificate, DistinguishedName, KeyPair, KeyUsageBit, SubjectAltNames } from "../pki/index.ts";
import { issueFromTemplate, localKeySigner } from "./issue.ts";
import type { Signer } from "./signer.ts";

/** Self-signed root: KU keyCertSign + cRLSign + digitalSignature (critical), BC CA:TRUE critical with an
 *  optional pathLen, SKI = AKI (RFC 5280 §4.2.1.1 allows AKI on self-signed; Go writes it). */
export async function createRootCa(opts: {
  subject: DistinguishedName;
  key: KeyPair;
  validityMs: number;
  pathLen?: number;
  clock: Clock;
  random: RandomSource;
  backdateMs?: number;
  /** Default digitalSignature + keyCertSign + cRLSign (kubeadm adds keyEncipherment). */
  keyUsage?: readonly KeyUsageBit[];
  /** kubeadm gives its CA a DNS SAN equal to the CN. */
  sans?: SubjectAltNames;
}): Promise<Certificate> {
  const now = opts.clock.now();
  const spki = keyPairSpki(opts.key);
  const ski = keyIdentifier(spki);
  return issueFromTemplate(
    {
      serialNumber: randomSerial(opts.random),
      subject: opts.subject,
      issuerDer: encodeDn(opts.subject),
      notBefore: new Date(now.getTime() - (opts.backdateMs ?? 5 * MINUTE)),
      notAfter: new Date(now.getTime() + opts.validityMs),
      spki,
      keyUsage: opts.keyUsage ?? ["digitalSignature", "keyCertSign", "cRLSign"],
      sans: opts.sans,
      basicConstraints: { ca: true, pathLen: opts.pathLen },
      subjectKeyId: ski,
      authorityKeyId: ski,
    },
    { key: localKeySigner(opts.key), role: "root-ca", at: now },
  );
}

export const INTERMEDIATE_USAGES: readonly string[] = ["digital signature", "cert sign", "crl sign"];

/** An intermediate CA signed by `parent` (its notAfter is capped at the parent's, like any issuance). */
export async function createIntermediateCa(opts: {
  parent: Signer;
  subject: DistinguishedName;
  key: KeyPair;
  validityMs: number;
  pathLen?: number;
  now?: Date;
}): Promise<Certificate> {
  const csr = createCsr({ subject: opts.subject, key: opts.key, ca: true });
  const { certificate } = await opts.parent.sign(
    csr,
    { name: "intermediate-ca", usages: INTERMEDIATE_USAGES, expiryMs: opts.validityMs, isCa: true, pathLen: opts.pathLen, role: "intermediate-ca" },
    { now: opts.now },
  );
  return certificate;
}
