// kube-apiserver's service-account token plumbing for `kpki serve`: the --service-account-* and
// --api-audiences flags, loading the signing and verifying keys (kpki init's pki/sa.key and sa.pub),
// the issuer discovery paths, and the token validator's view of storage.
import { createPublicKey } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  JWKS_PATH, OIDC_CONFIG_PATH, openIdMetadata, parseTokenKeys, publicJwks, serviceAccountTokenCheck, staticTokenCheck, tokenReviewer,
  type ServiceAccountAuthenticatorOptions, type TokenCheck, type TokenKey, type TokenObjectLookup, type TokenReviewer,
} from "../auth/index.ts";
import type { ExtraPathHandler } from "../server/index.ts";
import type { Store } from "../storage/index.ts";

export interface ServiceAccountFlags {
  /** --service-account-issuer (default kubeadm's https://kubernetes.default.svc.cluster.local). */
  readonly issuer?: string;
  /** --service-account-key-file (default DIR/pki/sa.pub). */
  readonly keyFile?: string;
  /** --service-account-signing-key-file (default DIR/pki/sa.key). */
  readonly signingKeyFile?: string;
  /** --service-account-max-token-expiration in seconds. */
  readonly maxTokenExpirationSeconds?: number;
  /** --api-audiences (default: the issuer). */
  readonly apiAudiences?: readonly string[];
}

export const DEFAULT_SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc.cluster.local";

export interface ServiceAccountKeys {
  readonly issuer: string;
  readonly audiences: readonly string[];
  /** Why tokens are off, or the signing key. */
  readonly signing: TokenKey | string;
  readonly verifying: readonly TokenKey[];
}

/** An explicit key file must load (one line naming it, else the start fails); a missing default (an
 *  external PKI has no DIR/pki/sa.key) turns TokenRequest and token authentication off instead. */
export async function loadServiceAccountKeys(f: ServiceAccountFlags, dataDir: string): Promise<ServiceAccountKeys> {
  const issuer = f.issuer ?? DEFAULT_SERVICE_ACCOUNT_ISSUER;
  const load = async (file: string | undefined, dflt: string, use: "sign" | "verify", flag: string): Promise<readonly TokenKey[] | undefined> => {
    const path = file ?? join(dataDir, "pki", dflt);
    const text = await readFile(path, "utf8").catch((err: NodeJS.ErrnoException) => {
      if (file === undefined && err.code === "ENOENT") return undefined;
      throw new Error(`cannot read --${flag} ${path}: ${err.code === "ENOENT" ? "no such file" : err.message}`);
    });
    if (text === undefined) return undefined;
    const r = parseTokenKeys(text, use);
    if (!r.ok) throw new Error(`cannot use --${flag} ${path}: ${r.reason}`);
    return r.keys;
  };
  const signing = (await load(f.signingKeyFile, "sa.key", "sign", "service-account-signing-key-file"))?.[0];
  // kube needs --service-account-key-file; a data dir holding sa.key but no sa.pub verifies with sa.key's public half.
  const verifying = (await load(f.keyFile, "sa.pub", "verify", "service-account-key-file")) ?? (signing ? [{ ...signing, key: createPublicKey(signing.key) }] : []);
  const off = `no service-account signing key (--service-account-signing-key-file; default ${join(dataDir, "pki", "sa.key")} does not exist)`;
  return { issuer, audiences: f.apiAudiences ?? [issuer], signing: signing ?? off, verifying };
}

/** kube-apiserver's issuer discovery (RBAC: system:service-account-issuer-discovery); jwks_uri is on
 *  this server's own address, as kube's default without --service-account-jwks-uri. */
export function issuerDiscoveryPaths(keys: ServiceAccountKeys, serverUrl: () => string): [string, ExtraPathHandler][] {
  if (keys.verifying.length === 0) return [];
  const answer = (contentType: string, value: () => unknown): ExtraPathHandler => async () => ({ contentType, body: JSON.stringify(value()) });
  return [
    [OIDC_CONFIG_PATH, answer("application/json", () => openIdMetadata(keys.issuer, `${serverUrl()}${JWKS_PATH}`, keys.verifying))],
    [JWKS_PATH, answer("application/jwk-set+json", () => publicJwks(keys.verifying))],
  ];
}

const TOKEN_OBJECTS = { ServiceAccount: "serviceaccounts", Pod: "pods", Secret: "secrets", Node: "nodes" } as const;

/** The token validator's view of storage: uid and deletionTimestamp of the SA or the bound object (read
 *  on every request, as kube's validator does: a deleted SA's tokens stop working once storage shows it gone). */
export function tokenObjectLookup(storeFor: (corePlural: string) => Store): TokenObjectLookup {
  return async (kind, namespace, name) => {
    // kube's getter: the informer cache first, a live read on a miss (a token used right after its SA was created).
    const store = storeFor(TOKEN_OBJECTS[kind]);
    const obj = (await store.get(namespace, name, { resourceVersion: "0" })) ?? (await store.get(namespace, name));
    if (obj === undefined) return undefined;
    const deleted = obj.metadata.deletionTimestamp;
    return { uid: obj.metadata.uid ?? "", ...(typeof deleted === "string" ? { deletionTimestamp: deleted } : {}) };
  };
}

/** --token-auth-file's text ("" without the flag); an unreadable file stops the start with one line naming it. */
export async function readTokenAuthFile(path: string | undefined): Promise<string> {
  if (path === undefined) return "";
  return readFile(path, "utf8").catch((err: NodeJS.ErrnoException) => {
    throw new Error(`cannot read token auth file ${path}: ${err.code === "ENOENT" ? "no such file" : err.message}`);
  });
}

/** TokenReview's checker: the request chain's bearer-token members in its order (token file, then
 *  service-account JWTs), the token file audience-agnostic over the API audiences (kube's WrapAudienceAgnosticToken). */
export function tokenReviewerFor(csv: string, apiAudiences: readonly string[], sa: ServiceAccountAuthenticatorOptions | undefined): TokenReviewer {
  const checks: TokenCheck[] = [staticTokenCheck(csv, apiAudiences)];
  if (sa !== undefined) checks.push(serviceAccountTokenCheck(sa));
  return tokenReviewer(checks, apiAudiences);
}
