// The auth layer's error class (DESIGN.md rule 7). Expected outcomes (rejected credentials, denials) are
// return values; this is only for configuration that cannot be used, e.g. a malformed token file.
import { KpkiError } from "../base/index.ts";

export type AuthErrorCode = "bad-token-file";

export class AuthError extends KpkiError<AuthErrorCode> {}
