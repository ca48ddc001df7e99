// ca/ error type (DESIGN.md rule 7): one class, closed code union, one-line messages.
import { KpkiError } from "../base/index.ts";

export type CaErrorCode = "unknown-usage" | "lint-failed" | "ca-expired" | "bad-profile" | "key-mismatch" | "bad-csr";

export class CaError extends KpkiError<CaErrorCode> {}
