// Durations as people and tools write them: Go's time.ParseDuration syntax ("8760h", "1h30m",
// "90s") as cfssl and kube-controller-manager accept, plus "d" and "y" for convenience.
import { KpkiError } from "./errors.ts";

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  y: 365 * 86_400_000,
};

/** Parses "8760h", "1h30m", "30d", "10y" into milliseconds; throws KpkiError("bad-duration"). */
export function parseDuration(text: string): number {
  const s = text.trim();
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|y)/gy;
  let total = 0;
  let matched = 0;
  for (const m of s.matchAll(re)) {
    total += Number(m[1]) * (UNIT_MS[m[2] ?? ""] ?? 0);
    matched += m[0].length;
  }
  if (s.length === 0 || matched !== s.length || total <= 0) {
    throw new KpkiError("bad-duration", `cannot parse duration "${text}" (expected e.g. "8760h", "30d", "90m")`);
  }
  return Math.round(total);
}

/** Kubernetes' HumanDuration (apimachinery duration.HumanDuration), used in tables: 10m, 24h, 365d. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.floor(hours / 24) % 365;
    return dy === 0 ? `${Math.floor(hours / 24 / 365)}y` : `${Math.floor(hours / 24 / 365)}y${dy}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}
