// Test certificates signed with a cluster CA (or a stray one) through kpki's own pki/ca modules:
// user identities (CN = user, O = groups), expired ones and ones without clientAuth, for the
// authentication acceptance tests. Keys are fresh P-256 keys per call.
import { systemClock, systemRandom } from "../../src/base/index.ts";
import { createRootCa, localKeySigner } from "../../src/ca/index.ts";
import { renderKubeconfig } from "../../src/cluster/index.ts";
import {
  EKU, encodeCertificatePem, encodePrivateKeyPem, generateKeyPair, keyIdentifier, makeDn, parseCertificatePem, parsePrivateKeyPem,
  randomSerial, signTemplate, spkiOf,
} from "../../src/pki/index.ts";

export interface PemPair {
  readonly certPem: string;
  readonly keyPem: string;
}

const P256 = { kind: "ecdsa", curve: "P-256" } as const;
const DAY = 86_400_000;

/** A self-signed CA that the server does not trust ("a certificate from another CA"). */
export async function createStrayCa(cn = "stray-ca"): Promise<PemPair> {
  const key = generateKeyPair(P256);
  const cert = await createRootCa({ subject: makeDn([{ type: "CN", value: cn }]), key, validityMs: 30 * DAY, clock: systemClock, random: systemRandom });
  return { certPem: encodeCertificatePem(cert), keyPem: encodePrivateKeyPem(key) };
}

export interface ClientCertOptions {
  readonly cn: string;
  readonly groups?: readonly string[];
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  /** Extended key usages (default clientAuth). */
  readonly eku?: readonly string[];
}

/** A client certificate issued by `ca`: subject O=groups…, CN=cn (Go's pkix.Name order). */
export async function issueClientCert(ca: PemPair, o: ClientCertOptions): Promise<PemPair> {
  const caCert = parseCertificatePem(ca.certPem);
  const caKey = localKeySigner(parsePrivateKeyPem(ca.keyPem));
  const key = generateKeyPair(P256);
  const now = Date.now();
  const cert = await signTemplate(
    {
      serialNumber: randomSerial(systemRandom),
      subject: makeDn([...(o.groups ?? []).map((value) => ({ type: "O", value })), { type: "CN", value: o.cn }]),
      issuerDer: caCert.subjectDer,
      notBefore: o.notBefore ?? new Date(now - 5 * 60_000),
      notAfter: o.notAfter ?? new Date(now + DAY),
      spki: spkiOf(key.publicKey),
      keyUsage: ["digitalSignature"],
      extKeyUsage: o.eku ?? [EKU.clientAuth],
      basicConstraints: { ca: false },
      authorityKeyId: caCert.subjectKeyId ?? keyIdentifier(caCert.spki),
    },
    (tbs) => caKey.sign(tbs),
    caKey.algorithm,
  );
  return { certPem: encodeCertificatePem(cert), keyPem: encodePrivateKeyPem(key) };
}

/** A kubeconfig for `user` at `server` (kubeadm's layout, via cluster/renderKubeconfig). */
export function userKubeconfig(o: { server: string; caPem: string; user: string; pair: PemPair; namespace?: string }): string {
  return renderKubeconfig({ clusterName: "kpki", server: o.server, caPem: o.caPem, userName: o.user, certPem: o.pair.certPem, keyPem: o.pair.keyPem, namespace: o.namespace });
}
