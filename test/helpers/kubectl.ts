// Run the real kubectl against a test server. Every runner has its own HOME and discovery cache
// (KUBECACHEDIR + --cache-dir), because kubectl caches discovery for 6 h and the dispatcher's
// /version answer for 2 h per host:port (kubectl-protocol.md §0, §1).
import { spawn, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export interface KubectlResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function which(cmd: string): string | undefined {
  const r = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** The installed dispatcher and the versioned binaries beside it (kubectl.1.27 … kubectl.1.33). */
export function kubectlBinary(version?: "1.27" | "1.28" | "1.29" | "1.30" | "1.31" | "1.32" | "1.33"): string | undefined {
  const dispatcher = which("kubectl");
  if (dispatcher === undefined) return undefined;
  if (version === undefined) return dispatcher;
  const r = spawnSync("readlink", ["-f", dispatcher], { encoding: "utf8" });
  const real = r.status === 0 ? r.stdout.trim() : dispatcher;
  const p = join(dirname(real), `kubectl.${version}`);
  return existsSync(p) ? p : undefined;
}

export interface Kubectl {
  (args: readonly string[], opts?: { input?: string; timeoutMs?: number }): Promise<KubectlResult>;
  /** A long-running kubectl (get -w); `lines()` is what it printed so far. */
  spawn(args: readonly string[]): { lines: () => string[]; stderr: () => string; stop: () => Promise<number | null> };
  readonly home: string;
  /** Copies another runner's discovery + /version cache: "this user has used kubectl here before". */
  warmCacheFrom(other: Kubectl): void;
  cleanup(): void;
}

/** A runner bound to one kubeconfig and binary, with a fresh HOME/cache of its own. */
export function createKubectl(kubeconfig: string, binary = kubectlBinary() ?? "kubectl"): Kubectl {
  const home = mkdtempSync(join(tmpdir(), "kpki-kubectl-"));
  const cache = join(home, "cache");
  const env = { PATH: process.env["PATH"] ?? "", HOME: home, KUBECACHEDIR: cache, KUBECONFIG: kubeconfig };
  const argv = (args: readonly string[]): string[] => [`--cache-dir=${cache}`, ...args];
  const run = (args: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<KubectlResult> =>
    new Promise((resolve, reject) => {
      const child = spawn(binary, argv(args), { env, stdio: ["pipe", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 30_000);
      child.on("error", reject);
      child.on("close", (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
      child.stdin.end(opts.input ?? "");
    });
  const k = run as Kubectl;
  k.spawn = (args) => {
    const child = spawn(binary, argv(args), { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const closed = new Promise<number | null>((res) => child.on("close", (code) => res(code)));
    return {
      lines: () => out.split("\n").filter((l) => l !== ""),
      stderr: () => err,
      stop: async () => {
        if (child.exitCode === null) child.kill("SIGTERM");
        return closed;
      },
    };
  };
  Object.defineProperty(k, "home", { value: home });
  k.warmCacheFrom = (other) => cpSync(join(other.home, "cache"), cache, { recursive: true });
  k.cleanup = () => rmSync(home, { recursive: true, force: true });
  return k;
}
