// ValidateSignerName (core validation; reference k8s-csr-api-and-signers.md §2.4): `<domain>/<path>`,
// a domain of at least two DNS-1123 labels and a path of DNS-1123 subdomains, with apimachinery's texts.
import type { FieldError } from "./errors.ts";

const invalid = (field: string, value: unknown, detail: string): FieldError => ({ type: "FieldValueInvalid", field, value, detail });

const DNS1123_LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1123_SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function labelErrors(s: string): string[] {
  const out: string[] = [];
  if (s.length > 63) out.push("must be no more than 63 characters");
  if (!LABEL_RE.test(s)) out.push(DNS1123_LABEL_MSG);
  return out;
}
function subdomainErrors(s: string): string[] {
  const out: string[] = [];
  if (s.length > 253) out.push("must be no more than 253 characters");
  if (!SUBDOMAIN_RE.test(s)) out.push(DNS1123_SUBDOMAIN_MSG);
  return out;
}

/** ValidateSignerName (§2.4): `<domain>/<path>`, domain of ≥2 DNS-1123 labels, path of DNS-1123 subdomains. */
export function validateSignerName(name: string, field = "spec.signerName"): FieldError[] {
  if (name === "") return [{ type: "FieldValueRequired", field, detail: "signerName must be provided" }];
  const segments = name.split("/");
  if (segments.length !== 2) {
    return [invalid(field, name, "must be a fully qualified domain and path of the form 'example.com/signer-name'")];
  }
  const [domain = "", path = ""] = segments;
  const errs: FieldError[] = [];
  if (domain.length > 253) errs.push({ type: "FieldValueTooLong", field, value: domain, allowed: [253] });
  const labels = domain.split(".");
  for (const lbl of labels) {
    const le = labelErrors(lbl);
    if (le.length > 0) {
      // Stop at the first bad label: further messages would be duplicates (validation.go).
      for (const e of le) errs.push(invalid(field, domain, `validating label ${JSON.stringify(lbl)}: ${e}`));
      break;
    }
  }
  if (labels.length < 2) errs.push(invalid(field, domain, "should be a domain with at least two segments separated by dots"));
  for (const piece of path.split(".")) {
    const se = subdomainErrors(piece);
    if (se.length > 0) {
      for (const e of se) errs.push(invalid(field, path, `validating label ${JSON.stringify(piece)}: ${e}`));
      break;
    }
  }
  const max = 253 + (253 + 63 + 1) + 1;
  if (name.length > max) errs.push({ type: "FieldValueTooLong", field, value: name, allowed: [max] });
  return errs;
}
