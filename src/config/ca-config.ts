// cfssl's ca-config.json (cfssl/config.Config): signing.default + signing.profiles, each with
// usages (cfssl names, which are Kubernetes' usage strings), expiry ("8760h") and ca_constraint.
import { K8S_USAGES } from "../ca/index.ts";
import type { SigningProfile } from "../ca/index.ts";
import { HOUR } from "../base/index.ts";
import { ConfigError, asObj, deepFreeze, fieldError, goFields, isObj, optBool, optNum, optStr, optStrList, parseJsonText } from "./errors.ts";
import { parseExpiry } from "./csr-json.ts";

export interface CaConfig {
  readonly defaultProfile: SigningProfile;
  readonly profiles: Readonly<Record<string, SigningProfile>>;
}

/** cfssl's config.DefaultConfig(): used when there is no -config, or it has no signing.default. */
export const CFSSL_DEFAULT_PROFILE: SigningProfile = deepFreeze({
  name: "default",
  usages: ["signing", "key encipherment", "server auth", "client auth"],
  expiryMs: 8760 * HOUR,
});

function parseProfile(v: unknown, name: string, base: SigningProfile, source: string, path: string): SigningProfile {
  // Go's encoding/json: field names match case-insensitively (cfssl config.SigningProfile).
  const o = goFields(asObj(v, source, path), ["usages", "expiry", "ca_constraint"]);
  const usages = o["usages"] === undefined ? [...base.usages] : optStrList(o, "usages", source, `${path}.`);
  const unknown = usages.filter((u) => !K8S_USAGES.includes(u));
  if (unknown.length > 0) throw fieldError(source, `${path}.usages`, `unknown usage ${unknown.map((u) => `"${u}"`).join(", ")}`);
  const expiry = optStr(o, "expiry", source, `${path}.`);
  const expiryMs = expiry ? parseExpiry(expiry, source, `${path}.expiry`) : base.expiryMs;
  let isCa: boolean | undefined;
  let pathLen: number | undefined;
  if (isObj(o["ca_constraint"])) {
    const c = goFields(o["ca_constraint"], ["is_ca", "max_path_len", "max_path_len_zero"]);
    isCa = optBool(c, "is_ca", source, `${path}.ca_constraint.`);
    const max = optNum(c, "max_path_len", source, `${path}.ca_constraint.`);
    const zero = optBool(c, "max_path_len_zero", source, `${path}.ca_constraint.`);
    // cfssl: max_path_len 0 means "unlimited" unless max_path_len_zero is set.
    if (max !== undefined && (max > 0 || zero)) pathLen = max;
    else if (zero) pathLen = 0;
  } else if (o["ca_constraint"] !== undefined) throw fieldError(source, `${path}.ca_constraint`, "must be an object");
  return { name, usages, expiryMs, ...(isCa ? { isCa: true, role: "intermediate-ca" as const } : {}), ...(pathLen !== undefined ? { pathLen } : {}) };
}

export function caConfigFromObject(v: unknown, source: string): CaConfig {
  const top = goFields(asObj(v, source, "(top level)"), ["signing"]);
  const signing = goFields(asObj(top["signing"] ?? {}, source, "signing"), ["default", "profiles"]);
  const def = signing["default"] === undefined ? CFSSL_DEFAULT_PROFILE : parseProfile(signing["default"], "default", CFSSL_DEFAULT_PROFILE, source, "signing.default");
  const profiles: Record<string, SigningProfile> = {};
  const raw = asObj(signing["profiles"] ?? {}, source, "signing.profiles");
  for (const [name, p] of Object.entries(raw)) profiles[name] = parseProfile(p, name, def, source, `signing.profiles.${name}`);
  return deepFreeze({ defaultProfile: def, profiles });
}

export function parseCaConfig(text: string, source: string): CaConfig {
  return caConfigFromObject(parseJsonText(text, source), source);
}

/** cfssl: an empty -profile means the default; an unknown one is an error naming the file. */
export function selectProfile(cfg: CaConfig, name: string | undefined, source: string): SigningProfile {
  if (name === undefined || name === "") return cfg.defaultProfile;
  const p = cfg.profiles[name];
  if (!p) {
    const known = Object.keys(cfg.profiles);
    throw new ConfigError("unknown-profile", `${source}: unknown profile "${name}"${known.length ? ` (have: ${known.join(", ")})` : ""}`);
  }
  return p;
}
