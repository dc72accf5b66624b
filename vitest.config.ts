import { defineConfig } from "vitest/config";

// The suites that drive ext_proc streams through a real server (startBbr, startEpp). The
// "connect" project runs them again with the servers on @connectrpc/connect-node: the test
// helpers read EXTPROC_TRANSPORT, the grpc-js test client stays the Envoy stand-in.
const STREAM_SUITES = [
  "test/integration/gie-vectors.test.ts",
  "test/integration/bbr-protocol.test.ts",
  "test/hostile/compressed-bodies.test.ts",
  "test/hostile/connection-faults.test.ts",
  "test/hostile/hostile-input.test.ts",
  "test/hostile/plugin-faults.test.ts",
  "test/epp/protocol.test.ts",
  "test/plugins-e2e/*.test.ts",
  "test/ops/drain.test.ts",
  "test/ops/health.test.ts",
  "test/ops/tls.test.ts",
  "test/ops/tracing.test.ts",
];

export default defineConfig({
  // Plugin modules (examples/custom-plugin) import the SDK by package name; in tests that is
  // the source, not a build.
  resolve: { alias: [{ find: /^inference-bbr$/, replacement: new URL("./src/index.ts", import.meta.url).pathname }] },
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    projects: [
      {
        extends: true,
        test: {
          name: "default",
          include: ["src/**/*.test.ts", "test/**/*.test.ts", "examples/**/*.test.ts", "bench/**/*.test.ts"],
        },
      },
      {
        extends: true,
        test: { name: "connect", include: STREAM_SUITES, env: { EXTPROC_TRANSPORT: "connect" } },
      },
    ],
  },
});
