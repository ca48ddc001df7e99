// kpki backup against a running in-process kpki on SQLite (which holds kpki.db exclusively): the
// backup comes through GET /kpki/backup, is one consistent snapshot, and restores by copying it to
// a data dir's kpki.db — objects and the ledger come back.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exitCodeOf, nodeIo } from "../cli/index.ts";
import { createMemoryBackend, openSqliteBackend } from "../storage/index.ts";
import { command, snapshot } from "./backup.ts";
import { startServer } from "./start-server.ts";

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

async function runBackup(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const io = nodeIo({ stdout: (s) => void (out += s), stderr: (s) => void (err += s) });
  const code = await command.run(args, io).catch((e: unknown) => {
    err += e instanceof Error ? e.message : String(e);
    return exitCodeOf(e); // as runCli reports it
  });
  return { code, out, err };
}

describe("kpki backup", () => {
  it("snapshots every key at one revision, across pages", async () => {
    const b = createMemoryBackend();
    for (let i = 0; i < 2500; i++) await b.create(`/registry/core/configmaps/ns/c${String(i).padStart(4, "0")}`, enc(`v${i}`));
    await b.create("/kpki/ledger/cert/01", enc("{}"));
    const s = await snapshot(b);
    assert.equal(s.items.length, 2501);
    assert.equal(s.revision, await b.currentRevision());
    assert.deepEqual(new Set(s.items.map((i) => i.key)).size, 2501);
  });

  it("backs up a running SQLite kpki online and restores by copying the file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "kpki-backup-"));
    const restored = await mkdtemp(join(tmpdir(), "kpki-restored-"));
    const server = await startServer({ dataDir: dir, port: 0, storage: "sqlite", log: () => undefined });
    try {
      const io = nodeIo({ stdout: () => undefined, stderr: () => undefined });
      const kc = join(dir, "admin.conf");
      const target = await import("../config/index.ts").then(async (c) => c.currentIdentity(await c.parseKubeconfig(await io.readText(kc), kc), kc));
      const api = { server: target.cluster.server, caPem: target.cluster.caPem, certPem: target.user.certPem, keyPem: target.user.keyPem };
      const made = await io.request(api, "POST", "/api/v1/namespaces/default/configmaps", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "keep-me" }, data: { a: "1" } });
      assert.equal(made.status, 201);
      const out = join(dir, "backup.db");
      const r = await runBackup(["--data-dir", dir, "-o", out]);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /^backed up \d+ keys at revision \d+ to /);
      assert.equal((await runBackup(["--data-dir", dir, "-o", out])).code, 1, "never overwrites");
      assert.equal((await runBackup(["-o", out])).code, 2, "needs a source");

      // Restore: the PKI plus the backup as kpki.db in a fresh data dir.
      await cp(join(dir, "pki"), join(restored, "pki"), { recursive: true });
      await cp(out, join(restored, "kpki.db"));
      const db = openSqliteBackend(join(restored, "kpki.db"));
      try {
        const cm = await db.get("/registry/core/configmaps/default/keep-me");
        assert.ok(cm !== undefined, "the ConfigMap is in the backup");
        assert.match(new TextDecoder().decode(cm.value), /"a":"1"/);
        assert.ok((await db.list("/registry/rbac.authorization.k8s.io/clusterroles/")).items.length > 10, "bootstrap policy too");
      } finally {
        await db.close();
      }
    } finally {
      await server.close();
      await rm(dir, { recursive: true, force: true });
      await rm(restored, { recursive: true, force: true });
    }
  });
});
