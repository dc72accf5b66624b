import { defineConfig } from "vitest/config";

export default defineConfig({
  // Plugin modules (examples/custom-plugin) import the SDK by package name; in tests that is
  // the source, not a build.
  resolve: { alias: [{ find: /^inference-bbr$/, replacement: new URL("./src/index.ts", import.meta.url).pathname }] },
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts", "examples/**/*.test.ts", "bench/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
  },
});
