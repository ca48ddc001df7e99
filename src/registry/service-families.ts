// A Service's IP families (spec.ipFamilyPolicy, spec.ipFamilies, spec.clusterIPs) as kube-apiserver sets
// and checks them: pkg/registry/core/service/storage/alloc.go initIPFamilyFields, after
// pkg/apis/core/validation ValidateServiceClusterIPsRelatedFields. Pure: the spec in, the defaulted spec
// or kube's field errors out. kube runs this in BeginCreate/BeginUpdate; kpki runs it in the strategy's
// prepare (defaulting) and again in validate (errors), which see the same input.
import type { FieldError } from "../api/index.ts";
import { cidrOfFamily, familyOf, isDualStack, primaryCidr, type IpFamily, type ServiceIpRange } from "./service-ip.ts";

type Json = Record<string, unknown>;
const str = (v: unknown): string => (typeof v === "string" ? v : "");
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.map(str) : []);
const same = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

const POLICIES = ["PreferDualStack", "RequireDualStack", "SingleStack"];
const FAMILIES = ["IPv4", "IPv6"];
const other = (f: IpFamily): IpFamily => (f === "IPv4" ? "IPv6" : "IPv4");
const invalid = (field: string, value: unknown, detail: string): FieldError => ({ type: "FieldValueInvalid", field, value, detail });

export type FamilyInit = { readonly ok: true; readonly spec: Json } | { readonly ok: false; readonly errors: FieldError[] };

/** Per-IP checks of ValidateServiceClusterIPsRelatedFields. kpki reports an invalid primary address on
 *  spec.clusterIP (its message before dual-stack), the secondary on spec.clusterIPs[1]. */
