// Adapters from an Io to the cluster/ module's source and sink (paths relative to --dir).
import type { Io } from "./io.ts";
import type { PkiSink, PkiSource } from "../cluster/index.ts";
import { currentIdentity, parseKubeconfig } from "../config/index.ts";

export function dirSource(io: Io, dir: string): PkiSource {
  // One listing per directory instead of a stat per file: `kpki init` looks for ~4 files per node,
  // and on a fresh --dir every one of those lookups misses.
  const listings = new Map<string, Promise<ReadonlySet<string>>>();
  const listing = (d: string): Promise<ReadonlySet<string>> => {
    let l = listings.get(d);
    if (!l) listings.set(d, (l = io.listDir(d).then((names) => new Set(names), () => new Set<string>())));
    return l;
  };
  const readText = async (path: string): Promise<string | undefined> => {
    const p = `${dir.replace(/\/+$/, "")}/${path}`;
    const slash = p.lastIndexOf("/");
    if (!(await listing(p.slice(0, slash) || "/")).has(p.slice(slash + 1))) return undefined;
    return io.readText(p);
  };
  return {
    readText,
    async readKubeconfigCredentials(path) {
      const text = await readText(path);
      if (text === undefined) return undefined;
      const { user } = currentIdentity(await parseKubeconfig(text, path), path);
      return { ...(user.certPem ? { certPem: user.certPem } : {}), ...(user.keyPem ? { keyPem: user.keyPem } : {}) };
    },
  };
}

export function ioSink(io: Io): PkiSink {
  const stage = io.stageFiles?.bind(io);
  return { mkdirp: (p) => io.mkdirp(p), writeFileAtomic: (p, d, o) => io.writeFileAtomic(p, d, o), ...(stage ? { stageFiles: stage } : {}) };
}
