// pki/: pure X.509/PKCS#10 (no fs/net/process). Other modules import only from here.
export * from "./types.ts";
export { PkiError } from "./errors.ts";
export type { PkiErrorCode } from "./errors.ts";
export {
  generateKeyPair, generateKeyPairAsync, parseKeyAlgorithm, formatKeyAlgorithm, parsePrivateKeyPem, encodePrivateKeyPem,
  parsePublicKeyPem, encodePublicKeyPem, publicKeyMatches, keyAlgorithmOf, spkiOf, importSpki, spkiAlgorithm, spkiKeyInput, importPublicKey,
  generateKeyPairDer, keyPairSpki, importPublicKeyAsync,
} from "./keys.ts";
export type { PublicKeyInput } from "./keys.ts";
export {
  parseDn, formatDn, makeDn, commonName, organizations, emptySans, makeSans, sansFromHosts, sanCount, encodeDn, decodeDnDer,
} from "./names.ts";
/** Go's net.ParseIP / net.ParseCIDR: the one IP and CIDR parser (Kubernetes and cfssl agree with it). */
export { parseIp, tryParseIp, parseAddr, formatIp, parseCidr, formatCidr, cidrContains } from "./ip.ts";
export type { Cidr } from "./ip.ts";
export { createCsr, parseCsrPem, parseCsrDer, verifyCsrSignature, verifyCsrSignatureAsync, encodeCsrPem, csrSignatureCheck, canonicalCsr } from "./csr.ts";
export type { SignatureCheck } from "./csr.ts";
export {
  parseCertificatePem, parseCertificatesPem, parseCertificateDer, encodeCertificatePem, encodeTbs, keyIdentifier,
  randomSerial, verifySignedBy, serialBytes,
} from "./certificate.ts";
export { signTemplate } from "./issued.ts";
/** The strict DER reader of the issuance path, for the CLI's output formats (cfssl's Raw* fields, the
 *  encryption scheme of an encrypted PKCS#8 key). */
export { parseDer, children as derChildren, readOid, readSmallInt } from "./der.ts";
export type { Tlv as DerTlv } from "./der.ts";
export { verifyChain, matchesHost, validityError } from "./verify.ts";
export { EKU, ekuName, OID, ATTRIBUTE_OIDS } from "./oids.ts";
export { KEY_USAGE_BITS } from "./extensions.ts";
export { signatureSchemeFor } from "./sigalg.ts";
export { lintCertificate, inferRole } from "./lint.ts";
export { LINT_RULES, CERT_ROLES } from "./lint-rules.ts";
export type { CertRole, LintRule, LintContext } from "./lint-rules.ts";
export { describeCertificate, describeCsr, describeKey, describeSans } from "./describe.ts";
export type { CertificateFacts, CsrFacts, KeyFacts, SanFacts } from "./describe.ts";
export { CRL_REASON_CODES, isCrlReason, encodeTbsCrl, signCrl, encodeCrlPem, type CrlReason, type CrlEntry, type CrlTemplate } from "./crl.ts";
