import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nodeBatchFs, stageFiles, type BatchFile, type BatchFs } from "./io-batch.ts";
import { addAndCommit } from "./testing.ts";

/** One batch staged and committed, aborted on a failure. */
const writeAllAtomic = (files: readonly BatchFile[], fs: BatchFs = nodeBatchFs): Promise<void> => addAndCommit(stageFiles(fs), files);

/** node:fs with a call counter per operation, open descriptors tracked and one injectable failure. */
type Fault = { op: keyof BatchFs; nth: number };
function faultyFs(...faults: Fault[]): BatchFs & { open_: Set<number>; calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const openFds = new Set<number>();
  const fail = (op: keyof BatchFs): NodeJS.ErrnoException | null => {
    calls[op] = (calls[op] ?? 0) + 1;
    if (!faults.some((f) => f.op === op && f.nth === calls[op])) return null;
    return Object.assign(new Error(`injected ${op} failure`), { code: "EIO" });
  };
  const out = {
    open_: openFds,
    calls,
    open: (p: string, flags: string, mode: number, cb: (err: NodeJS.ErrnoException | null, fd: number) => void) => {
      const e = fail("open");
      if (e) return void setImmediate(() => cb(e, -1));
      fs.open(p, flags, mode, (err, fd) => {
        if (!err) openFds.add(fd);
        cb(err, fd);
      });
    },
    write: (fd, buf, off, len, pos, cb) => {
      const e = fail("write");
      if (e) return void setImmediate(() => cb(e, 0));
      fs.write(fd, buf, off, len, pos, cb);
    },
    fchmod: (fd, mode, cb) => fs.fchmod(fd, mode, cb),
    fsync: (fd, cb) => {
      const e = fail("fsync");
      if (e) return void setImmediate(() => cb(e));
      fs.fsync(fd, cb);
    },
    close: (fd, cb) => {
      openFds.delete(fd);
      fs.close(fd, cb);
    },
    rename: (a, b, cb) => {
      const e = fail("rename");
      if (e) return void setImmediate(() => cb(e));
      fs.rename(a, b, cb);
    },
    unlink: (p, cb) => fs.unlink(p, cb),
    syncfs: (paths, cb) => {
      const e = fail("syncfs");
      if (e) return void setImmediate(() => cb(e));
      nodeBatchFs.syncfs(paths, cb);
    },
  } satisfies BatchFs & { open_: Set<number>; calls: Record<string, number> };
  return out;
}

function withDir(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), "kpki-batch-"));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true });
    }
  };
}

/** 600 files over two directories (more than two chunks of 256), keys 0600, one old file replaced. */
function manyFiles(dir: string): BatchFile[] {
  fs.mkdirSync(join(dir, "a"));
  fs.mkdirSync(join(dir, "b"));
  return Array.from({ length: 600 }, (_, i) => ({
    path: join(dir, i % 3 === 0 ? "a" : "b", `f${i}.${i % 2 ? "key" : "crt"}`),
    data: i === 7 ? new Uint8Array([0, 1, 2, 255]) : `file ${i}\n`.repeat(i % 50),
    mode: i % 2 ? 0o600 : 0o644,
  }));
}

const listAll = (dir: string): string[] => ["a", "b"].flatMap((d) => readdirSync(join(dir, d)).map((f) => `${d}/${f}`));

test("writeAllAtomic: every file with its contents and exact mode, old files replaced, no temp files, no descriptors left", withDir(async (dir) => {
  const files = manyFiles(dir);
  writeFileSync(files[3]!.path, "old contents that are longer than the new ones");
  const counted = faultyFs();
  await writeAllAtomic(files, counted);
  for (const f of files) {
    assert.deepEqual(new Uint8Array(readFileSync(f.path)), typeof f.data === "string" ? new Uint8Array(Buffer.from(f.data)) : f.data, f.path);
    assert.equal(statSync(f.path).mode & 0o777, f.mode, f.path);
  }
  assert.equal(listAll(dir).length, files.length);
  assert.deepEqual(listAll(dir).filter((f) => f.endsWith(".tmp")), []);
  assert.equal(counted.open_.size, 0);
  assert.equal(counted.calls["syncfs"], 1, "a big batch is made durable by one syncfs");
  assert.equal(counted.calls["fsync"], 2, "then one fsync per directory after the renames");
}));

