// The csrapproving controller (pkg/controller/certificates/approver/sarapprove.go; reference §7):
// kubelet client CSRs are approved when a SubjectAccessReview for the requester allows `create` on
// certificatesigningrequests/selfnodeclient or /nodeclient; kpki adds declarative policies
// (policy.ts). It only ever adds Approved — never Denied — and writes with compare-and-swap.
import {
  APPROVER_ANNOTATION,
  CERTIFICATES_GROUP,
  CSR_RESOURCE,
  KUBE_APISERVER_CLIENT_KUBELET_SIGNER,
  conditionsOf,
  hasConditionType,
  metaTime,
  parseCsrRequest,
} from "../../api/index.ts";
import type { CertificateSigningRequest } from "../../api/index.ts";
import type { Authorizer, UserInfo } from "../../auth/index.ts";
import { messageOf } from "../../base/index.ts";
import type { Clock } from "../../base/index.ts";
import type { Csr } from "../../pki/index.ts";
import type { Store } from "../../storage/index.ts";
import { ControllerError, silentLogger } from "../errors.ts";
import type { Logger } from "../errors.ts";
import type { Reconciler } from "../loop.ts";
import { checkKubeletClient } from "../csr-signing/checks.ts";
import { matchPolicy } from "./policy.ts";
import type { ApprovalPolicy } from "./policy.ts";

export const APPROVER_IDENTITY = "system:controller:csrapproving";

interface Recognizer {
  readonly subresource: string;
  readonly message: string;
  matches(obj: CertificateSigningRequest, csr: Csr): boolean;
}

function isNodeClientCert(obj: CertificateSigningRequest, csr: Csr): boolean {
  return obj.spec.signerName === KUBE_APISERVER_CLIENT_KUBELET_SIGNER && checkKubeletClient(csr, obj.spec.usages ?? []) === undefined;
}

/** In order: self renewal first, then bootstrap (sarapprove.go recognizers()). */
export const RECOGNIZERS: readonly Recognizer[] = [
  {
    subresource: "selfnodeclient",
    message: "Auto approving self kubelet client certificate after SubjectAccessReview.",
    matches: (obj, csr) => isNodeClientCert(obj, csr) && obj.spec.username === csr.subject.attributes.find((a) => a.type === "CN")?.value,
  },
  { subresource: "nodeclient", message: "Auto approving kubelet client certificate after SubjectAccessReview.", matches: isNodeClientCert },
];

export interface ApprovingControllerOptions {
  readonly store: Store<CertificateSigningRequest>;
  readonly authorizer: Authorizer;
  readonly policies?: readonly ApprovalPolicy[];
  /** Validity assumed for CSRs without expirationSeconds when checking a policy's maxDuration. */
  readonly defaultDurationMs: number;
  readonly clock: Clock;
  readonly logger?: Logger;
}

function requester(obj: CertificateSigningRequest): UserInfo {
  return { name: obj.spec.username ?? "", ...(obj.spec.uid ? { uid: obj.spec.uid } : {}), groups: obj.spec.groups ?? [], extra: obj.spec.extra ?? {} };
}

export function createApprovingController(o: ApprovingControllerOptions): Reconciler<CertificateSigningRequest> {
  const logger = o.logger ?? silentLogger;

  async function approve(obj: CertificateSigningRequest, reason: string, message: string): Promise<void> {
    const t = metaTime(o.clock.now());
    const conditions = [...conditionsOf(obj), { type: "Approved", status: "True", reason, message, lastUpdateTime: t, lastTransitionTime: t }];
    const metadata = { ...obj.metadata, annotations: { ...(obj.metadata.annotations ?? {}), [APPROVER_ANNOTATION]: APPROVER_IDENTITY } };
    try {
      await o.store.update({ ...obj, metadata, status: { ...(obj.status ?? {}), conditions } });
    } catch (err) {
      throw new ControllerError("sign-failed", `error updating approval for csr: ${messageOf(err)}`, { cause: err });
    }
    logger.info(`csrapproving: approved CSR "${obj.metadata.name}": ${message}`);
  }

  async function sarAllowed(obj: CertificateSigningRequest, subresource: string): Promise<boolean> {
    const d = await o.authorizer.authorize({
      user: requester(obj),
      verb: "create",
      isResourceRequest: true,
      path: "",
      apiGroup: CERTIFICATES_GROUP,
      apiVersion: "*",
      resource: CSR_RESOURCE,
      subresource,
      namespace: "",
      name: "",
    });
    return d.verdict === "allow";
  }

  return {
    name: "csrapproving",
    wants: (obj) => (obj.status?.certificate ?? "") === "" && !hasConditionType(obj, "Approved") && !hasConditionType(obj, "Denied"),
    async reconcile(obj) {
      if ((obj.status?.certificate ?? "") !== "") return;
      if (hasConditionType(obj, "Approved") || hasConditionType(obj, "Denied")) return;
      let csr: Csr;
      try {
        csr = parseCsrRequest(obj);
      } catch (err) {
        throw new ControllerError("parse-csr", `unable to parse csr "${obj.metadata.name}": ${messageOf(err)}`, { cause: err });
      }
      const tried: string[] = [];
      for (const r of RECOGNIZERS) {
        if (!r.matches(obj, csr)) continue;
        tried.push(r.subresource);
        if (await sarAllowed(obj, r.subresource)) return approve(obj, "AutoApproved", r.message);
      }
      const policy = matchPolicy(o.policies ?? [], obj, csr, o.defaultDurationMs);
      if (policy !== undefined) {
        return approve(obj, "PolicyApproved", `Auto approving by kpki approval policy "${policy.name}".`);
      }
      if (tried.length > 0) {
        throw new ControllerError("not-approved", `recognized csr "${obj.metadata.name}" as [${tried.join(" ")}] but subject access review was not approved`);
      }
    },
  };
}
