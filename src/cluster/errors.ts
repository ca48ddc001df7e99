// ClusterError: the cluster layer's error (closed code union, DESIGN.md rule 7).
import { KpkiError } from "../base/index.ts";

export type ClusterErrorCode = "bad-spec" | "bad-existing" | "unknown-cert";

export class ClusterError extends KpkiError<ClusterErrorCode> {}
