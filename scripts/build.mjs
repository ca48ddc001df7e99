// Bundles the CLI as ES modules so `kpki` starts fast: code splitting keeps each command's heavy
// imports (SQLite, YAML, the server) in chunks that load only when that command runs.
// Type checking is separate (`npm run typecheck`); esbuild only strips types.
import { build } from "esbuild";
import { rmSync } from "node:fs";

rmSync("dist", { recursive: true, force: true });
await build({
  entryPoints: { kpki: "src/main/cli.ts" },
  bundle: true,
  splitting: true,
  platform: "node",
  format: "esm",
  target: "node20",
  outdir: "dist",
  outExtension: { ".js": ".mjs" },
  chunkNames: "chunks/[name]-[hash]",
  packages: "external",
  sourcemap: "linked",
  logLevel: "warning",
});
