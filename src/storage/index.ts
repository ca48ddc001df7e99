export * from "./types.ts";
export { createMemoryBackend } from "./memory.ts";
export type { MemoryBackendOptions } from "./memory.ts";
export { createStore } from "./store.ts";
export type { StoreOptions, StoreResource } from "./store.ts";
export { resourcePrefix, randomUuid, rfc3339Seconds } from "./codec.ts";
export { intervalTicker, manualTicker } from "./ticker.ts";
export { openSqliteBackend } from "./sqlite/backend.ts";
export type { SqliteBackendOptions } from "./sqlite/backend.ts";
