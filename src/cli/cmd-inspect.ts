// kpki inspect FILE: the facts `openssl x509 -text` shows, for certificates, bundles, CSRs, keys
// and the certificates embedded in kubeconfigs. Lean imports: it must start in ≤150 ms.
import { defineCommand, OUTPUT_OPTION, outputFormat, str } from "./args.ts";
import { CliError } from "./errors.ts";
import type { Io } from "./io.ts";
import { describeItem, readItems } from "./inspect-file.ts";
import { renderCertFacts, renderFacts } from "./render.ts";

/** openssl's -passin forms: pass:TEXT, env:VAR, file:PATH (first line). */
async function passphrase(io: Io, spec: string | undefined): Promise<string | undefined> {
  if (spec === undefined) return undefined;
  const [kind, ...rest] = spec.split(":");
  const arg = rest.join(":");
  if (kind === "pass") return arg;
  if (kind === "env") {
    const v = io.env[arg];
    if (v === undefined) throw new CliError("usage", `inspect: --passin env:${arg}: the variable is not set`);
    return v;
  }
  if (kind === "file") return (await io.readText(arg)).split(/\r?\n/)[0] ?? "";
  throw new CliError("usage", "inspect: --passin must be pass:TEXT, env:VAR or file:PATH (as openssl's -passin)");
}

export const command = defineCommand(
  {
    name: "inspect",
    summary: "Show what a PEM/DER file or kubeconfig holds: certificates, bundles, CSRs, keys.",
    synopsis: ["inspect FILE... [-o json] [--passin pass:TEXT|env:VAR|file:PATH]"],
    options: [OUTPUT_OPTION, { name: "passin", type: "string", arg: "SOURCE", help: "passphrase of encrypted private keys, as openssl's -passin" }],
    notes: [
      "FILE may be \"-\" for stdin. Private keys are described (algorithm, size), never printed; an encrypted key",
      "shows its encryption scheme, and its algorithm when --passin is given.",
    ],
  },
  async (p, io) => {
    const format = outputFormat(p, "inspect");
    if (p.positionals.length === 0) throw new CliError("usage", "inspect: FILE is required (see kpki inspect --help)");
    const pass = await passphrase(io, str(p, "passin"));
    const all: { file: string; kind: string; facts: unknown }[] = [];
    for (const file of p.positionals) {
      for (const it of await readItems(await io.readFile(file), file, pass === undefined ? {} : { passphrase: pass })) all.push({ file: it.label, kind: it.kind, facts: describeItem(it) });
    }
    if (format === "json") {
      io.stdout(`${JSON.stringify(all.length === 1 ? all[0] : all, null, 2)}\n`);
      return 0;
    }
    const body = (x: (typeof all)[number]): string[] =>
      x.kind === "certificate" || x.kind === "csr" ? renderCertFacts(x.facts as Record<string, unknown>) : renderFacts(x.facts, "  ");
    io.stdout(all.map((x) => [`${x.file}: ${x.kind}`, ...body(x)].join("\n")).join("\n\n") + "\n");
    return 0;
  },
);
