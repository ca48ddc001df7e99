// Randomness is a parameter (DESIGN.md rule 5). The system source is node:crypto's CSPRNG.
import { randomBytes } from "node:crypto";

export interface RandomSource {
  bytes(n: number): Uint8Array;
}

export const systemRandom: RandomSource = { bytes: (n) => new Uint8Array(randomBytes(n)) };

/** A deterministic source for tests (xorshift; NOT for production serials or keys). */
export function seededRandom(seed: number): RandomSource {
  let s = seed >>> 0 || 0x9e3779b9;
  return {
    bytes(n) {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        s ^= s << 13;
        s >>>= 0;
        s ^= s >>> 17;
        s ^= s << 5;
        s >>>= 0;
        out[i] = s & 0xff;
      }
      return out;
    },
  };
}