function clusterIpErrors(ips: readonly string[]): FieldError[] {
  const errs: FieldError[] = [];
  for (const [i, ip] of ips.entries()) {
    if (i === 0 && ip === "None") {
      if (ips.length > 1) errs.push(invalid("spec.clusterIPs", ips, "'None' must be the first and only value"));
      continue;
    }
    if (familyOf(ip) === undefined) errs.push(invalid(i === 0 ? "spec.clusterIP" : `spec.clusterIPs[${i}]`, ip, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"));
  }
  if (ips.length > 2) errs.push(invalid("spec.clusterIPs", ips, "may only hold up to 2 values"));
  return errs;
}

/** ValidateServiceClusterIPsRelatedFields: clusterIP/clusterIPs in sync, known families and policy,
 *  valid addresses, at most one per family, each matching its ipFamilies entry. */
export function validateFamilyFields(spec: Json): FieldError[] {
  if (spec.type === "ExternalName") return [];
  const ip = str(spec.clusterIP);
  const ips = strs(spec.clusterIPs);
  const families = strs(spec.ipFamilies);
  const errs: FieldError[] = [];
  if (ip !== "" && ips.length === 0) errs.push({ type: "FieldValueRequired", field: "spec.clusterIPs", detail: "" });
  else if (ip !== "" && ips[0] !== ip) errs.push(invalid("spec.clusterIPs", ips, "first value must match `clusterIP`"));
  else if (ip === "" && ips.length > 0) errs.push(invalid("spec.clusterIPs", ips, "must be empty when `clusterIP` is not specified"));
  for (const [i, f] of families.entries()) {
    if (!FAMILIES.includes(f)) errs.push({ type: "FieldValueNotSupported", field: `spec.ipFamilies[${i}]`, value: f, allowed: FAMILIES });
    if (families.indexOf(f) < i) errs.push({ type: "FieldValueDuplicate", field: `spec.ipFamilies[${i}]`, value: f });
  }
  const policy = spec.ipFamilyPolicy;
  if (policy !== undefined && !POLICIES.includes(str(policy))) errs.push({ type: "FieldValueNotSupported", field: "spec.ipFamilyPolicy", value: policy, allowed: POLICIES });
  const ipErrs = clusterIpErrors(ips.length > 0 ? ips : ip === "" ? [] : [ip]);
  if (ipErrs.length > 0) return [...errs, ...ipErrs];
  if (ips.length === 2 && familyOf(ips[0] ?? "") === familyOf(ips[1] ?? "")) errs.push(invalid("spec.clusterIPs", ips, "may specify no more than one IP for each IP family"));
  if (ips[0] === "None") return errs;
  for (const [i, addr] of ips.slice(0, families.length).entries()) {
    const want = families[i];
    if (FAMILIES.includes(want ?? "") && familyOf(addr) !== want) errs.push(invalid(`spec.clusterIPs[${i}]`, addr, `expected an ${want} value as indicated by \`ipFamilies[${i}]\``));
  }
  return errs;
}

/** The update-only step of initIPFamilyFields: SingleStack with unchanged two-entry lists releases the
 *  secondary; any other policy may not drop it. */
function downgrade(spec: Json, old: Json): { spec: Json; errors: FieldError[] } {
  const [ips, families, oldIps, oldFamilies] = [strs(spec.clusterIPs), strs(spec.ipFamilies), strs(old.clusterIPs), strs(old.ipFamilies)];
  if (spec.ipFamilyPolicy === "SingleStack") {
    const out = { ...spec };
    if (same(ips, oldIps) && ips.length > 1) out.clusterIPs = ips.slice(0, 1);
    if (same(families, oldFamilies) && families.length > 1) out.ipFamilies = families.slice(0, 1);
    return { spec: out, errors: [] };
  }
  const errors: FieldError[] = [];
  if (ips.length < oldIps.length) errors.push(invalid("spec.ipFamilyPolicy", spec.ipFamilyPolicy, "must be 'SingleStack' to release the secondary cluster IP"));
  if (families.length < oldFamilies.length) errors.push(invalid("spec.ipFamilyPolicy", spec.ipFamilyPolicy, "must be 'SingleStack' to release the secondary IP family"));
  return { spec, errors };
}

/** alloc.go initIPFamilyFields: defaults ipFamilyPolicy (SingleStack; RequireDualStack for a headless
 *  Service without selector; on update the old policy) and ipFamilies (from clusterIPs, else the
 *  primary family, plus the other family for a dual-stack policy on a dual-stack server), and refuses
 *  families the server does not serve. `old`: the stored spec on update. */
export function initIpFamilies(input: Json, range: ServiceIpRange, old?: Json): FamilyInit {
  if (input.type === "ExternalName") return { ok: true, spec: input };
  // PreferDualStack Services are not up/downgraded when only the server's stack changed.
  if (old && old.ipFamilyPolicy === "PreferDualStack" && input.ipFamilyPolicy === "PreferDualStack" &&
    same(strs(input.clusterIPs), strs(old.clusterIPs)) && same(strs(input.ipFamilies), strs(old.ipFamilies))) return { ok: true, spec: input };
  const headlessNoSelector = input.clusterIP === "None" && Object.keys(input.selector ?? {}).length === 0;
  const spec: Json = { ...input, ipFamilyPolicy: input.ipFamilyPolicy ?? old?.ipFamilyPolicy ?? (headlessNoSelector ? "RequireDualStack" : "SingleStack") };
  const pre = validateFamilyFields(spec);
  if (pre.length > 0) return { ok: false, errors: pre };
  return finishInit(spec, range, old);
}

function finishInit(input: Json, range: ServiceIpRange, old: Json | undefined): FamilyInit {
  const { spec, errors } = old ? downgrade(input, old) : { spec: input, errors: [] as FieldError[] };
  const ips = strs(spec.clusterIPs);
  const families = strs(spec.ipFamilies) as IpFamily[];
  if (spec.ipFamilyPolicy === "SingleStack") {
    if (ips.length === 2) errors.push(invalid("spec.ipFamilyPolicy", "SingleStack", "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified"));
    if (families.length === 2) errors.push(invalid("spec.ipFamilyPolicy", "SingleStack", "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified"));
  }
  for (const [i, ip] of ips.entries()) {
    if (ip === "None") break;
    const fam = familyOf(ip);
    if (i < families.length || fam === undefined) continue;
    // kube: "a better error in this specific case (indicating the user-provided IP)".
    if (cidrOfFamily(range, fam) === undefined) errors.push(invalid(`spec.clusterIPs[${i}]`, ips, `${fam} is not configured on this cluster`));
    else families.push(fam);
  }
  if (errors.length > 0) return { ok: false, errors };
  const primary = primaryCidr(range).family;
  if (spec.clusterIP === "None" && Object.keys(spec.selector ?? {}).length === 0) {
    // Headless without selector: kube allows both families even on a single-stack server.
    if (families.length === 0) families.push(primary);
    if (families.length < 2 && spec.ipFamilyPolicy !== "SingleStack") families.push(other(families[0] ?? primary));
    return { ok: true, spec: { ...spec, ipFamilies: families } };
  }
  if (spec.ipFamilyPolicy === "RequireDualStack" && !isDualStack(range)) {
    errors.push(invalid("spec.ipFamilyPolicy", "RequireDualStack", "this cluster is not configured for dual-stack services"));
  }
  for (const [i, f] of families.entries()) if (cidrOfFamily(range, f) === undefined) errors.push(invalid(`spec.ipFamilies[${i}]`, f, "not configured on this cluster"));
  if (errors.length > 0) return { ok: false, errors };
  if (families.length === 0) families.push(primary);
  if (spec.ipFamilyPolicy !== "SingleStack" && families.length === 1 && isDualStack(range)) families.push(other(families[0] ?? primary));
  return { ok: true, spec: { ...spec, ipFamilies: families } };
}
