// The admission plugins kube-apiserver runs on CSRs (reference §7, §8): CertificateApproval,
// CertificateSigning, CertificateSubjectRestriction and the CSR part of NodeRestriction.
// Each denial is an ApiError Forbidden `certificatesigningrequests.certificates.k8s.io "<name>" is forbidden: <why>`.
import {
  CERTIFICATES_GROUP,
  CSR_RESOURCE,
  KUBE_APISERVER_CLIENT_KUBELET_SIGNER,
  KUBE_APISERVER_CLIENT_SIGNER,
  KUBELET_SERVING_SIGNER,
  conditionsOf,
  forbidden,
  parseCsrRequest,
} from "../../api/index.ts";
import type { CertificateSigningRequest, CertificateSigningRequestCondition } from "../../api/index.ts";
import type { Authorizer, UserInfo } from "../../auth/index.ts";
import { messageOf } from "../../base/index.ts";
import type { RequestContext } from "./types.ts";

function deny(obj: CertificateSigningRequest, why: string): never {
  throw forbidden(CERTIFICATES_GROUP, CSR_RESOURCE, obj.metadata.name ?? "", why);
}

/** IsAuthorizedForSignerName (pkg/certauthorization): `verb` on signers/<signerName>, else on `<domain>/*`. */
export async function isAuthorizedForSignerName(authorizer: Authorizer, user: UserInfo, verb: string, signerName: string): Promise<boolean> {
  const attrs = {
    user,
    verb,
    isResourceRequest: true,
    path: "",
    apiGroup: CERTIFICATES_GROUP,
    apiVersion: "*",
    resource: "signers",
    subresource: "",
    namespace: "",
    name: signerName,
  };
  if ((await authorizer.authorize(attrs)).verdict === "allow") return true;
  const slash = signerName.indexOf("/");
  const domain = slash < 0 ? signerName : signerName.slice(0, slash);
  return (await authorizer.authorize({ ...attrs, name: `${domain}/*` })).verdict === "allow";
}

/** CertificateSubjectRestriction: no system:masters through kube-apiserver-client (§8.4). */
function admitSubjectRestriction(obj: CertificateSigningRequest): void {
  if (obj.spec?.signerName !== KUBE_APISERVER_CLIENT_SIGNER) return;
  let orgs: string[];
  try {
    orgs = parseCsrRequest(obj).subject.attributes.filter((a) => a.type === "O").map((a) => a.value);
  } catch (err) {
    return deny(obj, `failed to parse CSR: ${messageOf(err)}`);
  }
  if (orgs.includes("system:masters")) {
    deny(obj, "use of kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed");
  }
}

/** NodeIdentifier: `system:node:<name>` in group system:nodes. */
function nodeName(user: UserInfo): string | undefined {
  if (!user.name.startsWith("system:node:") || !user.groups.includes("system:nodes")) return undefined;
  return user.name.slice("system:node:".length);
}

/** NodeRestriction (v1.31+): a node may only request node certificates for itself (§7). */
function admitNodeRestriction(obj: CertificateSigningRequest, user: UserInfo): void {
  const node = nodeName(user);
  if (node === undefined || node === "") return;
  const signer = obj.spec?.signerName;
  if (signer !== KUBELET_SERVING_SIGNER && signer !== KUBE_APISERVER_CLIENT_KUBELET_SIGNER) return;
  let cn: string | undefined;
  try {
    cn = parseCsrRequest(obj).subject.attributes.find((a) => a.type === "CN")?.value;
  } catch (err) {
    return deny(obj, `unable to parse csr: ${messageOf(err)}`);
  }
  if (cn !== `system:node:${node}`) deny(obj, `can only create a node CSR with CN=system:node:${node}`);
}

function sameConditions(a: readonly CertificateSigningRequestCondition[], b: readonly CertificateSigningRequestCondition[]): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export async function admitCsr(
  obj: CertificateSigningRequest,
  current: CertificateSigningRequest | undefined,
  ctx: RequestContext,
  op: "create" | "update" | "delete",
  subresource: string,
): Promise<void> {
  if (op === "create") {
    admitNodeRestriction(obj, ctx.user);
    admitSubjectRestriction(obj);
    return;
  }
  if (op !== "update" || current === undefined) return;
  // Both checks use the STORED signerName so a request cannot change it to dodge the check.
  const signer = current.spec?.signerName ?? "";
  if (subresource === "approval") {
    if (!(await isAuthorizedForSignerName(ctx.authorizer, ctx.user, "approve", signer))) {
      deny(current, `user not permitted to approve requests with signerName ${JSON.stringify(signer)}`);
    }
    return;
  }
  if (subresource === "status") {
    const certChanged = (obj.status?.certificate ?? "") !== (current.status?.certificate ?? "");
    if (!certChanged && sameConditions(conditionsOf(obj), conditionsOf(current))) return;
    if (!(await isAuthorizedForSignerName(ctx.authorizer, ctx.user, "sign", signer))) {
      deny(current, `user not permitted to sign requests with signerName ${JSON.stringify(signer)}`);
    }
  }
}
