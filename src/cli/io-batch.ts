// The batch writer behind Io.stageFiles (part of the Io implementation, like
// io.ts): thousands of files for `kpki init`, each atomic (temp + rename), with one durability pass
// (one syncfs) for the lot.
import { execFile } from "node:child_process";
import { close, fchmod, fsync, open, rename, unlink, write } from "node:fs";
import { dirname, basename, join } from "node:path";
import { randomBytes } from "node:crypto";

export interface BatchFile {
  readonly path: string;
  readonly data: string | Uint8Array;
  readonly mode: number;
}

/** Test seam: the file system calls the writer makes (node:fs by default). */
export interface BatchFs {
  open(path: string, flags: string, mode: number, cb: (err: NodeJS.ErrnoException | null, fd: number) => void): void;
  write(fd: number, buf: Uint8Array, off: number, len: number, pos: null, cb: (err: NodeJS.ErrnoException | null, n: number) => void): void;
  fchmod(fd: number, mode: number, cb: (err: NodeJS.ErrnoException | null) => void): void;
  fsync(fd: number, cb: (err: NodeJS.ErrnoException | null) => void): void;
  close(fd: number, cb: (err: NodeJS.ErrnoException | null) => void): void;
  rename(from: string, to: string, cb: (err: NodeJS.ErrnoException | null) => void): void;
  unlink(path: string, cb: (err: NodeJS.ErrnoException | null) => void): void;
  /** syncfs(2) of the file systems holding `paths`: every dirty file on them written back, in one
   *  pass. Calls back with an error where it is unavailable; the writer then fsyncs file by file. */
  syncfs(paths: readonly string[], cb: (err: Error | null) => void): void;
}

/** Node has no syncfs binding; coreutils' `sync --file-system` (8.24+, Linux) is that one call. */
const coreutilsSyncfs: BatchFs["syncfs"] = (paths, cb) => {
  if (process.platform !== "linux") return void setImmediate(() => cb(new Error("syncfs is Linux-only")));
  execFile("sync", ["--file-system", "--", ...paths], (err) => cb(err));
};

export const nodeBatchFs: BatchFs = { open, write, fchmod, fsync, close, rename, unlink, syncfs: coreutilsSyncfs };

/** node:fs's callback calls wrapped in one promise each: fs/promises' FileHandle (an object, a
 *  close-on-GC registration and several promises per call) cost ≈ 2× the main-thread CPU per file. */
const call = <T = void>(f: (cb: (err: NodeJS.ErrnoException | null, v?: T) => void) => void): Promise<T> =>
  new Promise((resolve, reject) => f((err, v) => (err ? reject(err) : resolve(v as T))));

/** Runs `fn` over `items` with at most `width` in flight (libuv's pool has 4 threads; more requests in
 *  flight keep it busy and let the disk take the fsyncs' writes together). */
async function eachLimited<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      try {
        await fn(items[next++]!);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  // Every lane settles before this returns or throws: the caller's clean-up must not race a lane that
  // would still create a temp file after it.
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, lane));
  if (failure) throw failure.err;
}

/** process.umask() without an argument is only doc-deprecated (DEP0139: racy when threads change it;
 *  kpki never does). If it is unavailable, assume the worst so every file is chmod-ed. */
function currentUmask(): number {
  try {
    return process.umask();
  } catch {
    return 0o777;
  }
}

/** `.NAME.<12 hex>.tmp` beside the target (same filesystem, so rename is atomic). One random token per
 *  batch: NAME is unique within its directory, and "wx" makes a clash fail rather than share a file. */
export const tempNameFor = (path: string, token: string): string => join(dirname(path), `.${basename(path)}.${token}.tmp`);
export const TEMP_NAME = /\/\.([^/]*)\.[0-9a-f]{12}\.tmp$/;

/** From this many files on, one syncfs replaces the per-file fsyncs. Thousands of fsyncs each write
 *  their inode's table block again (16 inodes share one) and wait for it: for `kpki init` of 1000
 *  nodes (≈ 5000 files) they were 0.6 s of 1.65 s on this VM's ext4, one syncfs ≈ 15 ms. A small
 *  batch keeps fsync: a syncfs also writes back other processes' dirty data on that file system. */
const SYNCFS_FROM = 64;

