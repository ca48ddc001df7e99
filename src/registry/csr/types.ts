// The registry seam types the CSR rules implement (registry/types.ts, docs/CONTRACTS.md).
export type { RequestContext, ResourceStrategy } from "../types.ts";
