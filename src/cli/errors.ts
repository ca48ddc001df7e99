// CliError: the command layer's error. `usage` means the command line itself is wrong (exit 2,
// as getopt-style tools do); every other code exits 1. main/cli.ts prints the message on one line.
import { KpkiError, messageOf } from "../base/index.ts";

export type CliErrorCode = "usage" | "io" | "input" | "failed" | "network";

export class CliError extends KpkiError<CliErrorCode> {}

/** The process exit code for a thrown value: 2 for usage errors, 1 otherwise. */
export function exitCodeOf(err: unknown): number {
  return err instanceof CliError && err.code === "usage" ? 2 : 1;
}

/** `f()`, any error it throws becoming one CliError("input") line that names `file` (parsing what was read). */
export function inFile<T>(file: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    throw new CliError("input", `${file}: ${messageOf(err)}`);
  }
}
