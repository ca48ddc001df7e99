import { test } from "node:test";
import assert from "node:assert/strict";
import { normalizeSingleDash, parseCommandArgs, renderHelp, type CommandSpec } from "./args.ts";
import { CliError } from "./errors.ts";
import { renderFacts, renderTable } from "./render.ts";
import { cfsslName } from "./cfssl-json.ts";

const CASES: [string[], string[]][] = [
  [["-ca=x.pem", "-ca-key", "k.pem", "csr.json"], ["--ca=x.pem", "--ca-key", "k.pem", "csr.json"]],
  [["-initca", "-"], ["--initca", "-"]],
  [["--profile=www", "-", "--", "-x"], ["--profile=www", "-", "--", "-x"]],
];
for (const [input, want] of CASES) {
  test(`cfssl flags ${input.join(" ")}`, () => assert.deepEqual(normalizeSingleDash(input), want));
}

const SPEC: CommandSpec = {
  name: "demo",
  summary: "Demo.",
  synopsis: ["demo -ca FILE csr.json"],
  singleDash: true,
  options: [
    { name: "ca", type: "string", arg: "FILE", help: "CA certificate" },
    { name: "initca", type: "boolean", help: "self-signed" },
  ],
};

test("single-dash spec parses cfssl's both flag forms and stdin", () => {
  const p = parseCommandArgs(SPEC, ["-ca", "a.pem", "-initca", "-"]);
  assert.equal(p.values["ca"], "a.pem");
  assert.equal(p.values["initca"], true);
  assert.deepEqual(p.positionals, ["-"]);
  assert.equal(parseCommandArgs(SPEC, ["-ca=b.pem"]).values["ca"], "b.pem");
});

test("unknown flags are usage errors naming the command", () => {
  assert.throws(() => parseCommandArgs(SPEC, ["-nope"]), (e: unknown) => e instanceof CliError && e.code === "usage" && /^demo: Unknown option '--nope'/.test(e.message));
});

test("help is rendered from the option table", () => {
  const h = renderHelp(SPEC);
  assert.match(h, /^Demo\.\n\nUsage:\n {2}kpki demo -ca FILE csr\.json\n\nOptions:\n {2}-ca FILE {2}CA certificate\n {2}-initca {3}self-signed\n$/);
});

test("tables align like kubeadm's and facts render as indented lines", () => {
  assert.equal(renderTable(["A", "LONGER"], [["x", "y"], ["wide-cell", "z"]]), "A           LONGER\nx           y\nwide-cell   z\n");
  assert.deepEqual(renderFacts({ subject: "CN = a", sans: { dns: ["a", "b"], ip: [] }, empty: [] }), ["Subject: CN = a", "Sans:", "  Dns: a, b"]);
});

test("cfssl certinfo names: repeated attributes joined with commas, all values in order", () => {
  const dn = { attributes: [{ type: "C", value: "KR" }, { type: "O", value: "a" }, { type: "O", value: "b" }, { type: "CN", value: "x" }] };
  assert.deepEqual(cfsslName(dn), { common_name: "x", country: "KR", organization: "a,b", names: ["KR", "a", "b", "x"] });
});

test("help notes: a line that does not end a sentence continues its paragraph (no blank line)", async () => {
  const h = renderHelp({ ...SPEC, notes: ["Fields: a, b,", "c, d.", "Second paragraph."] });
  assert.match(h, /\n\nFields: a, b,\nc, d\.\n\nSecond paragraph\.\n$/);
  const { command: init } = await import("./cmd-init.ts");
  assert.match(init.usage, /serviceCIDR \(10\.96\.0\.0\/12;\nIPv6, or dual-stack "v4,v6" whose first range is primary\),\ndnsDomain/);
  const { command: etcd } = await import("./cmd-etcd.ts");
  assert.match(etcd.usage, /ca\.crt\n--etcd-certfile/);
});
