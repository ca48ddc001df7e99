// base: clock, random source, base error type, byte encodings. Imports nothing of kpki.
export * from "./errors.ts";
export * from "./clock.ts";
export * from "./random.ts";
export * from "./bytes.ts";
export * from "./duration.ts";
export * from "./ip.ts";
export * from "./abort.ts";
