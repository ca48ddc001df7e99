// ConfigError: the config layer's error. Every message names the file and the field:
// `server-csr.json: key.size: 1000 is not a valid RSA size (2048, 3072, 4096)`.
import { KpkiError } from "../base/index.ts";

export type ConfigErrorCode = "bad-syntax" | "bad-field" | "unknown-profile";

export class ConfigError extends KpkiError<ConfigErrorCode> {}

export function fieldError(source: string, field: string, problem: string): ConfigError {
  return new ConfigError("bad-field", `${source}: ${field}: ${problem}`);
}

/** Narrowing helpers for untyped JSON/YAML values; each throws a fieldError naming the path. */
export type Obj = Record<string, unknown>;
export function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
export function asObj(v: unknown, source: string, field: string): Obj {
  if (!isObj(v)) throw fieldError(source, field, "must be an object");
  return v;
}
/** Go's encoding/json matches object keys to struct fields case-insensitively, preferring an exact
 *  match (cfssl reads csr.json and ca-config.json that way: "ca", "CA" and "Ca" are one field).
 *  Returns `o` with each of `fields` under its canonical spelling; other keys are dropped, as Go ignores them. */
export function goFields(o: Obj, fields: readonly string[]): Obj {
  const out: Obj = {};
  for (const f of fields) {
    const key = f in o ? f : Object.keys(o).find((k) => k.toLowerCase() === f.toLowerCase());
    if (key !== undefined) out[f] = o[key];
  }
  return out;
}

export function optStr(o: Obj, key: string, source: string, path: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw fieldError(source, path + key, "must be a string");
  return v;
}
export function optStrList(o: Obj, key: string, source: string, path: string): string[] {
  const v = o[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) throw fieldError(source, path + key, "must be a list of strings");
  return v as string[];
}
export function optNum(o: Obj, key: string, source: string, path: string): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v)) throw fieldError(source, path + key, "must be an integer");
  return v;
}
export function optBool(o: Obj, key: string, source: string, path: string): boolean | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "boolean") throw fieldError(source, path + key, "must be true or false");
  return v;
}

export function parseJsonText(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new ConfigError("bad-syntax", `${source}: not valid JSON: ${why}`);
  }
}

/** YAML (a JSON superset) through the `yaml` package, loaded lazily: the CLI bundle keeps it
 *  external and only `init`/kubeconfig paths need it (inspect must start in ≤150 ms). */
export async function parseYamlText(text: string, source: string): Promise<unknown> {
  const { parse } = await import("yaml");
  try {
    return parse(text, { prettyErrors: false }) as unknown;
  } catch (err) {
    const why = err instanceof Error ? (err.message.split("\n")[0] ?? "") : String(err);
    throw new ConfigError("bad-syntax", `${source}: not valid YAML: ${why}`);
  }
}

export function deepFreeze<T>(v: T): T {
  if (typeof v === "object" && v !== null && !Object.isFrozen(v)) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}
