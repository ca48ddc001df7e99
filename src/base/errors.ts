// The base error type. Each layer defines its own subclass with a closed `code` union
// (DESIGN.md rule 7); only server/status.ts turns codes into HTTP statuses and only cli/ turns
// them into exit codes. Messages say what failed and why, in one line, and never carry key material.

export class KpkiError<Code extends string = string> extends Error {
  readonly code: Code;
  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** True when `err` is a KpkiError (of any layer); use it to tell expected failures from bugs. */
export function isKpkiError(err: unknown): err is KpkiError {
  return err instanceof KpkiError;
}

/** The message of any thrown value, for one-line reports. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
