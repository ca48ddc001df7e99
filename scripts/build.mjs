// Bundles the CLI into one ES module so `kpki` starts fast (one file to load, no TS at run time).
// Type checking is separate (`npm run typecheck`); esbuild only strips types.
import { build } from "esbuild";

await build({
  entryPoints: ["src/main/cli.ts"],
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  outfile: "dist/kpki.mjs",
  packages: "external",
  sourcemap: "linked",
  logLevel: "warning",
  // Lazily imported command modules stay in the bundle as separate chunks would need splitting;
  // one file is fastest to load for the common commands.
});
