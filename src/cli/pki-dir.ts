// Adapters from an Io to the cluster/ module's source and sink (paths relative to --dir).
import type { Io } from "./io.ts";
import type { PkiSink, PkiSource } from "../cluster/index.ts";
import { currentIdentity, parseKubeconfig } from "../config/index.ts";

export function dirSource(io: Io, dir: string): PkiSource {
  const readText = async (path: string): Promise<string | undefined> => {
    const p = `${dir.replace(/\/+$/, "")}/${path}`;
    return (await io.exists(p)) ? io.readText(p) : undefined;
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
  return { mkdirp: (p) => io.mkdirp(p), writeFileAtomic: (p, d, o) => io.writeFileAtomic(p, d, o) };
}