type Temp = BatchFile & { tmp: string; fd: number | undefined };

/** Creates the temp file with its final mode, writes it and closes it (nothing visible yet). */
async function writeTemp(fs: BatchFs, f: Temp, umask: number): Promise<void> {
  f.fd = await call<number>((cb) => fs.open(f.tmp, "wx", f.mode, cb));
  const buf = typeof f.data === "string" ? Buffer.from(f.data) : f.data;
  for (let off = 0; off < buf.length; ) off += await call<number>((cb) => fs.write(f.fd!, buf, off, buf.length - off, null, cb));
  // The open mode is filtered by the umask; keys must be exactly 0600. One syscall saved per file when
  // the umask leaves the mode alone, as the usual 022/077 do for 0600 and 0644 (022).
  if ((f.mode & ~umask) !== f.mode) await call((cb) => fs.fchmod(f.fd!, f.mode, cb));
  await closeTemp(fs, f);
}

async function closeTemp(fs: BatchFs, f: Temp): Promise<void> {
  const fd = f.fd!;
  f.fd = undefined;
  await call((cb) => fs.close(fd, cb));
}

/** A written, closed temp file opened again and fsynced: Linux writes back its dirty pages whichever
 *  descriptor asks. */
async function fsyncTemp(fs: BatchFs, f: Temp): Promise<void> {
  f.fd = await call<number>((cb) => fs.open(f.tmp, "r", 0, cb));
  await call((cb) => fs.fsync(f.fd!, cb));
  await closeTemp(fs, f);
}

const dirsOf = (files: readonly { path: string }[]): string[] => [...new Set(files.map((f) => dirname(f.path)))];

/** Files made visible together: temp files written as they are added, then on commit made durable
 *  and renamed into place. */
export interface StagedFiles {
  /** Writes `files` as temp files beside their targets; no target changes yet. */
  add(files: readonly BatchFile[]): Promise<void>;
  /** Every added file durable (one syncfs, or an fsync each), then renamed into place, then each
   *  directory fsynced so the renames survive a crash too (POSIX: a rename is durable only once its
   *  directory is synced). */
  commit(): Promise<void>;
  /** After a failure: closes and removes every temp file not renamed yet. */
  abort(): Promise<void>;
}

/**
 * Many files, each still temp + rename (a reader sees the old or the new file, never half of one).
 * A failure before commit's renames changes no target file; one during them leaves the files renamed
 * so far (each complete), and abort removes the rest. Writing everything before the first sync lets
 * the kernel write back in bulk; fsync-then-rename per file made each file wait for its own flush.
 * `kpki init` adds each signed batch while it signs the next and commits once at the end.
 */
export function stageFiles(fs: BatchFs = nodeBatchFs): StagedFiles {
  const umask = currentUmask();
  const token = randomBytes(6).toString("hex");
  const temps: Temp[] = [];
  return {
    async add(files) {
      const added: Temp[] = files.map((f) => ({ ...f, tmp: tempNameFor(f.path, token), fd: undefined }));
      temps.push(...added);
      await eachLimited(added, 32, (f) => writeTemp(fs, f, umask));
    },
    async commit() {
      const synced = temps.length >= SYNCFS_FROM && (await call((cb) => fs.syncfs(dirsOf(temps), cb)).then(() => true, () => false));
      if (!synced) await eachLimited(temps, 64, (f) => fsyncTemp(fs, f));
      await eachLimited(temps, 32, async (f) => {
        await call((cb) => fs.rename(f.tmp, f.path, cb));
        f.tmp = "";
      });
      await Promise.all(dirsOf(temps).map((d) => fsyncDir(fs, d)));
    },
    async abort() {
      await Promise.all(temps.map(async (f) => {
        if (f.fd !== undefined) await closeTemp(fs, f).catch(() => undefined);
        if (f.tmp !== "") await call((cb) => fs.unlink(f.tmp, cb)).catch(() => undefined);
      }));
    },
  };
}

async function fsyncDir(fs: BatchFs, path: string): Promise<void> {
  const fd = await call<number>((cb) => fs.open(path, "r", 0, cb));
  try {
    await call((cb) => fs.fsync(fd, cb));
  } finally {
    await call((cb) => fs.close(fd, cb));
  }
}
