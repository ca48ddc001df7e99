// kpki inspect FILE: the facts `openssl x509 -text` shows, for certificates, bundles, CSRs, keys
// and the certificates embedded in kubeconfigs. Lean imports: it must start in ≤150 ms.
import { defineCommand, OUTPUT_OPTION, outputFormat } from "./args.ts";
import { CliError } from "./errors.ts";
import { describeItem, readItems } from "./inspect-file.ts";
import { renderCertFacts, renderFacts } from "./render.ts";

export const command = defineCommand(
  {
    name: "inspect",
    summary: "Show what a PEM/DER file or kubeconfig holds: certificates, bundles, CSRs, keys.",
    synopsis: ["inspect FILE... [-o json]"],
    options: [OUTPUT_OPTION],
    notes: ["FILE may be \"-\" for stdin. Private keys are described (algorithm, size), never printed."],
  },
  async (p, io) => {
    const format = outputFormat(p, "inspect");
    if (p.positionals.length === 0) throw new CliError("usage", "inspect: FILE is required (see kpki inspect --help)");
    const all: { file: string; kind: string; facts: unknown }[] = [];
    for (const file of p.positionals) {
      for (const it of await readItems(await io.readFile(file), file)) all.push({ file: it.label, kind: it.kind, facts: describeItem(it) });
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
