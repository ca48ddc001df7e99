// Where the data-dir commands (certs ledger, revoke, revocations, crl) do their work. A running
// `kpki serve` holds DIR/kpki.db exclusively, so --data-dir asks that server first (DIR/admin.conf)
// and opens the data dir itself only when no server answers; --kubeconfig names a server outright.
import { access } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { CliError, str, type Io, type Parsed } from "../cli/index.ts";

export interface Where {
  readonly dataDir?: string;
  readonly kubeconfig?: string;
}

export const pathExists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

/** --data-dir / --kubeconfig from parsed values (not both). */
export function whereFrom(name: string, p: Parsed): Where {
  const dataDir = str(p, "data-dir");
  const kubeconfig = str(p, "kubeconfig");
  if (dataDir !== undefined && kubeconfig !== undefined) throw new CliError("usage", `${name}: give --data-dir or --kubeconfig, not both`);
  return { ...(dataDir !== undefined ? { dataDir } : {}), ...(kubeconfig !== undefined ? { kubeconfig } : {}) };
}

/** --kubeconfig → that server; --data-dir → its server via DIR/admin.conf when one answers (any
 *  failure but a "network" one stands), else the data dir; neither → $KUBECONFIG or ~/.kube/config,
 *  kubectl's default. `online` gets the kubeconfig path, `offline` the data dir. */
export async function viaServerOrDataDir<T>(io: Io, w: Where, online: (kubeconfig: string) => Promise<T>, offline: (dir: string) => Promise<T>): Promise<T> {
  if (w.kubeconfig !== undefined) return online(w.kubeconfig);
  if (w.dataDir === undefined) return online((io.env["KUBECONFIG"] ?? "").split(":").find((x) => x !== "") ?? join(homedir(), ".kube", "config"));
  const admin = join(w.dataDir, "admin.conf");
  if (await pathExists(admin)) {
    try {
      return await online(admin);
    } catch (err) {
      if (!(err instanceof CliError && err.code === "network")) throw err;
    }
  }
  return offline(w.dataDir);
}
