// Dispatch: argv → command → exit code. Every error becomes one line `kpki: <message>` on stderr
// (a stack only with KPKI_DEBUG=1); main/cli.ts adds the commands implemented in main/.
import type { Io } from "./io.ts";
import { COMMANDS, type CommandEntry } from "./commands.ts";
import { CliError, exitCodeOf } from "./errors.ts";

function renderTopHelp(entries: readonly CommandEntry[]): string {
  const w = Math.max(...entries.map((e) => e.name.length));
  return [
    "kpki: Kubernetes PKI — provision a cluster's certificates, sign and inspect them (openssl/cfssl compatible).",
    "",
    "Usage: kpki <command> [options]      kpki <command> --help",
    "",
    "Commands:",
    ...entries.map((e) => `  ${e.name.padEnd(w)}  ${e.summary}`),
    "",
  ].join("\n");
}

/** Commands in `extra` win over the cli table; a two-word name ("certs ledger") wins over one word. */
function resolve(argv: readonly string[], extra: readonly CommandEntry[]): { entry: CommandEntry; rest: string[] } | undefined {
  const two = argv.length >= 2 ? `${argv[0]} ${argv[1]}` : undefined;
  const hit2 = two === undefined ? undefined : extra.find((e) => e.name === two);
  if (hit2) return { entry: hit2, rest: argv.slice(2) };
  const one = extra.find((e) => e.name === argv[0]) ?? COMMANDS.find((e) => e.name === argv[0]);
  return one ? { entry: one, rest: argv.slice(1) } : undefined;
}

export async function runCli(argv: readonly string[], io: Io, extra: readonly CommandEntry[] = []): Promise<number> {
  try {
    const first = argv[0];
    if (first === undefined || first === "--help" || first === "-h" || first === "help") {
      const all = [...COMMANDS, ...extra.filter((e) => !e.name.includes(" "))];
      io.stdout(renderTopHelp(all));
      return first === undefined ? 2 : 0;
    }
    if (first === "--version" || first === "version") {
      io.stdout("kpki 0.1.0\n");
      return 0;
    }
    const hit = resolve(argv, extra);
    if (!hit) throw new CliError("usage", `unknown command "${first}" (see kpki --help)`);
    const { command } = await hit.entry.load();
    return await command.run(hit.rest, io);
  } catch (err) {
    const debug = io.env["KPKI_DEBUG"] === "1";
    const msg = err instanceof Error ? err.message : String(err);
    io.stderr(`kpki: ${msg.split("\n")[0]}\n`);
    if (debug && err instanceof Error && err.stack) io.stderr(`${err.stack}\n`);
    return exitCodeOf(err);
  }
}
