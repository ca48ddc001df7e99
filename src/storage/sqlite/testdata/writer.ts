// Child process of durability.test.ts: writes to the SQLite file in argv[2] and prints each key
// only after its write was acknowledged, until it is killed (or 100 000 writes).
import { openSqliteBackend } from "../backend.ts";

const backend = openSqliteBackend(process.argv[2] ?? "");
const encoder = new TextEncoder();
let counter = await backend.create("/d/counter", encoder.encode("0"));
for (let i = 0; i < 100_000; i++) {
  const key = `/d/k/${String(i).padStart(6, "0")}`;
  await backend.create(key, encoder.encode(key));
  counter = await backend.update("/d/counter", encoder.encode(String(i + 1)), counter.modRevision);
  process.stdout.write(`${key} ${i + 1}\n`);
}
