// Kubeconfigs in a data dir shared by several replicas: the first writer owns admin.conf; a replica on
// another port leaves an admin.conf that points at a live replica alone and writes admin-<port>.conf;
// an admin.conf pointing where nothing answers any more is re-pointed (a restart on a new port).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { kubeconfigServer, placeKubeconfigs } from "./provision.ts";
import { startServer } from "./start-server.ts";

const kubeconfig = (server: string): string =>
  [
    "apiVersion: v1", "kind: Config", "clusters:", "- cluster:", "    certificate-authority-data: Q0E=", `    server: ${server}`, "  name: kubernetes",
    "contexts:", "- context:", "    cluster: kubernetes", "    user: kubernetes-admin", "  name: kubernetes-admin@kubernetes",
    "current-context: kubernetes-admin@kubernetes", "users:", "- name: kubernetes-admin", "  user:", "    token: t", "",
  ].join("\n");

const A = "https://127.0.0.1:6443";
const B = "https://127.0.0.1:7443";

const CASES: { name: string; admin: string; live: string[]; want: { adminPath: string; files: Record<string, string | undefined>; note: RegExp | undefined } }[] = [
  { name: "already ours: nothing written", admin: B, live: [B], want: { adminPath: "admin.conf", files: { "admin.conf": B, "admin-7443.conf": undefined }, note: undefined } },
  {
    name: "another live replica: admin.conf kept, per-replica files written",
    admin: A, live: [A, B],
    want: { adminPath: "admin-7443.conf", files: { "admin.conf": A, "super-admin.conf": A, "admin-7443.conf": B, "super-admin-7443.conf": B }, note: /admin\.conf points at https:\/\/127\.0\.0\.1:6443, where another server answers; left it as is and wrote .*admin-7443\.conf/ },
  },
  {
    name: "stale address (nothing answers): re-pointed",
    admin: A, live: [B],
    want: { adminPath: "admin.conf", files: { "admin.conf": B, "super-admin.conf": B, "admin-7443.conf": undefined }, note: /pointed .*admin\.conf, .*super-admin\.conf at https:\/\/127\.0\.0\.1:7443 \(was https:\/\/127\.0\.0\.1:6443, where no server answers\)/ },
  },
];

for (const c of CASES) {
  test(`placeKubeconfigs: ${c.name}`, async () => {
    const dir = await mkdtemp(join(tmpdir(), "kpki-kubeconfigs-"));
    try {
      for (const f of ["admin.conf", "super-admin.conf"]) await writeFile(join(dir, f), kubeconfig(c.admin));
      const asked: string[] = [];
      const r = await placeKubeconfigs(dir, B, async (s) => {
        asked.push(s);
        return c.live.includes(s);
      });
      assert.equal(r.adminPath, join(dir, c.want.adminPath));
      if (c.want.note === undefined) assert.equal(r.note, undefined);
      else assert.match(r.note ?? "", c.want.note);
      for (const [f, server] of Object.entries(c.want.files)) {
        const text = await readFile(join(dir, f), "utf8").catch(() => undefined);
        assert.equal(text === undefined ? undefined : kubeconfigServer(text), server, f);
      }
      assert.deepEqual(asked, c.admin === B ? [] : [c.admin], "only a foreign address is probed");
      const again = await placeKubeconfigs(dir, B, async (s) => c.live.includes(s));
      assert.equal(again.note?.includes("wrote") ?? false, false, "a second start with the same port writes nothing new");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}

test("kubeconfigServer reads plain and quoted scalars", () => {
  for (const [line, want] of [["    server: https://a:1", "https://a:1"], ['    server: "https://a:1"', "https://a:1"], ["    server: 'https://a:1'", "https://a:1"]] as const) {
    assert.equal(kubeconfigServer(`clusters:\n- cluster:\n${line}\n`), want);
  }
  assert.equal(kubeconfigServer("kind: Config\n"), undefined);
});

test("replicas sharing a data dir: the second gets its own kubeconfig; after the first stops, admin.conf moves", { timeout: 60_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), "kpki-replica-kubeconfigs-"));
  const logs: string[] = [];
  const start = () => startServer({ dataDir: dir, port: 0, storage: "memory", controllers: false, log: (l) => void logs.push(l) });
  const first = await start();
  let third: Awaited<ReturnType<typeof start>> | undefined;
  try {
    const admin = join(dir, "admin.conf");
    assert.equal(first.adminKubeconfig, admin);
    assert.equal(kubeconfigServer(await readFile(admin, "utf8")), first.url);
    const second = await start();
    const own = join(dir, `admin-${second.port}.conf`);
    assert.equal(second.adminKubeconfig, own);
    assert.equal(kubeconfigServer(await readFile(admin, "utf8")), first.url, "admin.conf still points at the first replica");
    assert.equal(kubeconfigServer(await readFile(own, "utf8")), second.url);
    assert.ok(logs.some((l) => l.includes(`points at ${first.url}, where another server answers`)), logs.join("\n"));
    await second.close();
    await first.close();
    third = await start();
    assert.equal(third.adminKubeconfig, admin, "nothing answers at the first replica's address any more");
    assert.equal(kubeconfigServer(await readFile(admin, "utf8")), third.url);
    assert.ok((await readdir(dir)).includes(`super-admin-${second.port}.conf`));
  } finally {
    await third?.close();
    await first.close();
    await rm(dir, { recursive: true, force: true });
  }
});
