// Bindings of one scope (all ClusterRoleBindings, or the RoleBindings of one namespace) indexed by the
// user names and groups their subjects name. ServiceAccount subjects are indexed under their user name
// `system:serviceaccount:<ns>:<name>`, so a lookup costs one map probe per user name and group.
import type { ClusterRoleBinding, RoleBinding } from "../../api/index.ts";
import type { UserInfo } from "../types.ts";
import { serviceAccountUsername } from "./rules.ts";

export interface BindingEntry {
  readonly name: string;
  readonly namespace: string;
  readonly binding: ClusterRoleBinding | RoleBinding;
  /** First-insert order: candidates are visited in it, so decisions and reasons are deterministic. */
  readonly seq: number;
  readonly userKeys: readonly string[];
  readonly groupKeys: readonly string[];
}

type Bucket = Map<string, BindingEntry>;

export class SubjectIndex {
  readonly #entries = new Map<string, BindingEntry>();
  readonly #byUser = new Map<string, Bucket>();
  readonly #byGroup = new Map<string, Bucket>();

  get size(): number {
    return this.#entries.size;
  }

  put(name: string, binding: ClusterRoleBinding | RoleBinding, namespace: string, nextSeq: () => number): void {
    const previous = this.#entries.get(name);
    if (previous !== undefined) this.delete(name);
    const userKeys = new Set<string>();
    const groupKeys = new Set<string>();
    for (const s of binding.subjects ?? []) {
      if (s.kind === "User") userKeys.add(s.name);
      else if (s.kind === "Group") groupKeys.add(s.name);
      else if (s.kind === "ServiceAccount") {
        const ns = s.namespace || namespace;
        if (ns !== "") userKeys.add(serviceAccountUsername(ns, s.name));
      }
    }
    const entry: BindingEntry = {
      name,
      namespace,
      binding,
      seq: previous?.seq ?? nextSeq(),
      userKeys: [...userKeys],
      groupKeys: [...groupKeys],
    };
    this.#entries.set(name, entry);
    for (const k of entry.userKeys) bucket(this.#byUser, k).set(name, entry);
    for (const k of entry.groupKeys) bucket(this.#byGroup, k).set(name, entry);
  }

  delete(name: string): void {
    const entry = this.#entries.get(name);
    if (entry === undefined) return;
    this.#entries.delete(name);
    for (const k of entry.userKeys) unbucket(this.#byUser, k, name);
    for (const k of entry.groupKeys) unbucket(this.#byGroup, k, name);
  }

  /** Bindings naming the user or one of its groups, each once, in first-insert order. */
  candidates(user: UserInfo): readonly BindingEntry[] {
    let single: Bucket | undefined;
    let many: Bucket[] | undefined;
    const add = (b: Bucket | undefined): void => {
      if (b === undefined) return;
      if (single === undefined) single = b;
      else (many ??= [single]).push(b);
    };
    add(this.#byUser.get(user.name));
    for (const g of user.groups) add(this.#byGroup.get(g));
    if (single === undefined) return EMPTY;
    if (many === undefined) return [...single.values()];
    const seen = new Map<string, BindingEntry>();
    for (const b of many) for (const [k, e] of b) seen.set(k, e);
    return [...seen.values()].sort((x, y) => x.seq - y.seq);
  }
}

const EMPTY: readonly BindingEntry[] = [];

function bucket(map: Map<string, Bucket>, key: string): Bucket {
  let b = map.get(key);
  if (b === undefined) map.set(key, (b = new Map()));
  return b;
}

function unbucket(map: Map<string, Bucket>, key: string, name: string): void {
  const b = map.get(key);
  if (b === undefined) return;
  b.delete(name);
  if (b.size === 0) map.delete(key);
}
