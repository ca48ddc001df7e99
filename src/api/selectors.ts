// Label selectors (apimachinery/pkg/labels/selector.go Parse) and field selectors
// (apimachinery/pkg/fields/selector.go ParseSelector), parsed into frozen values and matched.
import { ApiError } from "./errors.ts";
import type { ApiObject } from "./meta.ts";
import { pathValue } from "./table.ts";

export type LabelOperator = "=" | "!=" | "in" | "notin" | "exists" | "!" | "gt" | "lt";
export interface LabelRequirement {
  readonly key: string;
  readonly op: LabelOperator;
  readonly values: readonly string[];
}
export type LabelSelector = readonly LabelRequirement[];

const SPECIAL = new Set([",", "=", "!", "(", ")", "<", ">", " ", "\t", "\n", "\r"]);

type Token = { kind: "id" | "op" | "end"; text: string };

function tokenize(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i] ?? "";
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
      continue;
    }
    const two = s.slice(i, i + 2);
    if (two === "==" || two === "!=") {
      out.push({ kind: "op", text: two });
      i += 2;
    } else if (SPECIAL.has(c)) {
      out.push({ kind: "op", text: c });
      i++;
    } else {
      let j = i;
      while (j < s.length && !SPECIAL.has(s[j] ?? "")) j++;
      out.push({ kind: "id", text: s.slice(i, j) });
      i = j;
    }
  }
  out.push({ kind: "end", text: "" });
  return out;
}

function parseError(found: string, expected: string): ApiError {
  // labels.Parse's syntax errors are bare; "unable to parse requirement: …" is for invalid keys/values.
  return new ApiError("BadRequest", `found '${found}', expected: ${expected}`);
}

/** Parses "a=b,c!=d,e in (x,y),!f,g" → requirements. Throws ApiError BadRequest. */
export function parseLabelSelector(text: string): LabelSelector {
  const toks = tokenize(text);
  let pos = 0;
  const peek = (): Token => toks[pos] ?? { kind: "end", text: "" };
  const next = (): Token => toks[pos++] ?? { kind: "end", text: "" };
  const reqs: LabelRequirement[] = [];
  if (peek().kind === "end") return reqs;
  for (;;) {
    reqs.push(parseRequirement(peek, next));
    const t = next();
    if (t.kind === "end") return reqs;
    if (t.text !== ",") throw parseError(t.text, "',' or 'end of string'");
  }
}

function parseRequirement(peek: () => Token, next: () => Token): LabelRequirement {
  let t = next();
  if (t.text === "!") {
    t = next();
    if (t.kind !== "id") throw parseError(t.text, "identifier after '!'");
    return { key: t.text, op: "!", values: [] };
  }
  if (t.kind !== "id") throw parseError(t.text, "identifier");
  const key = t.text;
  const op = peek();
  if (op.kind === "end" || op.text === ",") return { key, op: "exists", values: [] };
  next();
  switch (op.text) {
    case "=":
    case "==":
    case "!=": {
      const v = peek();
      const value = v.kind === "id" ? next().text : "";
      if (v.kind === "op" && v.text !== ",") throw parseError(v.text, "identifier");
      return { key, op: op.text === "!=" ? "!=" : "=", values: [value] };
    }
    case "in":
    case "notin":
      return { key, op: op.text, values: parseValueSet(next) };
    case ">":
    case "<": {
      const v = next();
      if (v.kind !== "id" || !/^-?\d+$/.test(v.text)) throw parseError(v.text, "an integer value");
      return { key, op: op.text === ">" ? "gt" : "lt", values: [v.text] };
    }
    default:
      throw parseError(op.text, "in, notin, =, ==, !=, gt, lt");
  }
}

function parseValueSet(next: () => Token): string[] {
  const open = next();
  if (open.text !== "(") throw parseError(open.text, "'('");
  const values: string[] = [];
  let expectValue = true;
  for (;;) {
    const t = next();
    if (t.text === ")") {
      if (expectValue && values.length > 0) values.push("");
      return values;
    }
    if (t.kind === "end") throw parseError("", "')'");
    if (t.text === ",") {
      if (expectValue) values.push("");
      expectValue = true;
    } else if (t.kind === "id" && expectValue) {
      values.push(t.text);
      expectValue = false;
    } else {
      throw parseError(t.text, "',', or ')'");
    }
  }
}

export function matchesLabels(sel: LabelSelector, labels: Readonly<Record<string, string>> | undefined): boolean {
  const l = labels ?? {};
  return sel.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    const v = l[r.key];
    switch (r.op) {
      case "=":
      case "in":
        return has && r.values.includes(v ?? "");
      case "!=":
      case "notin":
        return !has || !r.values.includes(v ?? "");
      case "exists":
        return has;
      case "!":
        return !has;
      case "gt":
      case "lt": {
        if (!has || !/^-?\d+$/.test(v ?? "")) return false;
        const n = Number(v);
        const bound = Number(r.values[0]);
        return r.op === "gt" ? n > bound : n < bound;
      }
    }
  });
}

// ---- field selectors ---------------------------------------------------------------------------

export interface FieldRequirement {
  readonly field: string;
  readonly op: "=" | "!=";
  readonly value: string;
}
export type FieldSelector = readonly FieldRequirement[];

/** Splits on unescaped `sep` (fields.splitTerms / splitTerm honour backslash escapes). */
function splitUnescaped(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i] ?? "";
    if (c === "\\" && i + 1 < s.length) {
      cur += c + (s[i + 1] ?? "");
      i++;
    } else if (c === sep) {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out;
}

const unescape = (s: string): string => s.replace(/\\(.)/g, "$1");

/** "metadata.name=x,status.phase!=Running"; checks labels against `allowed` (kube: per-kind conversion funcs). */
export function parseFieldSelector(text: string, allowed: readonly string[]): FieldSelector {
  const reqs: FieldRequirement[] = [];
  if (text.trim() === "") return reqs;
  for (const term of splitUnescaped(text, ",")) {
    const m = /^(.*?)(!=|==|=)(.*)$/s.exec(term);
    if (!m || m[1] === undefined || m[1] === "") {
      throw new ApiError("BadRequest", `invalid selector: '${text}'; can't understand '${term}'`);
    }
    const field = m[1];
    if (!["metadata.name", "metadata.namespace", ...allowed].includes(field)) {
      throw new ApiError("BadRequest", `field label not supported: ${field}`);
    }
    reqs.push({ field, op: m[2] === "!=" ? "!=" : "=", value: unescape(m[3] ?? "") });
  }
  return reqs;
}

/** A field's selector value: strings as they are, booleans "true"/"false", numbers in decimal. */
export function fieldValue(obj: ApiObject, field: string): string {
  if (field === "source") return String(pathValue(obj, "source.component") ?? "");
  const v = pathValue(obj, field);
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return BOOL_FIELDS.has(field) ? "false" : NUMBER_FIELDS.has(field) ? "0" : "";
}
const BOOL_FIELDS = new Set(["spec.unschedulable", "spec.hostNetwork"]);
const NUMBER_FIELDS = new Set(["status.replicas"]);

export function matchesFields(sel: FieldSelector, obj: ApiObject): boolean {
  return sel.every((r) => (fieldValue(obj, r.field) === r.value) === (r.op === "="));
}

/** `metadata.name=<n>` when the selector pins a single name (watch/list of one object). */
export function selectedName(sel: FieldSelector): string | undefined {
  return sel.find((r) => r.field === "metadata.name" && r.op === "=")?.value;
}
