// A CSV reader with Go encoding/csv's rules (the token file is read with it): `"` quoting only at a field's
// start, `""` inside quotes, quoted fields may span lines, blank lines skipped, `\r\n` accepted. Errors name
// the line like Go's ParseError: `parse error on line 3, column 5: bare " in non-quoted field`.
import { AuthError } from "../errors.ts";

export interface CsvRecord {
  readonly line: number;
  readonly fields: readonly string[];
}

export function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  const s = text.replace(/\r\n/g, "\n");
  let i = 0;
  let line = 1;
  while (i < s.length) {
    if (s[i] === "\n") {
      i++;
      line++;
      continue;
    }
    const start = line;
    const fields: string[] = [];
    for (;;) {
      const r = readField(s, i, line);
      fields.push(r.value);
      i = r.next;
      line = r.line;
      if (s[i] === ",") {
        i++;
        continue;
      }
      i++; // "\n" or end
      line++;
      break;
    }
    records.push({ line: start, fields });
  }
  return records;
}

function readField(s: string, start: number, line: number): { value: string; next: number; line: number } {
  if (s[start] !== '"') {
    let i = start;
    while (i < s.length && s[i] !== "," && s[i] !== "\n") {
      if (s[i] === '"') throw bad(line, s, i, 'bare " in non-quoted field');
      i++;
    }
    return { value: s.slice(start, i), next: i, line };
  }
  let value = "";
  let i = start + 1;
  for (;;) {
    if (i >= s.length) throw bad(line, s, i, 'extraneous or missing " in quoted-field');
    const ch = s[i];
    if (ch === '"') {
      if (s[i + 1] === '"') {
        value += '"';
        i += 2;
        continue;
      }
      const after = s[i + 1];
      if (after !== undefined && after !== "," && after !== "\n") throw bad(line, s, i + 1, 'extraneous or missing " in quoted-field');
      return { value, next: i + 1, line };
    }
    if (ch === "\n") line++;
    value += ch;
    i++;
  }
}

function bad(line: number, s: string, index: number, what: string): AuthError {
  const column = index - s.lastIndexOf("\n", index - 1);
  return new AuthError("bad-token-file", `token file: parse error on line ${line}, column ${column}: ${what}`);
}
