// CertificateSigningRequest rules for the generic registry handler: register `csrStrategy` under
// "certificates.k8s.io/certificatesigningrequests" in registry/strategies.ts; list/watch field
// selectors use `csrFieldValue` (metadata.name, spec.signerName).
import type { CertificateSigningRequest } from "../../api/index.ts";
import { admitCsr } from "./admission.ts";
import { prepareCsrForCreate, prepareCsrForUpdate, validateCsr, validateCsrUpdateFor } from "./strategy.ts";
import type { ResourceStrategy } from "./types.ts";

export { csrFieldValue } from "./strategy.ts";
export { isAuthorizedForSignerName } from "./admission.ts";

export const csrStrategy: ResourceStrategy<CertificateSigningRequest> = {
  prepareForCreate: prepareCsrForCreate,
  prepareForUpdate: prepareCsrForUpdate,
  validate: validateCsr,
  validateUpdate: validateCsrUpdateFor,
  admit: admitCsr,
  // Cluster-scoped, AllowCreateOnUpdate=false; /status and /approval are handled in prepareForUpdate.
  allowCreateOnUpdate: false,
  subresources: ["status", "approval"],
};
