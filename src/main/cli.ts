// Composition root of the `kpki` command (bundled by scripts/build.mjs into dist/kpki.mjs, run by
// bin/kpki). The cli/ table holds the provisioning commands; commands implemented in main/ (they
// may import every module, e.g. the API server) are registered here, each loaded lazily.
import { nodeIo, runCli } from "../cli/index.ts";
import type { CommandEntry } from "../cli/index.ts";

// ─── MAIN_COMMANDS: commands implemented in src/main/ ───────────────────────────────────────────
// Add entries like
//   { name: "serve", summary: "run the API server", load: () => import("./serve.ts") },
//   { name: "certs ledger", summary: "…", load: () => import("./certs-ledger.ts") },
// A two-word name ("certs ledger") takes precedence over the one-word cli command ("certs").
// Each module exports `command: Command` (cli/io.ts).
export const MAIN_COMMANDS: readonly CommandEntry[] = [
  { name: "serve", summary: "run a kubectl-compatible API server (mTLS, RBAC, CSR API) over a data dir", load: () => import("./serve.ts") },
  { name: "certs ledger", summary: "list every certificate the CSR signers issued (requester, approver, validity)", load: () => import("./ledger.ts") },
  { name: "certs revoke", summary: "revoke a certificate: kpki serve refuses it, the CRL lists it", load: () => import("./revocation-revoke.ts") },
  { name: "certs revocations", summary: "list every revoked certificate (serial, subject, issuer, reason, when, by whom)", load: () => import("./revocation-list.ts") },
  { name: "certs crl", summary: "print or write the cluster CA's certificate revocation list (PEM)", load: () => import("./revocation-crl.ts") },
  { name: "backup", summary: "write a consistent online backup of a running kpki (objects + ledger) as a kpki.db", load: () => import("./backup.ts") },
];
// ────────────────────────────────────────────────────────────────────────────────────────────────

const code = await runCli(process.argv.slice(2), nodeIo(), MAIN_COMMANDS);
// Let pending stdout writes flush (a pipe into cfssljson) before exiting.
process.exitCode = code;
