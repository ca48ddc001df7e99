// Command-line parsing over node:util parseArgs, driven by each command's option table (the same
// table renders `--help`, so help and parsing cannot drift).
import { parseArgs } from "node:util";
import { CliError } from "./errors.ts";

export interface OptionSpec {
  readonly name: string;
  readonly type: "string" | "boolean";
  readonly short?: string;
  readonly multiple?: boolean;
  /** Placeholder shown in help, e.g. "DIR". */
  readonly arg?: string;
  readonly help: string;
}

export interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  /** Synopsis lines without the leading "kpki ". */
  readonly synopsis: readonly string[];
  readonly options: readonly OptionSpec[];
  /** Text after the option list, one line per entry. A line that ends a sentence (".", "!", "?")
   *  ends its paragraph; any other line continues on the next line with no blank line between. */
  readonly notes?: readonly string[];
  /** cfssl style: single-dash long flags (`-ca=x`, `-initca`). */
  readonly singleDash?: boolean;
}

export interface Parsed {
  readonly values: Readonly<Record<string, string | boolean | string[] | undefined>>;
  readonly positionals: readonly string[];
  readonly help: boolean;
}

/** cfssl (Go's flag package) accepts `-name`, `-name=value` and `--name`; parseArgs wants `--name`.
 *  A lone "-" is stdin and stays a positional; "--" ends the flags. */
export function normalizeSingleDash(args: readonly string[]): string[] {
  const out: string[] = [];
  let done = false;
  for (const a of args) {
    if (done || a === "-" || !a.startsWith("-") || a.startsWith("--")) {
      if (a === "--") done = true;
      out.push(a);
    } else out.push(`-${a}`);
  }
  return out;
}

export function parseCommandArgs(spec: CommandSpec, args: readonly string[]): Parsed {
  const options: Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }> = {
    help: { type: "boolean", ...(spec.singleDash ? {} : { short: "h" }) },
  };
  for (const o of spec.options) {
    options[o.name] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
  }
  const argv = spec.singleDash ? normalizeSingleDash(args) : [...args];
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values: values as Parsed["values"], positionals, help: values["help"] === true };
  } catch (err) {
    const msg = err instanceof Error ? err.message.split("\n")[0] ?? "" : String(err);
    throw new CliError("usage", `${spec.name}: ${msg.replace(/\. To specify a positional.*$/, "")} (see kpki ${spec.name} --help)`);
  }
}

export function renderHelp(spec: CommandSpec): string {
  const dash = spec.singleDash ? "-" : "--";
  const lines = [spec.summary, "", "Usage:", ...spec.synopsis.map((s) => `  kpki ${s}`)];
  if (spec.options.length > 0) {
    lines.push("", "Options:");
    const rows = spec.options.map((o) => {
      const flag = `${o.short && !spec.singleDash ? `-${o.short}, ` : ""}${dash}${o.name}${o.type === "string" ? ` ${o.arg ?? "VALUE"}` : ""}`;
      return [flag, o.help] as const;
    });
    const w = Math.max(...rows.map((r) => r[0].length));
    for (const [f, h] of rows) lines.push(`  ${f.padEnd(w)}  ${h}`);
  }
  let continues = false;
  for (const n of spec.notes ?? []) {
    if (!continues) lines.push("");
    lines.push(n);
    continues = !/[.!?]$/.test(n.trimEnd());
  }
  return `${lines.join("\n")}\n`;
}

// Typed getters: each throws a usage error naming the flag.
export function str(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === "string" ? v : undefined;
}
export function requireStr(p: Parsed, name: string, cmd: string): string {
  const v = str(p, name);
  if (v === undefined || v === "") throw new CliError("usage", `${cmd}: --${name} is required`);
  return v;
}
export function bool(p: Parsed, name: string): boolean {
  return p.values[name] === true;
}
export function outputFormat(p: Parsed, cmd: string): "text" | "json" {
  const o = str(p, "output") ?? "text";
  if (o !== "text" && o !== "json") throw new CliError("usage", `${cmd}: -o must be json or text, not "${o}"`);
  return o;
}

export const OUTPUT_OPTION: OptionSpec = { name: "output", short: "o", type: "string", arg: "json|text", help: "output format (default text)" };

/** A Command (CONTRACTS.md) from a spec + a run function; `--help` is handled here for all commands. */
export function defineCommand(
  spec: CommandSpec,
  run: (p: Parsed, io: import("./io.ts").Io) => Promise<number>,
): import("./io.ts").Command {
  const usage = renderHelp(spec);
  return {
    name: spec.name,
    summary: spec.summary,
    usage,
    async run(args, io) {
      const p = parseCommandArgs(spec, args);
      if (p.help) {
        io.stdout(usage);
        return 0;
      }
      return run(p, io);
    },
  };
}