test("writeAllAtomic: a small batch fsyncs each file, no syncfs", withDir(async (dir) => {
  const files = manyFiles(dir).slice(0, 20);
  const counted = faultyFs();
  await writeAllAtomic(files, counted);
  assert.equal(counted.calls["syncfs"], undefined);
  assert.equal(counted.calls["fsync"], files.length + 2, "one fsync per file and one per directory");
  for (const f of files) assert.equal(statSync(f.path).mode & 0o777, f.mode, f.path);
}));

test("writeAllAtomic: where syncfs fails, every file is reopened and fsynced instead", withDir(async (dir) => {
  const files = manyFiles(dir);
  const counted = faultyFs({ op: "syncfs", nth: 1 });
  await writeAllAtomic(files, counted);
  assert.equal(counted.calls["fsync"], files.length + 2, "one fsync per file and one per directory");
  assert.equal(counted.open_.size, 0);
  for (const f of files) assert.equal(readFileSync(f.path).length, typeof f.data === "string" ? Buffer.byteLength(f.data) : f.data.length, f.path);
  assert.deepEqual(listAll(dir).filter((f) => f.endsWith(".tmp")), []);
}));

test("writeAllAtomic: modes are exact under a restrictive umask (0644 files are chmod-ed)", withDir(async (dir) => {
  const old = process.umask(0o077);
  try {
    const files = manyFiles(dir).slice(0, 10);
    await writeAllAtomic(files);
    for (const f of files) assert.equal(statSync(f.path).mode & 0o777, f.mode, f.path);
  } finally {
    process.umask(old);
  }
}));

// A failure before the renames leaves no target file at all (not even from chunks already fsynced),
// no temp file and no open descriptor; one during the renames leaves only complete files.
const failures: [string, Fault[], (present: number) => boolean][] = [
  ["open of a file in the second chunk", [{ op: "open", nth: 300 }], (n) => n === 0],
  ["write of the first file", [{ op: "write", nth: 1 }], (n) => n === 0],
  ["fsync of a reopened file after a failed syncfs", [{ op: "syncfs", nth: 1 }, { op: "fsync", nth: 590 }], (n) => n === 0],
  ["a rename half-way", [{ op: "rename", nth: 300 }], (n) => n > 0 && n < 600],
];
for (const [name, faults, presentOk] of failures) {
  test(`writeAllAtomic: ${name} fails the batch and cleans up`, withDir(async (dir) => {
    const files = manyFiles(dir);
    const injected = faultyFs(...faults);
    await assert.rejects(() => writeAllAtomic(files, injected), /injected/);
    const left = listAll(dir);
    assert.deepEqual(left.filter((f) => f.endsWith(".tmp")), [], "no temp files");
    assert.ok(presentOk(left.length), `${left.length} target files present`);
    for (const f of files.filter((x) => left.includes(x.path.slice(dir.length + 1)))) {
      assert.equal(readFileSync(f.path).length, typeof f.data === "string" ? Buffer.byteLength(f.data) : f.data.length, `${f.path} complete`);
    }
    assert.equal(injected.open_.size, 0, "no descriptor left open");
  }));
}

test("stageFiles: batches added over time are invisible until commit; abort leaves no temp file", withDir(async (dir) => {
  const files = manyFiles(dir);
  const counted = faultyFs();
  const staged = stageFiles(counted);
  await staged.add(files.slice(0, 300));
  await staged.add(files.slice(300));
  assert.equal(listAll(dir).filter((f) => !f.endsWith(".tmp")).length, 0, "nothing visible before commit");
  assert.equal(counted.open_.size, 0, "temp files are closed once written");
  await staged.commit();
  assert.equal(listAll(dir).length, files.length);
  assert.deepEqual([counted.calls["syncfs"], counted.calls["fsync"]], [1, 2], "one syncfs for both batches, one fsync per directory");

  const again = stageFiles();
  await again.add(files.slice(0, 10).map((f) => ({ ...f, data: "new" })));
  await again.abort();
  assert.deepEqual(listAll(dir).filter((f) => f.endsWith(".tmp")), []);
  assert.equal(readFileSync(files[0]!.path, "utf8"), typeof files[0]!.data === "string" ? files[0]!.data : "", "aborted files leave the old ones");
}));
