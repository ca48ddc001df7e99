// The controllers layer's error (DESIGN.md rule 7): a closed code union.
import { KpkiError } from "../base/index.ts";

export type ControllerErrorCode =
  | "bad-policy" // approval policy file does not parse or names unknown fields
  | "bad-config" // signer configuration is inconsistent
  | "parse-csr" // a stored CSR's request does not parse (retried, nothing written)
  | "sign-failed" // the CA refused or failed to sign (retried)
  | "not-approved" // recognized but the SubjectAccessReview did not allow (retried, nothing written)
  | "ledger"; // the issuance ledger could not be written

export class ControllerError extends KpkiError<ControllerErrorCode> {}

/** The narrow logger controllers need; pino's logger satisfies it. */
export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export const silentLogger: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
