// Text layout for people: a plain JSON-able value as indented "Key: value" lines (the JSON form is
// the same value), and kubeadm-style aligned tables.

function label(k: string): string {
  return k.replace(/([a-z0-9])([A-Z])/g, "$1 $2").replace(/^./, (c) => c.toUpperCase());
}

function scalar(v: unknown): string {
  if (v instanceof Date) return v.toISOString();
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** Nested objects indent; arrays of scalars join with ", "; empty values are left out. */
export function renderFacts(v: unknown, indent = ""): string[] {
  const out: string[] = [];
  if (typeof v !== "object" || v === null || v instanceof Date) return [`${indent}${scalar(v)}`];
  for (const [k, x] of Object.entries(v)) {
    if (x === undefined || x === null || (Array.isArray(x) && x.length === 0)) continue;
    if (Array.isArray(x) && x.every((e) => typeof e !== "object" || e === null)) out.push(`${indent}${label(k)}: ${x.map(scalar).join(", ")}`);
    else if (Array.isArray(x)) x.forEach((e, i) => out.push(`${indent}${label(k)}[${i}]:`, ...renderFacts(e, `${indent}  `)));
    else if (typeof x === "object" && !(x instanceof Date)) {
      const inner = renderFacts(x, `${indent}  `);
      if (inner.length > 0) out.push(`${indent}${label(k)}:`, ...inner);
    } else out.push(`${indent}${label(k)}: ${scalar(x)}`);
  }
  return out;
}

export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: readonly string[]): string => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd((widths[i] ?? 0) + 3))).join("").trimEnd();
  return [line(header), ...rows.map(line)].join("\n") + "\n";
}

type Facts = Readonly<Record<string, unknown>>;
const get = (f: Facts, k: string): unknown => f[k];
const obj = (v: unknown): Facts => (typeof v === "object" && v !== null ? (v as Facts) : {});
const list = (v: unknown): string => (Array.isArray(v) ? v.join(", ") : "");

/** A certificate or CSR as `openssl x509 -text` orders it: who, validity, key, then extensions. */
export function renderCertFacts(f: Facts, indent = "  "): string[] {
  const rows: [string, unknown][] = [
    ["Subject", get(f, "subject")],
    ["Issuer", get(f, "issuer")],
    ["Serial", get(f, "serial")],
    ["Not Before", get(f, "notBefore")],
    ["Not After", get(f, "notAfter")],
    ["Public Key", obj(get(f, "key"))["description"]],
    ["Signature", get(f, "signatureAlgorithm")],
    ["Subject Alt Names", obj(get(f, "sans"))["text"]],
    ["Key Usage", list(get(f, "keyUsage"))],
    ["Extended Key Usage", list(get(f, "extKeyUsage"))],
  ];
  const bc = get(f, "basicConstraints");
  if (bc !== undefined) {
    const b = obj(bc);
    rows.push(["Basic Constraints", `CA:${b["ca"] ? "TRUE" : "FALSE"}${b["pathLen"] !== undefined ? `, pathlen:${String(b["pathLen"])}` : ""}${b["critical"] ? " (critical)" : ""}`]);
  }
  rows.push(
    ["Subject Key Id", get(f, "subjectKeyId")],
    ["Authority Key Id", get(f, "authorityKeyId")],
    ["SHA-256", get(f, "sha256Fingerprint")],
    ["Self-signed", get(f, "selfSigned") === undefined ? undefined : get(f, "selfSigned") ? "yes" : "no"],
    ["Role", get(f, "role")],
    ["Requests CA", get(f, "requestsCa") === true ? "yes" : undefined],
    ["Signature valid", get(f, "signatureValid") === undefined ? undefined : get(f, "signatureValid") ? "yes (proof of possession)" : "NO"],
  );
  const shown = rows.filter(([, v]) => v !== undefined && v !== "");
  const w = Math.max(...shown.map(([k]) => k.length));
  return shown.map(([k, v]) => `${indent}${`${k}:`.padEnd(w + 2)}${String(v)}`);
}
