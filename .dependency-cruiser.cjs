// The module dependency rule of ../shared/DESIGN.md ("the folder tree is the architecture"),
// checked in CI: each module may import only the modules listed for it, and only through their
// index.ts; no cycles. Tests (x.test.ts) may reach into their own module freely.
const allowed = {
  base: [],
  pki: ["base"],
  ca: ["pki", "base"],
  cluster: ["ca", "pki", "base"],
  config: ["ca", "pki", "base"],
  api: ["pki", "base"],
  storage: ["api", "base"],
  auth: ["api", "pki", "base"],
  registry: ["api", "auth", "storage", "base"],
  controllers: ["api", "ca", "pki", "auth", "storage", "base"],
  server: ["api", "auth", "registry", "storage", "base"],
  cli: ["config", "cluster", "ca", "pki", "api", "base"],
};
const modules = Object.keys(allowed);

const forbidden = [
  { name: "no-circular", severity: "error", from: { pathNot: "\\.test\\.ts$" }, to: { circular: true } },
  { name: "nothing-imports-main", severity: "error", from: { pathNot: "^src/main/" }, to: { path: "^src/main/" } },
  ...modules.map((m) => ({
    name: `${m}-may-import-only-${allowed[m].join("-") || "nothing"}`,
    severity: "error",
    from: { path: `^src/${m}/` },
    to: { path: `^src/(?!(${[m, ...allowed[m]].join("|")})/)[^/]+/` },
  })),
  ...modules.map((m) => ({
    name: `${m}-only-through-index`,
    comment: `other modules import ${m}/ through src/${m}/index.ts`,
    severity: "error",
    from: { path: "^src/", pathNot: [`^src/${m}/`] },
    to: { path: `^src/${m}/`, pathNot: `^src/${m}/index\\.ts$` },
  })),
  {
    name: "io-only-at-the-edges",
    comment: "only server/, storage/sqlite|etcd, cli/io, main/ touch fs/net/tls/process (DESIGN.md)",
    severity: "error",
    from: { path: "^src/(base|pki|ca|cluster|config|api|auth|registry|controllers)/", pathNot: "\\.test\\.ts$" },
    to: { path: "^(node:)?(fs|net|tls|http|https|child_process)$", dependencyTypes: ["core"] },
  },
];

module.exports = {
  forbidden,
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    exclude: { path: "\\.test\\.ts$" },
  },
};
