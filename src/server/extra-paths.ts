// Extra non-resource paths that main/ wires into the server (kpki's /kpki/ledger, /kpki/crl,
// /kpki/revocations): types of their own so handler.ts and the modules it imports (metrics.ts) can
// share them without a cycle. Both kinds run after authentication and authorization (nonResourceURLs
// with the lowercase HTTP method as the verb, as kube-apiserver authorizes non-resource requests).
import type { UserInfo } from "../auth/index.ts";
import type { PeerCertificate } from "./peer.ts";

/** A GET-only non-resource path served from main/ (it has already passed authn and authz). */
export type ExtraPathHandler = (query: URLSearchParams) => Promise<{ readonly contentType: string; readonly body: string }>;

/** A POST to a non-resource path: the body decoded as a JSON (or YAML) object, and who sent it. */
export interface ExtraWriteRequest {
  readonly query: URLSearchParams;
  readonly body: Record<string, unknown>;
  readonly user: UserInfo;
}

/** Answers a POST; failures are thrown as ApiError and become a Status (status.ts). */
export type ExtraWriteHandler = (r: ExtraWriteRequest) => Promise<{ readonly status: number; readonly contentType: string; readonly body: string }>;

/** Refuses a client certificate on every request, cached connection verdicts included (kpki's
 *  revocation: kube has none). True = refuse; the authenticator then gives its own 401. */
export type CertificateRefusal = (leaf: PeerCertificate) => boolean;
