// Test support (imported only by tests, never bundled): run the kpki CLI as a real process.
// The end-to-end tests bundle src/cli with esbuild into a temp dir (≈100 ms) so they exercise
// exactly this module's commands even while other modules' main/ commands are being written;
// KPKI_BIN=./bin/kpki runs them against the shipped entry point instead.
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { mkdirSync, mkdtempSync } from "node:fs";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
let bundle: string | undefined;

export async function kpkiCommand(): Promise<string[]> {
  if (process.env["KPKI_BIN"]) return [resolve(ROOT, process.env["KPKI_BIN"])];
  if (!bundle) {
    const { build } = await import("esbuild");
    // Inside the checkout so the bundle's external imports ("yaml") resolve from node_modules.
    const cache = join(ROOT, "node_modules", ".cache");
    mkdirSync(cache, { recursive: true });
    const out = join(mkdtempSync(join(cache, "kpki-bin-")), "kpki.mjs");
    await build({
      stdin: {
        contents: 'import { nodeIo, runCli } from "./src/cli/index.ts";\nprocess.exitCode = await runCli(process.argv.slice(2), nodeIo());\n',
        resolveDir: ROOT,
        loader: "ts",
      },
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      outfile: out,
      packages: "external",
      logLevel: "error",
    });
    bundle = out;
  }
  return [process.execPath, bundle];
}

export interface RunResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run `kpki ARGS` (synchronously) in `cwd`, feeding `input` to stdin. */
export async function runKpki(args: readonly string[], opts: { cwd?: string; input?: string | Buffer } = {}): Promise<RunResult> {
  const [cmd, ...pre] = await kpkiCommand();
  const r: SpawnSyncReturns<string> = spawnSync(cmd!, [...pre, ...args], {
    cwd: opts.cwd ?? ROOT,
    input: opts.input ?? "",
    encoding: "utf8",
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** `kpki A | kpki B` as the seeds write it. */
export async function pipeKpki(a: readonly string[], b: readonly string[], cwd: string): Promise<RunResult> {
  const first = await runKpki(a, { cwd });
  if (first.status !== 0) return first;
  return runKpki(b, { cwd, input: first.stdout });
}

export const REPO_ROOT = ROOT;

/** A file stage (Io.stageFiles, io-batch's stageFiles) used as `kpki init` uses it: add the files,
 *  commit, and abort — no temp file left — when either fails. */
export async function addAndCommit<F>(stage: { add(files: readonly F[]): Promise<void>; commit(): Promise<void>; abort(): Promise<void> }, files: readonly F[]): Promise<void> {
  try {
    await stage.add(files);
    await stage.commit();
  } catch (err) {
    await stage.abort();
    throw err;
  }
}
