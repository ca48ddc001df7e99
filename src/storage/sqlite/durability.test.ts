// Durability across kill -9 (issue 3 §5): every write the child process saw acknowledged is in
// the file after the process dies mid-stream. Also: the lock keeps a second process out.
import { it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { StorageError } from "../types.ts";
import { openSqliteBackend } from "./backend.ts";

const writer = fileURLToPath(new URL("./testdata/writer.ts", import.meta.url));

it("keeps every acknowledged write after kill -9, and locks out a second process", async () => {
  const dir = mkdtempSync(join(tmpdir(), "kpki-durability-"));
  try {
    const path = join(dir, "state.db");
    const child = spawn(process.execPath, ["--import", "tsx", writer, path], { stdio: ["ignore", "pipe", "inherit"] });
    const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
    const acked: string[] = [];
    let lastCount = 0;
    let buffered = "";
    await new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error("writer made no progress in 30 s")), 30_000);
      child.stdout.on("data", (chunk: Buffer) => {
        buffered += chunk.toString("utf8");
        const lines = buffered.split("\n");
        buffered = lines.pop() ?? "";
        for (const line of lines) {
          const [key, count] = line.split(" ");
          acked.push(key ?? "");
          lastCount = Number(count);
        }
        if (acked.length >= 100) {
          clearTimeout(deadline);
          resolve();
        }
      });
      child.on("exit", () => reject(new Error("writer exited early")));
    });
    // While the writer holds the database, another server must not open it.
    assert.throws(() => openSqliteBackend(path, { lockTimeoutMs: 0 }), (err: unknown) => err instanceof StorageError && err.code === "unavailable");
    child.kill("SIGKILL");
    await exited;
    const backend = openSqliteBackend(path);
    try {
      for (const key of acked) assert.ok(await backend.get(key), `acknowledged ${key} was lost`);
      const counter = Number(new TextDecoder().decode((await backend.get("/d/counter"))?.value));
      assert.ok(counter >= lastCount, `counter ${counter} is behind the acknowledged ${lastCount}`);
      const all = await backend.list("/d/k/");
      assert.ok(all.items.length >= acked.length);
    } finally {
      await backend.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
