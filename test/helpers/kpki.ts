// Start kpki for end-to-end tests: in-process (fast, what most tests use) or as the real
// `./bin/kpki serve` process. Each server gets its own temp data dir and a free loopback port, so
// test files run in parallel; close() stops it and removes the dir.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startServer, type ServeOptions } from "../../src/main/start-server.ts";
import type { PemPair } from "./certs.ts";

export const REPO = resolve(import.meta.dirname, "../..");

export interface TestServer {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** DIR/admin.conf: kubernetes-admin in kubeadm:cluster-admins (bound to cluster-admin). */
  readonly adminConf: string;
  /** DIR/super-admin.conf: O=system:masters. */
  readonly superAdminConf: string;
  /** The cluster CA, for signing test identities (empty when serving an external PKI). */
  readonly ca: PemPair;
  close(): Promise<void>;
}

async function clusterCa(dir: string): Promise<PemPair> {
  const read = (f: string): Promise<string> => readFile(join(dir, "pki", f), "utf8").catch(() => "");
  return { certPem: await read("ca.crt"), keyPem: await read("ca.key") };
}

/** kpki in this process on 127.0.0.1:<free port>, memory storage unless asked otherwise. */
export async function startTestServer(opts: Partial<ServeOptions> = {}): Promise<TestServer> {
  const dir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), "kpki-e2e-")));
  const running = await startServer({ storage: "memory", port: 0, log: () => undefined, ...opts, dataDir: dir });
  return {
    url: running.url,
    port: running.port,
    dir,
    adminConf: join(dir, "admin.conf"),
    superAdminConf: join(dir, "super-admin.conf"),
    ca: await clusterCa(dir),
    async close() {
      await running.close();
      if (opts.dataDir === undefined) await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface ServeProcess {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
}

/** ./bin/kpki runs dist/, which `npm test` (scripts/test.mjs) builds once before any test runs. */
export function assertBuilt(): void {
  if (!existsSync(join(REPO, "dist", "kpki.mjs"))) throw new Error("./bin/kpki needs dist/: run the tests with `npm test` (it builds first)");
}

/** `./bin/kpki serve ARGS…` as a child process (needs dist/: assertBuilt). */
export function spawnKpki(args: readonly string[], env: NodeJS.ProcessEnv = {}): ServeProcess {
  const child = spawn(process.execPath, [join(REPO, "bin", "kpki"), ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((res) => child.on("exit", (code) => res(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Polls `check` every 50 ms until it returns true or `timeoutMs` passes (process start-up, not logic). */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Waits for a spawned `kpki serve` to print "kpki serving on"; fails with its stderr if it exits first. */
export async function untilServing(p: ServeProcess): Promise<void> {
  await waitUntil(() => p.stdout().includes("kpki serving on") || p.child.exitCode !== null, 30_000, "kpki serve to start");
  if (!p.stdout().includes("kpki serving on")) throw new Error(`kpki serve did not start: ${p.stderr()}`);
}

/** A free loopback port (bound and released; for child processes that must be told a port). */
export async function freePort(): Promise<number> {
  const { createServer } = await import("node:net");
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}
