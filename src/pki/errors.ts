// pki/ error type: one class, a closed code union (DESIGN.md rule 7). Messages are one line and
// never carry key material.
import { KpkiError } from "../base/index.ts";

export type PkiErrorCode =
  | "bad-pem"
  | "bad-der"
  | "bad-key"
  | "bad-csr"
  | "bad-certificate"
  | "unsupported-algorithm"
  | "bad-name";

export class PkiError extends KpkiError<PkiErrorCode> {}
