export * from "./meta.ts";
export * from "./errors.ts";
