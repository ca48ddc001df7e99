// status.certificate validation (pkg/apis/certificates/validation validateCertificate): CERTIFICATE PEM
// blocks only, no headers, each a parseable X.509 certificate.
import { decodePem, messageOf } from "../base/index.ts";
import { parseCertificateDer } from "../pki/index.ts";

/** validateCertificate: status.certificate must be CERTIFICATE PEM blocks without headers. */
export function certificateDataError(pem: string): string | undefined {
  if (pem === "") return undefined;
  let blocks;
  try {
    blocks = decodePem(pem);
  } catch (err) {
    return messageOf(err);
  }
  for (const b of blocks) {
    if (b.type !== "CERTIFICATE") return `only CERTIFICATE PEM blocks are allowed, found ${JSON.stringify(b.type)}`;
    if (Object.keys(b.headers).length !== 0) return "no PEM block headers are permitted";
    if (b.der.length === 0) return "found CERTIFICATE PEM block containing 0 certificates";
    try {
      parseCertificateDer(b.der);
    } catch (err) {
      return messageOf(err);
    }
  }
  return blocks.length === 0 ? "must contain at least one CERTIFICATE PEM block" : undefined;
}
