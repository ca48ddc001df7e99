// Go formatting that Kubernetes' messages are built with, so our texts match byte for byte:
// `%q` of a string or a []string, and utilerrors.NewAggregate(...).Error().

/** Go's `%q` of a string (strconv.Quote): escapes `"`, `\` and control characters. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === "\\") out += "\\" + ch;
    else if (c >= 0x20 && c !== 0x7f) out += ch;
    else out += GO_ESCAPES[c] ?? `\\x${c.toString(16).padStart(2, "0")}`;
  }
  return out + '"';
}
const GO_ESCAPES: Readonly<Record<number, string>> = { 7: "\\a", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f", 13: "\\r" };

/** Go's `%q` of a []string: `["a" "b"]`, `[]` when empty. */
export function goQuoteList(list: readonly string[] | undefined): string {
  return `[${(list ?? []).map(goQuote).join(" ")}]`;
}

/** apimachinery utilerrors aggregate: one message as is, several as `[e1, e2]` (de-duplicated, in order). */
export function aggregateMessages(messages: readonly string[]): string {
  const unique = [...new Set(messages)];
  return unique.length === 1 ? (unique[0] ?? "") : `[${unique.join(", ")}]`;
}
