import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import type { ConfigIssue } from "../../../src/common/config-error.js";
import { DEFAULT_CONFIG_SOURCE, DEFAULT_CONFIG_YAML } from "../../../src/epp/config/default-config.js";
import { type LoadedEppConfig, loadConfigFile, loadConfigText } from "../../../src/epp/config/loader.js";
import { newInTreeRegistry } from "../../../src/epp/plugins/in-tree.js";
import { testHandle } from "../support/scheduling.js";

const FIXTURES = new URL("../../fixtures/epp/configs/", import.meta.url);
const loaded: LoadedEppConfig[] = [];

afterEach(async () => {
  for (const c of loaded.splice(0)) for (const p of c.plugins) await p.close?.();
});

async function load(yaml: string) {
  const result = await loadConfigText(yaml, "test.yaml", { registry: newInTreeRegistry(), handle: await testHandle() });
  if (result.ok) loaded.push(result.value);
  return result;
}

async function issues(yaml: string): Promise<ConfigIssue[]> {
  const result = await load(yaml);
  if (result.ok) throw new Error("config unexpectedly valid");
  return [...result.error.issues];
}

/** shape summarises a loaded config: profile plugins as name/type, weights, wiring. */
function shape(c: LoadedEppConfig) {
  const profiles = Object.fromEntries(
    [...c.scheduler.profiles].map(([name, p]) => [
      name,
      {
        filters: p.filters.map((f) => f.typedName.name),
        scorers: p.scorers.map((s) => `${s.scorer.typedName.name}×${s.weight}`),
        picker: `${p.picker.typedName.name}/${p.picker.typedName.type}`,
      },
    ]),
  );
  return {
    profiles,
    handler: c.scheduler.profileHandler.typedName.type,
    parser: c.parser.typedName.type,
    saturation: c.saturationDetector.typedName.type,
    metrics: c.metrics ? `${c.metrics.source.typedName.type}+${c.metrics.extractor.typedName.type}` : "off",
    producers: c.producers.map((p) => p.typedName.type),
  };
}

