import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../common/logger.js";
import { BbrMetrics } from "../metrics.js";
import { newInTreeRegistry } from "../plugins/in-tree.js";
import { DEFAULT_CONFIG_SOURCE, DEFAULT_CONFIG_YAML } from "./default-config.js";
import { formatConfigError } from "../../common/config-error.js";
import { loadConfigFile, loadConfigText } from "./loader.js";

const FIXTURES = join(import.meta.dirname, "../../../test/fixtures/configs");
const context = () => ({
  registry: newInTreeRegistry(),
  logger: silentLogger(),
  metrics: new BbrMetrics({ defaultMetrics: false }),
});

describe("config loader", () => {
  it("loads the embedded default: model header, then base model", async () => {
    const loaded = await loadConfigText(DEFAULT_CONFIG_YAML, DEFAULT_CONFIG_SOURCE, ".", context());
    expect(loaded.ok).toBe(true);
    if (!loaded.ok) return;
    expect(loaded.value.requestPlugins.map((p) => `${p.typedName.name}/${p.typedName.type}`)).toEqual([
      "model-to-header/body-field-to-header",
      "base-model-to-header/base-model-to-header",
    ]);
    expect(loaded.value.responsePlugins).toEqual([]);
    expect(loaded.value.ownedHeaders).toEqual(["X-Gateway-Model-Name", "X-Gateway-Base-Model-Name"]);
  });

  it("loads a full config with a mapping file relative to the config", async () => {
    const loaded = await loadConfigFile(join(FIXTURES, "valid-full.yaml"), context());
    expect(loaded.ok).toBe(true);
    if (!loaded.ok) return;
    for (const p of loaded.value.plugins) await p.close?.();
  });

  // Each fixture's expected error lines sit in its first comment lines ("# want: ...").
  it.each([
    "invalid-yaml.yaml",
    "invalid-unknown-plugin.yaml",
    "invalid-parameters.yaml",
    "invalid-duplicate-name.yaml",
    "invalid-chain-ref.yaml",
    "invalid-top-level-key.yaml",
    "invalid-mapping-file.yaml",
  ])("reports every problem of %s with file, path and reason", async (file) => {
    const path = join(FIXTURES, file);
    const wants = readFileSync(path, "utf8")
      .split("\n")
      .filter((l) => l.startsWith("# want: "))
      .map((l) => l.slice("# want: ".length));
    expect(wants.length).toBeGreaterThan(0);
    const loaded = await loadConfigFile(path, context());
    expect(loaded.ok).toBe(false);
    if (loaded.ok) return;
    const text = formatConfigError(loaded.error);
    for (const want of wants) expect(text).toContain(`${path}: ${want}`);
  });

  it("names an unreadable file", async () => {
    const loaded = await loadConfigFile("/no/such/config.yaml", context());
    expect(!loaded.ok && formatConfigError(loaded.error)).toMatch(/^\/no\/such\/config.yaml: cannot read config/);
  });
});
