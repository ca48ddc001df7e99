// Lint: typescript-eslint's recommended rules plus the house rules of ../shared/DESIGN.md that a
// linter can check (no `any`, no floating promises on the hot path is left to review).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-constant-condition": ["error", { checkLoops: false }],
    },
  },
  {
    files: ["**/*.test.ts", "test/**", "bench/**"],
    rules: { "@typescript-eslint/no-non-null-assertion": "off" },
  },
);
