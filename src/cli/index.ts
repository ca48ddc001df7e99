// cli/: one file per command, the command table, the Io interface.
export type { Io, Command, ApiTarget, NodeIoOptions, FileToWrite } from "./io.ts";
export { apiTargetFromKubeconfig } from "./api-target.ts";
export { nodeIo } from "./io.ts";
export { CliError, exitCodeOf } from "./errors.ts";
export type { CliErrorCode } from "./errors.ts";
export { COMMANDS, findCommand } from "./commands.ts";
export type { CommandEntry } from "./commands.ts";
export { defineCommand, parseCommandArgs, renderHelp, normalizeSingleDash, outputFormat, str } from "./args.ts";
export type { CommandSpec, OptionSpec, Parsed } from "./args.ts";
export { runCli } from "./run.ts";
