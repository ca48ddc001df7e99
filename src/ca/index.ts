// ca/: signing profiles → templates, the Signer (local key), root/intermediate creation and the
// pre-issuance lint gate. Pure: imports pki and base only.
export { CaError } from "./errors.ts";
export type { CaErrorCode } from "./errors.ts";
export { K8S_USAGES, usagesToExtensions, KEY_USAGE_BY_NAME, EXT_KEY_USAGE_BY_NAME } from "./usages.ts";
export { localKeySigner, issueFromTemplate, assertSigningCa } from "./issue.ts";
export type { KeySigner, IssueOptions, CaFiles } from "./issue.ts";
export { createLocalSigner, validityWindow, goTime, bufferedRandom } from "./signer.ts";
export type { Signer, SigningProfile, SignOptions } from "./signer.ts";
export { createRootCa, createIntermediateCa, INTERMEDIATE_USAGES } from "./authority.ts";
export { createCryptoPool, createPooledSigner } from "./pool.ts";
export type { CryptoPool } from "./pool.ts";