describe("EndpointPickerConfig loading", () => {
  it("loads the reference-shaped config with every top-level key", async () => {
    const result = await loadConfigFile(new URL("reference-full.yaml", FIXTURES).pathname, {
      registry: newInTreeRegistry(),
      handle: await testHandle(),
    });
    if (!result.ok) throw new Error(JSON.stringify(result.error));
    loaded.push(result.value);
    expect(shape(result.value)).toEqual({
      profiles: {
        default: {
          filters: [],
          scorers: ["my-prefix×3", "queue-scorer×2", "kv-cache-utilization-scorer×2"],
          picker: "max-score-picker/max-score-picker",
        },
      },
      handler: "single-profile-handler",
      parser: "openai-parser",
      saturation: "utilization-detector",
      metrics: "metrics-data-source+core-metrics-extractor",
      producers: ["approx-prefix-cache-producer"],
    });
    expect([...result.value.featureGates]).toEqual(["dataLayer"]);
  });

  it("loads the embedded default: queue 2, kv-cache 2, prefix 3 behind model-filter", async () => {
    const result = await load(DEFAULT_CONFIG_YAML);
    if (!result.ok) throw new Error(JSON.stringify(result.error));
    expect(DEFAULT_CONFIG_SOURCE).toBe("<embedded default config>");
    expect(shape(result.value)).toEqual({
      profiles: {
        default: {
          filters: ["model-filter"],
          scorers: ["queue-scorer×2", "kv-cache-utilization-scorer×2", "prefix-cache-scorer×3"],
          picker: "max-score-picker/max-score-picker",
        },
      },
      handler: "single-profile-handler",
      parser: "openai-parser",
      saturation: "utilization-detector",
      metrics: "metrics-data-source+core-metrics-extractor",
      producers: ["approx-prefix-cache-producer"],
    });
  });

  it("injects the reference defaults: profile, picker, handler, weight 1, parser, detector, data layer", async () => {
    const result = await load(readFileSync(new URL("llm-d-minimal.yaml", FIXTURES), "utf8"));
    if (!result.ok) throw new Error(JSON.stringify(result.error));
    expect(shape(result.value)).toMatchObject({
      profiles: { default: { filters: [], scorers: ["queue-scorer×1"], picker: "random-picker/random-picker" } },
      handler: "single-profile-handler",
      parser: "openai-parser",
      saturation: "utilization-detector",
      metrics: "metrics-data-source+core-metrics-extractor",
    });
  });

  it.each([
    {
      name: "a profile without a picker gets max-score-picker",
      yaml: "plugins: [{type: queue-scorer}]\nschedulingProfiles: [{name: p, plugins: [{pluginRef: queue-scorer}]}]",
      want: { profiles: { p: { picker: "max-score-picker/max-score-picker", scorers: ["queue-scorer×1"] } } },
    },
    {
      name: "legacy prefix parameters on the scorer configure the auto-created producer",
      yaml: "plugins: [{type: prefix-cache-scorer, parameters: {blockSize: 128}}]",
      want: { producers: ["approx-prefix-cache-producer"] },
    },
    {
      name: "an explicitly empty data layer turns scraping off",
      yaml: "plugins: [{type: queue-scorer}]\ndataLayer: {sources: []}",
      want: { metrics: "off" },
    },
  ])("$name", async ({ yaml, want }) => {
    const result = await load(yaml);
    if (!result.ok) throw new Error(JSON.stringify(result.error));
    expect(shape(result.value)).toMatchObject(want);
  });

  it("hands legacy prefix parameters to the producer (chars → tokens)", async () => {
    const result = await load(
      "plugins: [{type: prefix-cache-scorer, parameters: {blockSize: 128, lruCapacityPerServer: 9}}]",
    );
    if (!result.ok) throw new Error(JSON.stringify(result.error));
    const producer = result.value.producers[0] as unknown as { params: Record<string, unknown> };
    expect(producer.params).toMatchObject({ blockSizeTokens: 32, lruCapacityPerServer: 9 });
  });

  it("warns about, but accepts, a flowControl section while its gate is off", async () => {
    const result = await load("plugins: [{type: queue-scorer}]\nflowControl: {maxBytes: 10Gi}");
    expect(result.ok && result.value.warnings).toEqual([
      "flowControl is set but the flowControl feature gate is off; the section is ignored",
    ]);
  });

  it("reports every mistake of a file with its path", async () => {
    const result = await loadConfigFile(new URL("invalid-many.yaml", FIXTURES).pathname, {
      registry: newInTreeRegistry(),
      handle: await testHandle(),
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.issues.map((i) => i.path)).toEqual([
      "plugins[0].parameters.threshold",
      "plugins[1].type",
      "plugins[2].parameters.maxNumOfEndpoints",
      "plugins[3].name",
    ]);
    expect(result.error.issues[1]!.message).toContain('unknown plugin type "no-such-plugin"');
  });

  it.each([
    { name: "invalid YAML", yaml: "plugins: [", path: "", message: "invalid YAML" },
    {
      name: "wrong apiVersion",
      yaml: "apiVersion: v1\nplugins: [{type: queue-scorer}]",
      path: "apiVersion",
      message: "",
    },
    { name: "wrong kind", yaml: "kind: Foo\nplugins: [{type: queue-scorer}]", path: "kind", message: "" },
    { name: "no plugins", yaml: "plugins: []", path: "plugins", message: "at least one plugin" },
    { name: "unknown top-level key", yaml: "plugins: [{type: queue-scorer}]\nbogus: 1", path: "bogus", message: 'unknown field "bogus"' },
    { name: "the docs' `data` key", yaml: "plugins: [{type: queue-scorer}]\ndata: {}", path: "data", message: "dataLayer" },
    {
      name: "unknown key in a plugin",
      yaml: "plugins: [{type: queue-scorer, params: {}}]",
      path: "plugins[0].params",
      message: 'unknown field "params"',
    },
    {
      name: "unknown pluginRef",
      yaml: "plugins: [{type: queue-scorer}]\nschedulingProfiles: [{name: a, plugins: [{pluginRef: nope}]}]",
      path: "schedulingProfiles[0].plugins[0].pluginRef",
      message: 'no plugin named "nope"',
    },
    {
      name: "weight on a non-scorer",
      yaml: "plugins: [{type: max-score-picker}]\nschedulingProfiles: [{name: a, plugins: [{pluginRef: max-score-picker, weight: 2}]}]",
      path: "schedulingProfiles[0].plugins[0].weight",
      message: "scorers only",
    },
    {
      name: "negative weight",
      yaml: "plugins: [{type: queue-scorer}]\nschedulingProfiles: [{name: a, plugins: [{pluginRef: queue-scorer, weight: -1}]}]",
      path: "schedulingProfiles[0].plugins[0].weight",
      message: "negative",
    },
    {
      name: "two pickers in a profile",
      yaml: "plugins: [{type: max-score-picker}, {type: random-picker}]\nschedulingProfiles: [{name: a, plugins: [{pluginRef: max-score-picker}, {pluginRef: random-picker}]}]",
      path: "schedulingProfiles[0].plugins[1].pluginRef",
      message: "already has picker",
    },
    {
      name: "a profile handler inside a profile",
      yaml: "plugins: [{type: single-profile-handler}]\nschedulingProfiles: [{name: a, plugins: [{pluginRef: single-profile-handler}]}]",
      path: "schedulingProfiles[0].plugins[0].pluginRef",
      message: "not a filter, scorer or picker",
    },
    {
      name: "duplicate profile names",
      yaml: "plugins: [{type: queue-scorer}, {type: single-profile-handler}]\nschedulingProfiles: [{name: a}, {name: a}]",
      path: "schedulingProfiles[1].name",
      message: "duplicate profile",
    },
    {
      name: "two profiles without a profile handler",
      yaml: "plugins: [{type: queue-scorer}]\nschedulingProfiles: [{name: a}, {name: b}]",
      path: "schedulingProfiles",
      message: "needs a profile handler",
    },
    {
      name: "single-profile-handler with two profiles",
      yaml: "plugins: [{type: single-profile-handler}]\nschedulingProfiles: [{name: a}, {name: b}]",
      path: "schedulingProfiles",
      message: "exactly one profile",
    },
    {
      name: "unknown feature gate",
      yaml: "featureGates: [warpDrive]\nplugins: [{type: queue-scorer}]",
      path: "featureGates[0]",
      message: "unknown feature gate",
    },
    {
      name: "an unknown fairness policy",
      yaml: "featureGates: [flowControl]\nplugins: [{type: queue-scorer}]\nflowControl: {fairnessPolicy: lottery}",
      path: "flowControl.fairnessPolicy",
      message: 'unknown fairness policy "lottery"',
    },
    {
      name: "a bad queue byte quantity",
      yaml: "featureGates: [flowControl]\nplugins: [{type: queue-scorer}]\nflowControl: {maxBytes: lots}",
      path: "flowControl.maxBytes",
      message: "quantity",
    },
    {
      name: "an alpha plugin without its gate",
      yaml: "plugins: [{type: destination-endpoint-served-verifier}]",
      path: "plugins[0].type",
      message: 'feature gate "DestinationEndpointServedVerifier"',
    },
    {
      name: "saturationDetector naming a scorer",
      yaml: "plugins: [{type: queue-scorer}]\nsaturationDetector: {pluginRef: queue-scorer}",
      path: "saturationDetector.pluginRef",
      message: "not a saturation detector",
    },
    {
      name: "two data sources",
      yaml: "plugins: [{type: metrics-data-source}, {type: core-metrics-extractor}]\ndataLayer: {sources: [{pluginRef: metrics-data-source, extractors: [{pluginRef: core-metrics-extractor}]}, {pluginRef: metrics-data-source, extractors: [{pluginRef: core-metrics-extractor}]}]}",
      path: "dataLayer.sources",
      message: "only one data source",
    },
    {
      name: "a data source without an extractor",
      yaml: "plugins: [{type: metrics-data-source}]\ndataLayer: {sources: [{pluginRef: metrics-data-source}]}",
      path: "dataLayer.sources[0].extractors",
      message: "exactly one extractor",
    },
    {
      name: "parser naming a scorer",
      yaml: "plugins: [{type: queue-scorer}]\nparser: {pluginRef: queue-scorer}",
      path: "parser.pluginRef",
      message: "not a parser",
    },
    {
      name: "prefix parameters on the scorer while a producer is configured",
      yaml: "plugins: [{type: prefix-cache-scorer, parameters: {blockSizeTokens: 8}}, {type: approx-prefix-cache-producer}]",
      path: "plugins[0].parameters",
      message: "set them there",
    },
    {
      name: "bad utilization-detector duration",
      yaml: "plugins: [{type: utilization-detector, parameters: {metricsStalenessThreshold: soon}}]",
      path: "plugins[0].parameters.metricsStalenessThreshold",
      message: "invalid duration",
    },
    {
      name: "bad engine metric spec",
      yaml: 'plugins: [{type: core-metrics-extractor, parameters: {engineConfigs: [{name: vllm, queuedRequestsSpec: "bad name"}]}}]',
      path: "plugins[0].parameters",
      message: 'engine "vllm" queuedRequestsSpec',
    },
    {
      name: "unknown defaultEngine",
      yaml: "plugins: [{type: core-metrics-extractor, parameters: {defaultEngine: tgi}}]",
      path: "plugins[0].parameters",
      message: 'defaultEngine "tgi"',
    },
  ])("rejects $name at `$path`", async ({ yaml, path, message }) => {
    const got = await issues(yaml);
    expect(got.map((i) => i.path)).toContain(path);
    expect(got.find((i) => i.path === path)!.message).toContain(message);
  });
});
