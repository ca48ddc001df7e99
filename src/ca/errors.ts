// ca/ error type (DESIGN.md rule 7): one class, closed code union, one-line messages.
import { KpkiError } from "../base/index.ts";

export type CaErrorCode =
  | "unknown-usage"
  | "lint-failed"
  | "ca-expired"
  | "bad-profile"
  | "key-mismatch"
  /** The signing certificate is not a CA (CA:FALSE or no keyCertSign). */
  | "not-a-ca"
  | "bad-csr"
  /** The signing machinery itself failed (a crypto pool worker died or the pool was closed). */
  | "signer-unavailable";

export class CaError extends KpkiError<CaErrorCode> {}
