// The Io interface (docs/CONTRACTS.md): the ONLY file of cli/ that touches fs, net and process.
// Commands receive an Io, so tests run them in-process against a temp dir or a fake.
import { open, readFile, rename, mkdir, readdir, stat, unlink } from "node:fs/promises";
import { resolve } from "node:path";
import { randomBytes } from "node:crypto";
import { CliError } from "./errors.ts";
import { TEMP_NAME, stageFiles, tempNameFor, type BatchFile } from "./io-batch.ts";
import type { FileStage } from "../cluster/index.ts";

export interface ApiTarget {
  server: string;
  caPem?: string;
  certPem?: string;
  keyPem?: string;
  token?: string;
  insecure?: boolean;
}

export interface Io {
  readonly stdout: (s: string) => void;
  readonly stderr: (s: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readFile(path: string): Promise<Uint8Array>;
  readText(path: string): Promise<string>;
  exists(path: string): Promise<boolean>;
  writeFileAtomic(path: string, data: string | Uint8Array, opts?: { mode?: number }): Promise<void>;
  /** Many files, each atomic like writeFileAtomic: added over time (temp files written at once) and
   *  made visible together on commit, with one durability pass for all (optional: callers fall back
   *  to writeFileAtomic per file). See io-batch.ts stageFiles. */
  stageFiles?(): FileStage;
  mkdirp(path: string): Promise<void>;
  listDir(path: string): Promise<string[]>;
  request(
    target: ApiTarget,
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: unknown; text: string }>;
  sleep(ms: number): Promise<void>;
}

export interface FileToWrite {
  readonly path: string;
  readonly data: string | Uint8Array;
  /** Default 0o644; keys 0o600. */
  readonly mode?: number;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(args: string[], io: Io): Promise<number>;
}

/** A batch write's failure in one line, naming the target file (not its temp name). */
async function asWriteError(p: Promise<void>): Promise<void> {
  try {
    await p;
  } catch (err) {
    const path = (err as { path?: unknown }).path;
    throw new CliError("io", `cannot write ${typeof path === "string" ? path.replace(TEMP_NAME, "/$1") : "files"}: ${reason(err)}`);
  }
}

function reason(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  if (code === "ENOENT") return "no such file or directory";
  if (code === "EACCES") return "permission denied";
  if (code === "EISDIR") return "is a directory";
  if (code === "ENOTDIR") return "not a directory";
  return err instanceof Error ? err.message : String(err);
}

async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}

/** Write a temp file in the same directory, fsync it, then rename over the target: readers see the
 *  old or the new file, never half of one (rename is atomic within a filesystem, POSIX). */
async function writeAtomic(path: string, data: string | Uint8Array, mode: number): Promise<void> {
  const tmp = tempName(path);
  const fh = await open(tmp, "wx", mode);
  try {
    await fh.writeFile(data);
    await fh.chmod(mode); // open()'s mode is filtered by the umask; keys must be exactly 0600
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

const tempName = (path: string): string => tempNameFor(path, randomBytes(6).toString("hex"));


export interface NodeIoOptions {
  cwd?: string;
  stdout?: (s: string) => void;
  stderr?: (s: string) => void;
  env?: Record<string, string | undefined>;
  /** stdin contents for "-" (tests); default: the process's stdin. */
  stdin?: string | Uint8Array;
}

/** process.stdout for Io.stdout, for a reader that may go away (`kpki init | head -1`): a write to a
 *  closed pipe fails with EPIPE, reported on the stream as an 'error' event, which unhandled kills
 *  node with a stack trace. Like coreutils on a closed stdout, kpki then stops writing and carries on
 *  quietly: the command still finishes (init still writes its files) and exits with its own code. */
const stdoutState = { watched: false, gone: false };
function processStdout(): (s: string) => void {
  if (!stdoutState.watched) {
    stdoutState.watched = true;
    process.stdout.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code !== "EPIPE" && !stdoutState.gone) throw err; // anything else (EIO, ENOSPC): as loud as before
      stdoutState.gone = true;
    });
  }
  return (s) => {
    if (!stdoutState.gone && !process.stdout.destroyed) process.stdout.write(s);
  };
}

/** The real Io over node:fs and node:https. */
export function nodeIo(opts: NodeIoOptions = {}): Io {
  const cwd = opts.cwd ?? process.cwd();
  const abs = (p: string): string => resolve(cwd, p);
  const absFile = (f: FileToWrite): BatchFile => ({ path: abs(f.path), data: f.data, mode: f.mode ?? 0o644 });
  const readBytes = async (path: string): Promise<Uint8Array> => {
    if (path === "-") {
      if (opts.stdin !== undefined) return typeof opts.stdin === "string" ? new Uint8Array(Buffer.from(opts.stdin)) : opts.stdin;
      return readStdin();
    }
    try {
      return new Uint8Array(await readFile(abs(path)));
    } catch (err) {
      throw new CliError("io", `cannot read ${path}: ${reason(err)}`);
    }
  };
  return {
    stdout: opts.stdout ?? processStdout(),
    stderr: opts.stderr ?? ((s) => void process.stderr.write(s)),
    env: opts.env ?? process.env,
    cwd,
    readFile: readBytes,
    readText: async (path) => Buffer.from(await readBytes(path)).toString("utf8"),
    exists: async (path) => stat(abs(path)).then(() => true, () => false),
    async writeFileAtomic(path, data, o) {
      try {
        await writeAtomic(abs(path), data, o?.mode ?? 0o644);
      } catch (err) {
        throw new CliError("io", `cannot write ${path}: ${reason(err)}`);
      }
    },
    stageFiles() {
      const staged = stageFiles();
      return {
        add: (files) => asWriteError(staged.add(files.map(absFile))),
        commit: () => asWriteError(staged.commit()),
        abort: () => staged.abort(),
      };
    },
    async mkdirp(path) {
      try {
        await mkdir(abs(path), { recursive: true });
      } catch (err) {
        throw new CliError("io", `cannot create directory ${path}: ${reason(err)}`);
      }
    },
    async listDir(path) {
      try {
        return (await readdir(abs(path))).sort();
      } catch (err) {
        throw new CliError("io", `cannot list ${path}: ${reason(err)}`);
      }
    },
    request: httpsRequest,
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  };
}

/** One HTTPS request with a kubeconfig identity (client certificate or bearer token). node:https is
 *  loaded on first use so commands that never talk to a server start fast. */
async function httpsRequest(
  target: ApiTarget,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown; text: string }> {
  const https = await import("node:https");
  const url = new URL(path, target.server);
  const payload = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
  const hdrs: Record<string, string> = { accept: "application/json", ...headers };
  if (payload !== undefined && hdrs["content-type"] === undefined) hdrs["content-type"] = "application/json";
  if (target.token) hdrs["authorization"] = `Bearer ${target.token}`;
  return new Promise((resolveP, reject) => {
    const req = https.request(
      url,
      {
        method,
        headers: hdrs,
        ...(target.caPem ? { ca: target.caPem } : {}),
        ...(target.certPem ? { cert: target.certPem } : {}),
        ...(target.keyPem ? { key: target.keyPem } : {}),
        rejectUnauthorized: target.insecure !== true,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: unknown = text;
          try {
            parsed = text.length > 0 ? JSON.parse(text) : undefined;
          } catch {
            // not JSON: keep the text
          }
          resolveP({ status: res.statusCode ?? 0, body: parsed, text });
        });
      },
    );
    req.on("error", (err) => reject(new CliError("network", `${method} ${url.href}: ${reason(err)}`)));
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}
