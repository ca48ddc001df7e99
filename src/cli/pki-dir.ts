// Adapters from an Io to the cluster/ module's source and sink (paths relative to --dir).
import type { Io } from "./io.ts";
import type { PkiSink, PkiSource } from "../cluster/index.ts";

export function dirSource(io: Io, dir: string): PkiSource {
  return {
    async readText(path) {
      const p = `${dir.replace(/\/+$/, "")}/${path}`;
      return (await io.exists(p)) ? io.readText(p) : undefined;
    },
  };
}

export function ioSink(io: Io): PkiSink {
  return { mkdirp: (p) => io.mkdirp(p), writeFileAtomic: (p, d, o) => io.writeFileAtomic(p, d, o) };
}
