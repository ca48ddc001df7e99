// Field tables for protobuf request bodies (data, not code: DESIGN.md rule 9). A Message maps a
// field number of k8s.io/api/*/generated.proto to its JSON name and type; numbers were checked by
// decoding the bodies kubectl 1.32/1.33 really send (kubectl -v=8 prints them as a hex dump).

/** Wire-level value kinds. intOrString = k8s.io/apimachinery IntOrString {1 type, 2 intVal, 3 strVal};
 *  quantity = resource.Quantity {1 string}. */
export type Scalar = "string" | "bytes" | "int" | "bool" | "time" | "intOrString" | "quantity";

export interface Field {
  readonly name: string;
  readonly type: Scalar | Message | { readonly map: Scalar | Message };
  readonly repeated?: boolean;
  /** A Go pointer field (`*int32`, `*bool`): a zero value was set on purpose and is kept (replicas: 0). */
  readonly keepZero?: boolean;
}
export type Message = Readonly<Record<number, Field>>;

export const f = (name: string, type: Field["type"], repeated = false): Field => ({ name, type, repeated });
export const strings = (name: string): Field => f(name, "string", true);
/** An optional pointer scalar: zero is meaningful. */
export const ptr = (name: string, type: Scalar): Field => ({ name, type, keepZero: true });

export const OBJECT_META: Message = {
  1: f("name", "string"),
  2: f("generateName", "string"),
  3: f("namespace", "string"),
  5: f("uid", "string"),
  6: f("resourceVersion", "string"),
  7: f("generation", "int"),
  8: f("creationTimestamp", "time"),
  11: f("labels", { map: "string" }),
  12: f("annotations", { map: "string" }),
  14: strings("finalizers"),
};

export const LABEL_SELECTOR: Message = {
  1: f("matchLabels", { map: "string" }),
  2: f("matchExpressions", { 1: f("key", "string"), 2: f("operator", "string"), 3: strings("values") }, true),
};
