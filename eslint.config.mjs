// `npm run lint`: ESLint's and typescript-eslint's recommended rules over lab/, infra/, scripts/ and test/ (in CI
// through npm run test:unit). Formatting is Prettier's (.prettierrc.yaml): none of these rules is about layout.
// A rule is tuned below only where this code breaks it on purpose, each with why; a one-off exception takes an
// `// eslint-disable-next-line <rule>` comment above the line instead (as lab/config.ts does): not a trailing
// `eslint-disable-line`, which no longer covers the line once Prettier wraps it.
import js from "@eslint/js";
import { defineConfig, globalIgnores } from "eslint/config";
import globals from "globals";
import tseslint from "typescript-eslint";

export default defineConfig([
  globalIgnores(["test/fixtures/"]), // recorded output, not code (node_modules/ is ignored by ESLint itself)
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    rules: {
      // require() is deliberate where it stands: inside the dynamic providers Pulumi serialises (infra/provider.ts,
      // which may capture no import), the backends' lazy loaders (a dynamic import() would go through Node's ESM
      // loader, which finds no extensionless .ts module), modules loaded only by the function that needs them
      // (infra/stack.ts), and packages without types (js-yaml, semver) or package.json's fields. Under tsc's
      // CommonJS output an import and a require load alike.
      "@typescript-eslint/no-require-imports": "off",
      // A leading _ names what is there only for its place: `infer _O` in a conditional type, `{ remake: _, ...rest }`
      // to leave a key out of a copy.
      "@typescript-eslint/no-unused-vars": ["error", { varsIgnorePattern: "^_", argsIgnorePattern: "^_" }],
      // Error's options argument ({ cause }) fails the Pulumi language host's type-check of the program (its lib's
      // Error takes a message only): a cause, where one is kept, is set after construction (lab/wait.ts).
      "preserve-caught-error": "off",
    },
  },
  {
    files: ["**/*.js"],
    languageOptions: { sourceType: "commonjs" }, // scripts/npx-pulumi/pulumi.js is a plain CommonJS script
  },
]);
