import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// The repository's vitest config collects src/, test/ and examples/ only; the benchmark's own
// unit tests run with: npx vitest run --config bench/scheduling/vitest.config.ts
export default defineConfig({
  root: fileURLToPath(new URL("../..", import.meta.url)),
  test: {
    include: ["bench/scheduling/**/*.test.ts"],
    testTimeout: 30_000,
    pool: "forks",
  },
});
