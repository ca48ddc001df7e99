// The README's quickstart, run as written: the ```sh blocks under "Seed 000" and "Seed 004" execute
// line by line in a fresh directory where `./bin/kpki` and `kpki` are this checkout's CLI, with the
// seed's JSON files beside them. Lines that need a server (nginx, kpki serve, curl) are left out.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { kpkiCommand, REPO_ROOT } from "../src/cli/testing.ts";

const README = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
let dir = "";

/** The commands of the first ```sh block after the line matching `heading` (continuations joined). */
function commands(heading: RegExp, after?: RegExp): string[] {
  const lines = README.split("\n");
  let i = lines.findIndex((l) => heading.test(l));
  assert.ok(i >= 0, `README has no line matching ${String(heading)}`);
  if (after) i = lines.findIndex((l, j) => j > i && after.test(l));
  const start = lines.findIndex((l, j) => j > i && l.startsWith("```sh"));
  const end = lines.findIndex((l, j) => j > start && l.startsWith("```"));
  return lines
    .slice(start + 1, end)
    .join("\n")
    .replace(/\\\n\s*/g, "")
    .split("\n")
    .map((l) => l.replace(/\s+#.*$/, "").trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
}

function run(cmd: string): { status: number | null; out: string } {
  const r = spawnSync("sh", ["-ec", cmd], { cwd: dir, encoding: "utf8", env: { ...process.env, PATH: `${join(dir, "bin")}:${process.env["PATH"] ?? ""}` } });
  return { status: r.status, out: r.stdout + r.stderr };
}

// Seed 004's files, verbatim (the server's public IP is the seed's example).
const SEED_004: Record<string, unknown> = {
  "rootCA-config.json": { signing: { default: { expiry: "8760h" }, profiles: { "root-ca": { usages: ["signing", "key encipherment", "server auth", "client auth"], expiry: "8760h" } } } },
  "rootCA-csr.json": { CN: "rootCA", key: { algo: "rsa", size: 2048 }, names: [{ O: "Kubernetes" }] },
  "server-csr.json": { CN: "localhost", hosts: ["localhost", "54.180.125.182"], key: { algo: "rsa", size: 2048 }, names: [{ O: "server-group" }] },
  "client-csr.json": { CN: "localhost", key: { algo: "rsa", size: 2048 }, names: [{ O: "client-group" }] },
  "k8s-new-client-csr.json": { CN: "k8s-new-client", key: { algo: "rsa", size: 2048 }, names: [{ O: "system:masters" }] },
};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "kpki-readme-"));
  mkdirSync(join(dir, "bin"));
  const argv = (await kpkiCommand()).map((a) => `'${a}'`).join(" ");
  writeFileSync(join(dir, "bin", "kpki"), `#!/bin/sh\nexec ${argv} "$@"\n`);
  chmodSync(join(dir, "bin", "kpki"), 0o755);
  for (const [f, v] of Object.entries(SEED_004)) writeFileSync(join(dir, f), JSON.stringify(v, null, 2));
});

test("README quickstart, seed 000: every command runs as written", () => {
  const cmds = commands(/^### Seed 000/);
  assert.ok(cmds.some((c) => c.includes("init --dir")), cmds.join("\n"));
  for (const c of cmds) {
    const r = run(c);
    assert.equal(r.status, 0, `${c}\n${r.out}`);
  }
});

test("README quickstart, seed 004: the kpki cfssl lines run as written and make a chain openssl verifies", () => {
  const cmds = commands(/^### Seed 004/).filter((c) => !c.startsWith("curl"));
  assert.ok(cmds.length >= 3, cmds.join("\n"));
  for (const c of cmds) {
    const r = run(c);
    assert.equal(r.status, 0, `${c}\n${r.out}`);
  }
  const v = run("openssl verify -CAfile rootCA.pem -purpose sslserver server.pem && openssl verify -CAfile rootCA.pem -purpose sslclient client.pem");
  assert.equal(v.status, 0, v.out);
});

test("README quickstart, seed 004 §5: the offline system:masters client certificate, with the seed's config and profile", () => {
  assert.equal(run("kpki init --dir .kpki >/dev/null").status, 0);
  const cmds = commands(/^### Seed 004/, /^Seed 004 §5/);
  const gencert = cmds.find((c) => c.includes("k8s-new-client-csr.json"));
  // Seed 004 §5 signs with `-config=rootCA-config.json -profile=root-ca`: files the reader made in §1.
  assert.match(gencert ?? "", /-config=rootCA-config\.json -profile=root-ca /, cmds.join("\n"));
  for (const c of cmds.filter((x) => !/^(curl|(\.\/bin\/)?kpki serve)\b/.test(x))) {
    const r = run(c);
    assert.equal(r.status, 0, `${c}\n${r.out}`);
  }
  const v = run("openssl verify -CAfile .kpki/pki/ca.crt -purpose sslclient k8s-new-client.pem && openssl x509 -in k8s-new-client.pem -noout -subject");
  assert.equal(v.status, 0, v.out);
  assert.match(v.out, /O ?= ?system:masters/);
});

test("README quickstart: `kpki` on PATH first, where the seed 004 JSON files go, nginx's port", () => {
  assert.equal(commands(/^### Seed 000/)[0], "export PATH=$PWD/bin:$PATH");
  const seed004 = README.slice(README.indexOf("### Seed 004"), README.indexOf("### Seed 001"));
  assert.match(seed004, /in the directory holding the seed's JSON files/);
  for (const f of Object.keys(SEED_004)) assert.ok(seed004.includes(`\`${f}\``), f);
  assert.match(seed004, /nginx listens on `:8443`/);
  assert.ok(README.startsWith("# kpki — the Kubernetes PKI, provisioned, served and operated by one TypeScript system\n\n```sh\n" +
    "npm ci && ./bin/kpki serve --data-dir .kpki "), "the first lines stay the two commands");
});

test("README command reference: inspect --passin, cfssl print-defaults and -initca -ca-key, backup, as their --help says", () => {
  const table = README.slice(README.indexOf("## Command reference"), README.indexOf("## Layout"));
  const rows: [string, string[], string[]][] = [
    ["`kpki inspect FILE… [-o json] [--passin pass:TEXT\\|env:VAR\\|file:PATH]`", ["inspect", "--help"], ["--passin pass:TEXT|env:VAR|file:PATH"]],
    ["`kpki cfssl print-defaults config\\|csr\\|list`", ["cfssl", "--help"], ["print-defaults config|csr|list"]],
    ["`kpki cfssl gencert -initca [-ca-key=KEY] csr.json`", ["cfssl", "--help"], ["gencert -initca [-ca-key=", "-ca-key FILE"]],
    ["`kpki backup (--data-dir DIR \\| --kubeconfig FILE) -o FILE`", ["backup", "--help"], ["kpki backup (--data-dir DIR | --kubeconfig FILE) -o FILE"]],
  ];
  for (const [row, help, flags] of rows) {
    assert.ok(table.includes(`| ${row} |`), row);
    // backup lives in main/ (not in the test's cli bundle): its help is read from the built CLI.
    const out = help[0] === "backup" ? run(`${join(REPO_ROOT, "bin", "kpki")} backup --help`) : run(`kpki ${help.join(" ")}`);
    assert.equal(out.status, 0, out.out);
    for (const f of flags) assert.ok(out.out.includes(f), `${help.join(" ")}: ${f}\n${out.out}`);
  }
});
