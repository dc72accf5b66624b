import { join } from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../common/logger.js";
import { BbrMetrics } from "../metrics.js";
import { newInTreeRegistry } from "../plugins/in-tree.js";
import { testRequest } from "../api/testing.js";
import { formatConfigError } from "../../common/config-error.js";
import { type LoadContext, loadConfigText } from "./loader.js";

const MODULES = join(import.meta.dirname, "../../../test/fixtures/plugin-modules");
const context = (overrides: Partial<LoadContext> = {}): LoadContext => ({
  registry: newInTreeRegistry(),
  logger: silentLogger(),
  metrics: new BbrMetrics({ defaultMetrics: false }),
  ...overrides,
});

async function problems(yaml: string, ctx = context()): Promise<string> {
  const loaded = await loadConfigText(yaml, "cfg.yaml", MODULES, ctx);
  if (loaded.ok) {
    for (const p of loaded.value.plugins) await p.close?.();
    return "ok";
  }
  return formatConfigError(loaded.error);
}

describe("plugin lifecycle in config", () => {
  it.each([
    {
      name: "alpha type without its gate names the gate",
      yaml: "plugins:\n  - type: cel-rules\n    parameters: {rules: ['true => \"m\"']}\n",
      want: 'cfg.yaml: plugins[0].type: plugin type "cel-rules" is alpha; enable it by adding feature gate "CelRules" to featureGates',
    },
    {
      name: "alpha type with its gate loads",
      yaml: "featureGates: [CelRules]\nplugins:\n  - type: cel-rules\n    parameters: {rules: ['true => \"m\"']}\n",
      want: "ok",
    },
    {
      name: "tombstoned in-tree type fails with its migration text",
      yaml: "plugins:\n  - type: simple-model-selector\n",
      want: "cfg.yaml: plugins[0].type: plugin type 'simple-model-selector' has been removed: the pluggable-BBR proposal's default plugin never shipped; use body-field-to-header (fieldName: model, headerName: X-Gateway-Model-Name) to copy the model into the routing header, or model-alias to map names (replacements: body-field-to-header, model-alias)",
    },
    {
      name: "the renamed max-score-picker points at max-score-model-picker",
      yaml: "plugins:\n  - type: max-score-picker\n",
      want: "cfg.yaml: plugins[0].type: plugin type 'max-score-picker' has been removed in 0.2.0: renamed so BBR's model picker no longer shares a name with the EPP's endpoint picker; the parameters are unchanged (replacements: max-score-model-picker)",
    },
    {
      name: "minimumStability refuses beta types",
      yaml: "minimumStability: stable\nplugins:\n  - type: api-detector\n  - type: body-field-to-header\n    parameters: {fieldName: model, headerName: X-M}\n",
      want: 'cfg.yaml: plugins[0].type: plugin type "api-detector" is beta, below the config\'s minimumStability (stable)',
    },
    {
      name: "bad minimumStability",
      yaml: "minimumStability: ga\nplugins:\n  - type: api-detector\n",
      want: 'cfg.yaml: minimumStability: Invalid option: expected one of "alpha"|"beta"|"stable"',
    },
  ])("$name", async ({ yaml, want }) => {
    expect(await problems(yaml)).toBe(want);
  });

  it("reports schema errors and refused types together, each with its path", async () => {
    const yaml = [
      "featureGates: [Typo]",
      "plugins:",
      "  - type: cel-rules",
      "  - type: model-guesser",
      "  - type: simple-model-selector",
      "  - type: api-detector",
      "    bogus: 1",
      "request: [x]",
      "extra: true",
    ].join("\n");
    expect((await problems(yaml)).split("\n")).toEqual([
      'cfg.yaml: plugins[3].bogus: unknown field "bogus"',
      'cfg.yaml: extra: unknown field "extra"',
      'cfg.yaml: plugins[0].type: plugin type "cel-rules" is alpha; enable it by adding feature gate "CelRules" to featureGates',
      expect.stringMatching(
        /^cfg.yaml: plugins\[1\].type: unknown plugin type "model-guesser" \(registered types: body-field-to-header, /,
      ),
      expect.stringMatching(/^cfg.yaml: plugins\[2\].type: plugin type 'simple-model-selector' has been removed: /),
    ]);
  });

  it("warns once per process about a deprecated type, counts every use, and lists warnings", async () => {
    const lines: string[] = [];
    const logger = pino(
      { level: "warn" },
      new Writable({
        write: (c, _e, cb) => {
          lines.push(String(c));
          cb();
        },
      }),
    );
    const ctx = context({ logger });
    const yaml =
      "modules: [./header-stamp.ts]\nfeatureGates: [NoSuchGate]\nplugins:\n  - type: old-stamp\n    name: a\n  - type: old-stamp\n    name: b\n";
    const first = await loadConfigText(yaml, "cfg.yaml", MODULES, ctx);
    const second = await loadConfigText(yaml, "cfg.yaml", MODULES, ctx);
    expect(first.ok && second.ok).toBe(true);
    if (!first.ok) return;
    expect(first.value.warnings).toEqual([
      'featureGates: "NoSuchGate" enables no registered plugin type',
      'plugins[0]: plugin type "old-stamp" is deprecated since 0.2.0: use header-stamp (replacements: header-stamp)',
      'plugins[1]: plugin type "old-stamp" is deprecated since 0.2.0: use header-stamp (replacements: header-stamp)',
    ]);
    expect(lines.filter((l) => l.includes("deprecated"))).toHaveLength(1);
    const metric = await ctx.metrics.deprecatedPluginUse.get();
    expect(metric.values).toEqual([{ value: 4, labels: { plugin_type: "old-stamp" } }]);
  });
});

describe("config modules", () => {
  it("adds the module's types to this config only", async () => {
    const ctx = context();
    const loaded = await loadConfigText(
      "modules: [./header-stamp.ts]\nplugins:\n  - type: header-stamp\n    parameters: {header: X-Stamp, value: yes}\n",
      "cfg.yaml",
      MODULES,
      ctx,
    );
    expect(loaded.ok).toBe(true);
    if (!loaded.ok) return;
    const request = testRequest({ body: { model: "m" } });
    for (const step of loaded.value.requestPlugins)
      (step as unknown as { extractMetadata(r: unknown): void }).extractMetadata(request);
    expect(request.headers.get("x-stamp")).toBe("yes");
    expect(loaded.value.registry.get("header-stamp")).toBeDefined();
    expect(ctx.registry.get("header-stamp")).toBeUndefined();
  });

  it("reports a module's tombstone like a built-in one", async () => {
    expect(await problems("modules: [./header-stamp.ts]\nplugins:\n  - type: ancient-stamp\n")).toBe(
      "cfg.yaml: plugins[0].type: plugin type 'ancient-stamp' has been removed in 0.3.0: stamps moved to header-stamp (one header) and api-detector (API kind) (replacements: header-stamp, api-detector)",
    );
  });

  it("reports refused registrations even when the module ignores them", async () => {
    const text = await problems(
      "modules: [./header-stamp.ts, ./bad-registrations.ts]\nplugins:\n  - type: header-stamp\n    parameters: {header: X, value: y}\n",
    );
    expect(text.split("\n")).toEqual([
      'cfg.yaml: modules[1]: module "./bad-registrations.ts": plugin type "body-field-to-header" is already registered',
      'cfg.yaml: modules[1]: module "./bad-registrations.ts": plugin type "experimental-thing" is alpha and needs a featureGate name (CamelCase, e.g. "MyPlugin")',
      'cfg.yaml: modules[1]: module "./bad-registrations.ts": plugin type "old-thing" is deprecated but gives no deprecation message',
    ]);
  });

  it.each([
    {
      entry: "./no-register.ts",
      want: /modules\[0\]: module "\.\/no-register\.ts" does not export a register\(registry\) function/,
    },
    { entry: "./throws.ts", want: /modules\[0\]: module "\.\/throws\.ts": register\(\) threw: cannot register today/ },
    { entry: "./missing.ts", want: /modules\[0\]: cannot load module "\.\/missing\.ts": / },
    { entry: "no-such-package-bbr-test", want: /modules\[0\]: cannot load module "no-such-package-bbr-test": / },
  ])("$entry", async ({ entry, want }) => {
    expect(await problems(`modules: ["${entry}"]\nplugins:\n  - type: api-detector\n`)).toMatch(want);
  });

  it("checks module types even when the rest of the document is invalid", async () => {
    const text = await problems(
      "modules: [./header-stamp.ts]\nplugins:\n  - type: header-stamp\n  - type: ancient-stamp\nrequest: 5\n",
    );
    expect(text.split("\n")).toEqual([
      "cfg.yaml: request: Invalid input: expected array, received number",
      'cfg.yaml: plugins[0].parameters: invalid parameters for plugin type "header-stamp": Invalid input: expected object, received undefined',
      expect.stringMatching(/^cfg.yaml: plugins\[1\].type: plugin type 'ancient-stamp' has been removed/),
    ]);
  });
});

describe("modelSelectors in config", () => {
  const base = [
    "plugins:",
    "  - {type: model-alias, name: alias, parameters: {aliases: {gpt-4: auto}}}",
    "  - {type: model-allow-list, name: tenants, parameters: {tenantHeader: x-tenant, tenants: {a: [small, large]}}}",
    "  - {type: context-window-filter, name: fits}",
    "  - {type: cost-scorer, name: cheap}",
    "  - {type: max-score-model-picker, name: best}",
  ];

  it("builds a pipeline; the default chain holds unused plugins, then the selectors", async () => {
    const yaml = [
      ...base,
      "modelSelectors:",
      "  - name: router",
      "    models: [{name: small, attributes: {contextWindow: 50, price: 1}}, {name: large, attributes: {contextWindow: 100000, price: 5}}]",
      "    filters: [tenants, fits]",
      "    scorers: [{pluginRef: cheap, weight: 2}]",
      "    picker: best",
      "    triggerModels: [auto]",
    ].join("\n");
    const loaded = await loadConfigText(yaml, "cfg.yaml", MODULES, context());
    expect(loaded.ok).toBe(true);
    if (!loaded.ok) return;
    expect(loaded.value.requestPlugins.map((p) => `${p.typedName.name}/${p.typedName.type}`)).toEqual([
      "alias/model-alias",
      "router/model-selector",
    ]);
    const run = (body: unknown) => {
      const request = testRequest({ headers: { "x-tenant": "a" }, body });
      for (const p of loaded.value.requestPlugins)
        (p as unknown as { selectModel(r: unknown): void }).selectModel(request);
      return request.headers.get("x-gateway-model-name");
    };
    expect(run({ model: "gpt-4", prompt: "short" })).toBe("small");
    expect(run({ model: "gpt-4", prompt: "x".repeat(400) })).toBe("large");
    expect(run({ model: "large", prompt: "hi" })).toBe("large");
  });

  it("reports bad references, roles and names with their paths", async () => {
    const yaml = [
      ...base,
      "modelSelectors:",
      "  - name: alias",
      "    models: [a, {name: a}]",
      "    filters: [cheap, nope]",
      "    scorers: [fits, {pluginRef: cheap, weight: -1}]",
      "    picker: tenants",
      "request: [router]",
    ].join("\n");
    expect(await problems(yaml)).toBe(
      "cfg.yaml: modelSelectors[0].scorers[1].weight: Too small: expected number to be >=0",
    );
    const yaml2 = yaml.replace("weight: -1", "weight: 1");
    expect((await problems(yaml2)).split("\n")).toEqual([
      'cfg.yaml: modelSelectors[0].name: name "alias" is already used by a plugin or model selector',
      'cfg.yaml: modelSelectors[0].models[1]: duplicate model "a"',
      'cfg.yaml: modelSelectors[0].filters[0]: plugin "cheap" (cost-scorer) is not a ModelFilter',
      'cfg.yaml: modelSelectors[0].filters[1]: no plugin named "nope" in plugins',
      'cfg.yaml: modelSelectors[0].scorers[0]: plugin "fits" (context-window-filter) is not a ModelScorer',
      'cfg.yaml: modelSelectors[0].picker: plugin "tenants" (model-allow-list) is not a ModelPicker',
      'cfg.yaml: request[0]: no plugin named "router" in plugins',
    ]);
  });
});
