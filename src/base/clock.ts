// Time is a parameter (DESIGN.md rule 5): code that needs "now" takes a Clock, tests pass a fixed one.

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock stopped at `at`, moved only by `advance` — for tests and dry runs. */
export function fixedClock(at: Date | string): Clock & { advance(ms: number): void; set(at: Date): void } {
  let t = typeof at === "string" ? new Date(at).getTime() : at.getTime();
  return {
    now: () => new Date(t),
    advance: (ms: number) => {
      t += ms;
    },
    set: (d: Date) => {
      t = d.getTime();
    },
  };
}

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
