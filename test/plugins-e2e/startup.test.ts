import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../src/common/logger.js";
import { formatConfigError } from "../../src/common/config-error.js";
import { BbrMetrics } from "../../src/bbr/metrics.js";
import { newInTreeRegistry } from "../../src/bbr/plugins/in-tree.js";
import { BbrServer } from "../../src/bbr/server/bbr-server.js";
import { defaultOptions } from "../../src/bbr/server/options.js";
import { writeConfig } from "../support/bbr-test-server.js";

// Start-up refusals of the plugin lifecycle, in-process and through the built `bbr` binary
// (npm test builds first).
const ROOT = join(import.meta.dirname, "../..");
const CONFIGS = join(ROOT, "test/fixtures/plugin-configs");

async function startError(yaml: string): Promise<string> {
  const path = writeConfig(yaml);
  const started = await BbrServer.start(
    defaultOptions({
      grpcPort: 0,
      grpcHealthPort: 0,
      metricsPort: 0,
      bindAddress: "127.0.0.1",
      configPath: path,
      logLevel: "silent",
    }),
    { registry: newInTreeRegistry(), logger: silentLogger(), metrics: new BbrMetrics({ defaultMetrics: false }) },
  );
  if (started.ok) {
    await started.value.stop(0);
    return "started";
  }
  return formatConfigError(started.error).replaceAll(path, "cfg.yaml");
}

describe("start-up refuses what the lifecycle forbids", () => {
  it.each([
    {
      name: "an alpha plugin without its feature gate names the gate",
      yaml: "plugins:\n  - type: cel-rules\n    parameters: {rules: ['true => \"m\"']}\n",
      want: 'cfg.yaml: plugins[0].type: plugin type "cel-rules" is alpha; enable it by adding feature gate "CelRules" to featureGates',
    },
    {
      name: "a tombstoned type fails with its migration text and replacements",
      yaml: "plugins:\n  - type: simple-model-selector\n",
      want: "cfg.yaml: plugins[0].type: plugin type 'simple-model-selector' has been removed: the pluggable-BBR proposal's default plugin never shipped; use body-field-to-header (fieldName: model, headerName: X-Gateway-Model-Name) to copy the model into the routing header, or model-alias to map names (replacements: body-field-to-header, model-alias)",
    },
    {
      name: "minimumStability stable refuses a beta plugin",
      yaml: "minimumStability: stable\nplugins:\n  - type: model-alias\n    parameters: {aliases: {a: b}}\n",
      want: 'cfg.yaml: plugins[0].type: plugin type "model-alias" is beta, below the config\'s minimumStability (stable)',
    },
    {
      name: "the gate enables it",
      yaml: "featureGates: [CelRules]\nplugins:\n  - type: cel-rules\n    parameters: {rules: ['true => \"m\"']}\n",
      want: "started",
    },
  ])("$name", async ({ yaml, want }) => {
    expect(await startError(yaml)).toBe(want);
  });
});

describe("the bbr binary", () => {
  const bbr = (...args: string[]) =>
    spawnSync(process.execPath, [join(ROOT, "bin/bbr.js"), ...args], { encoding: "utf8", timeout: 20_000 });

  it("exits 1 at start-up naming the feature gate of an ungated alpha plugin", () => {
    const path = join(CONFIGS, "ungated-alpha.yaml");
    const r = bbr(
      "--config",
      path,
      "--grpc-port",
      "0",
      "--grpc-health-port",
      "0",
      "--metrics-port",
      "0",
      "--bind-address",
      "127.0.0.1",
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      `bbr: invalid config\n${path}: plugins[0].type: plugin type "multipart-model" is alpha; enable it by adding feature gate "MultipartModel" to featureGates\n`,
    );
  });

  it("validate lists every problem and exits 1", () => {
    const path = join(CONFIGS, "invalid-many.yaml");
    const r = bbr("validate", "--config", path);
    expect(r.status).toBe(1);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(6);
    expect(r.stderr).toContain(`${path}: invalid (5 problems)`);
  });

  it("validate loads a TypeScript plugin module with plain Node", () => {
    const path = join(ROOT, "examples/custom-plugin/config.yaml");
    const r = bbr("validate", "--config", path);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(`${path}: valid: 1 plugin, request: by-length, response: (none)\n`);
    expect(r.status).toBe(0);
  });

  it("plugins --json prints the registry", () => {
    const r = bbr("plugins", "--json");
    expect(r.status).toBe(0);
    const listing = JSON.parse(r.stdout) as { types: { type: string; stability: string }[] };
    expect(listing.types.find((t) => t.type === "cel-rules")?.stability).toBe("alpha");
  });
});
