// kpki cfssljson -bare NAME [-f FILE|-]: cfssljson's file writer. {"cert"} → NAME.pem,
// {"key"} → NAME-key.pem (0600), {"csr"} → NAME.csr; also accepts cfssl's API envelope
// {"success": true, "result": {…}} when -bare is not given. -stdout prints the PEM instead.
import { defineCommand, bool, str } from "./args.ts";
import { CliError } from "./errors.ts";

function fieldsOf(text: string, source: string, bare: boolean): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new CliError("input", `${source}: cannot parse the cfssl JSON input${text.trim() === "" ? " (empty input: did the cfssl command fail?)" : ""}`);
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new CliError("input", `${source}: cfssl JSON input must be an object`);
  const o = v as Record<string, unknown>;
  if (!bare && "result" in o) {
    if (o["success"] === false) throw new CliError("input", `${source}: cfssl reported failure: ${JSON.stringify(o["errors"] ?? "")}`);
    const r = o["result"];
    if (typeof r !== "object" || r === null) throw new CliError("input", `${source}: "result" must be an object`);
    return r as Record<string, unknown>;
  }
  return o;
}

const OUTPUTS = [
  { field: "cert", suffix: ".pem", mode: 0o644 },
  { field: "certificate", suffix: ".pem", mode: 0o644 },
  { field: "key", suffix: "-key.pem", mode: 0o600 },
  { field: "csr", suffix: ".csr", mode: 0o644 },
  { field: "bundle", suffix: "-bundle.pem", mode: 0o644 },
] as const;

export const command = defineCommand(
  {
    name: "cfssljson",
    summary: "Write cfssl's JSON output as files: NAME.pem, NAME-key.pem (0600), NAME.csr.",
    synopsis: ["cfssljson -bare NAME [-f FILE]", "cfssljson -stdout [-f FILE]"],
    singleDash: true,
    options: [
      { name: "bare", type: "boolean", help: "the input is not wrapped in cfssl's API envelope" },
      { name: "f", type: "string", arg: "FILE", help: 'JSON input (default "-", stdin)' },
      { name: "stdout", type: "boolean", help: "print the PEM blocks instead of writing files" },
    ],
    notes: ["As cfssljson: the base NAME is the first argument; -bare is accepted before or after it."],
  },
  async (p, io) => {
    const name = p.positionals[0];
    const input = str(p, "f") ?? "-";
    const toStdout = bool(p, "stdout");
    if (!toStdout && (name === undefined || p.positionals.length > 1)) throw new CliError("usage", "cfssljson: expected one base NAME (see kpki cfssljson --help)");
    const fields = fieldsOf(await io.readText(input), input === "-" ? "stdin" : input, bool(p, "bare"));
    const outs = OUTPUTS.filter((o) => typeof fields[o.field] === "string" && fields[o.field] !== "");
    if (outs.length === 0) throw new CliError("input", `${input === "-" ? "stdin" : input}: no "cert", "key" or "csr" in the cfssl JSON`);
    for (const o of outs) {
      const data = fields[o.field] as string;
      if (toStdout) io.stdout(data.endsWith("\n") ? data : `${data}\n`);
      else await io.writeFileAtomic(`${name}${o.suffix}`, data, { mode: o.mode });
    }
    return 0;
  },
);
