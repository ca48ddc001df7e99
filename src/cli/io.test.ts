import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CliError } from "./errors.ts";
import { nodeIo } from "./io.ts";
import { addAndCommit, kpkiCommand } from "./testing.ts";

test("stageFiles: contents, exact modes, replaces old files, leaves no temp files", async () => {
  const dir = mkdtempSync(join(tmpdir(), "kpki-io-"));
  try {
    const io = nodeIo({ cwd: dir });
    await io.mkdirp("pki/sub");
    writeFileSync(join(dir, "pki/old.crt"), "old");
    const files = [
      { path: "pki/old.crt", data: "new cert\n" },
      { path: "pki/a.key", data: "key\n", mode: 0o600 },
      { path: "pki/sub/b.crt", data: new Uint8Array([1, 2, 3]), mode: 0o644 },
      ...Array.from({ length: 100 }, (_, i) => ({ path: `pki/sub/n${i}.key`, data: `k${i}`, mode: 0o600 })),
    ];
    await addAndCommit(io.stageFiles!(), files);
    assert.equal(readFileSync(join(dir, "pki/old.crt"), "utf8"), "new cert\n");
    assert.deepEqual([...readFileSync(join(dir, "pki/sub/b.crt"))], [1, 2, 3]);
    assert.equal(readFileSync(join(dir, "pki/sub/n42.key"), "utf8"), "k42");
    assert.equal(statSync(join(dir, "pki/a.key")).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, "pki/old.crt")).mode & 0o777, 0o644);
    assert.equal(statSync(join(dir, "pki/sub/n7.key")).mode & 0o777, 0o600);
    const all = [...readdirSync(join(dir, "pki")), ...readdirSync(join(dir, "pki/sub"))];
    assert.deepEqual(all.filter((f) => f.endsWith(".tmp")), []);
    assert.equal(all.length, 2 + 1 + 101);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test("stageFiles: a failure names the file, in one line, and leaves no temp files", async () => {
  const dir = mkdtempSync(join(tmpdir(), "kpki-io-"));
  try {
    const io = nodeIo({ cwd: dir });
    await io.mkdirp("ok");
    await assert.rejects(
      () => addAndCommit(io.stageFiles!(), [{ path: "ok/a.crt", data: "a" }, { path: "missing/b.key", data: "b", mode: 0o600 }]),
      (e: unknown) => e instanceof CliError && /^cannot write .*missing\/b\.key: no such file or directory$/.test(e.message),
    );
    assert.deepEqual(readdirSync(join(dir, "ok")).filter((f) => f.endsWith(".tmp")), []);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

/** Run kpki with its stdout a pipe whose reading end this side closes at once (`kpki … | head -0`). */
async function runWithClosedStdout(args: readonly string[], cwd: string): Promise<{ code: number | null; stderr: string }> {
  const [cmd, ...pre] = await kpkiCommand();
  const child = spawn(cmd!, [...pre, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.destroy();
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((r) => child.on("close", (c) => r(c)));
  return { code, stderr };
}

test("a reader that goes away (EPIPE on stdout): no stack trace, the command finishes, its exit code", async () => {
  const dir = mkdtempSync(join(tmpdir(), "kpki-io-"));
  try {
    const cases: [string, string[], number, string][] = [
      ["init --dry-run", ["init", "--dir", "dry", "--dry-run"], 0, ""],
      ["init writes every file", ["init", "--dir", "c"], 0, ""],
      ["a failing command keeps its code and its one-line error", ["lint", "missing.crt"], 1, "kpki: "],
    ];
    for (const [name, args, want, errPrefix] of cases) {
      const r = await runWithClosedStdout(args, dir);
      assert.equal(r.code, want, `${name}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /EPIPE|at .*\(|node:events/, name);
      assert.ok(errPrefix === "" ? r.stderr === "" : r.stderr.startsWith(errPrefix) && r.stderr.split("\n").length === 2, `${name}: ${r.stderr}`);
    }
    assert.ok(existsSync(join(dir, "c", "admin.conf")) && existsSync(join(dir, "c", "pki", "sa.pub")), "init carried on after stdout closed");
  } finally {
    rmSync(dir, { recursive: true });
  }
});
