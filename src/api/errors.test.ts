import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fieldErrorBody, invalid, type FieldError } from "./errors.ts";

// Expected texts are what apimachinery's field.Error.ErrorBody prints for the same Go value.
describe("fieldErrorBody", () => {
  const cases: [string, FieldError, string][] = [
    ["string: %q", { type: "FieldValueInvalid", field: "f", value: "x", detail: "bad" }, 'Invalid value: "x": bad'],
    ["control characters as strconv.Quote", { type: "FieldValueInvalid", field: "f", value: "a\u0001\u0007\v\n\"\\" }, 'Invalid value: "a\\x01\\a\\v\\n\\"\\\\"'],
    ["number: %v", { type: "FieldValueInvalid", field: "f", value: 3 }, "Invalid value: 3"],
    ["nil: null", { type: "FieldValueInvalid", field: "f", value: undefined, detail: "d" }, "Invalid value: null: d"],
    ["[]string: %#v", { type: "FieldValueInvalid", field: "f", value: ["10.0.0.1", "fd00::1"], detail: "d" }, 'Invalid value: []string{"10.0.0.1", "fd00::1"}: d'],
    ["empty []string: %#v", { type: "FieldValueDuplicate", field: "f", value: [] }, "Duplicate value: []string{}"],
    ["other composites stay JSON", { type: "FieldValueInvalid", field: "f", value: { a: 1 } }, 'Invalid value: {"a":1}'],
    ["mixed arrays stay JSON", { type: "FieldValueInvalid", field: "f", value: ["a", 1] }, 'Invalid value: ["a",1]'],
    ["supported values quoted", { type: "FieldValueNotSupported", field: "f", value: "x", allowed: ["A", "B"] }, 'Unsupported value: "x": supported values: "A", "B"'],
  ];
  for (const [name, err, want] of cases) it(name, () => assert.equal(fieldErrorBody(err), want));
});

describe("invalid", () => {
  it("names the kind, the field and the rendered value in message and cause", () => {
    const e = invalid("", "Service", "b", [{ type: "FieldValueInvalid", field: "spec.clusterIPs", value: ["10.32.0.50"], detail: "failed" }]);
    assert.equal(e.message, 'Service "b" is invalid: spec.clusterIPs: Invalid value: []string{"10.32.0.50"}: failed');
    assert.deepEqual(e.details?.causes, [{ reason: "FieldValueInvalid", message: 'Invalid value: []string{"10.32.0.50"}: failed', field: "spec.clusterIPs" }]);
  });
});
