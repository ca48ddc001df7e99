import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer } from "./src/main/start-server.ts";
const dir = await mkdtemp(join(tmpdir(), "kpki-prof-"));
const running = await startServer({ dataDir: dir, storage: "memory", port: 0, log: (l) => console.error(l) });
console.log(dir, running.url);
await new Promise((r) => setTimeout(r, 60_000));
await running.close();
