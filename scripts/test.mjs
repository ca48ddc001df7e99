// Runs kpki's tests with Node's own test runner: unit tests beside the code (src/**/*.test.ts)
// and end-to-end tests against the real tools (test/**/*.test.ts).
//   node scripts/test.mjs            everything
//   node scripts/test.mjs --unit     only src/
//   node scripts/test.mjs PATH...    just those files, or every test file under those directories
import { spawnSync } from "node:child_process";
import { readdirSync, statSync, existsSync } from "node:fs";
import { join } from "node:path";

function findTests(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith(".test.ts")) out.push(p);
  }
  return out.sort();
}

const args = process.argv.slice(2);
const unitOnly = args.includes("--unit");
const explicit = args.filter((a) => !a.startsWith("--"));
const expand = (p) => (existsSync(p) && statSync(p).isDirectory() ? findTests(p) : [p]);
const files = explicit.length > 0 ? explicit.flatMap(expand) : [...findTests("src"), ...(unitOnly ? [] : findTests("test"))];
if (files.length === 0) {
  console.error("no test files found");
  process.exit(1);
}
// Tests that spawn ./bin/kpki need dist/ to match this checkout: build it once here, before any test
// runs (a test that rebuilt it would delete chunks under another test's running process).
const built = spawnSync(process.execPath, ["scripts/build.mjs"], { stdio: "inherit" });
if (built.status !== 0) process.exit(built.status ?? 1);
// The end-to-end tests start servers on free loopback ports, so two files may run at once.
const result = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", "--test-concurrency=2", "--test-timeout=240000", ...files],
  { stdio: "inherit", env: { ...process.env, KPKI_TEST: "1" } },
);
process.exit(result.status ?? 1);
