// `npm run bench`: every bench/*.bench.ts side by side with its peer (openssl, cfssl, a bare Node
// server…) in the same run, printed as ratios. Benchmarks never assert; they measure.
//   npm run bench                 all
//   npm run bench -- issue init   only files whose name contains one of the words
import { readdirSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { dirname, join } from "node:path";

export interface BenchRow {
  readonly name: string;
  readonly ours: number;
  readonly peer?: number;
  readonly peerName?: string;
  readonly unit: string;
  /** true when a smaller number is better (seconds, latency). */
  readonly lowerIsBetter?: boolean;
  readonly note?: string;
}
export interface Reporter {
  row(r: BenchRow): void;
  note(text: string): void;
}

function fmt(n: number): string {
  return n >= 100 ? n.toFixed(0) : n >= 1 ? n.toFixed(2) : n.toPrecision(3);
}

const reporter: Reporter = {
  row(r) {
    let line = `${r.name.padEnd(58)} kpki ${fmt(r.ours).padStart(9)} ${r.unit}`;
    if (r.peer !== undefined && r.peer > 0) {
      const ratio = r.lowerIsBetter ? r.peer / r.ours : r.ours / r.peer;
      line += ` | ${r.peerName ?? "peer"} ${fmt(r.peer)} ${r.unit} | kpki is ${ratio.toFixed(2)}× ${r.lowerIsBetter ? "as fast" : "the rate"}`;
    }
    if (r.note) line += `  (${r.note})`;
    console.log(line);
  },
  note(text) {
    console.log(`  - ${text}`);
  },
};

const here = dirname(fileURLToPath(import.meta.url));
const words = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => words.length === 0 || words.some((w) => f.includes(w)))
  .sort();
for (const f of files) {
  console.log(`\n## ${f}`);
  const mod = (await import(pathToFileURL(join(here, f)).href)) as { default: (r: Reporter) => Promise<void> };
  await mod.default(reporter);
}
