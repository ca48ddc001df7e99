// Extra read-only non-resource paths that main/ wires into the server (kpki's /kpki/ledger): a type
// of its own so handler.ts and the modules it imports (metrics.ts) can share it without a cycle.

/** A GET-only non-resource path served from main/ (it has already passed authn and authz). */
export type ExtraPathHandler = (query: URLSearchParams) => Promise<{ readonly contentType: string; readonly body: string }>;
