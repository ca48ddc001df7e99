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
