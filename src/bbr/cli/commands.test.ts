import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { CommandIo } from "./io.js";
import { runPluginsCommand } from "./plugins-command.js";
import { runValidateCommand } from "./validate-command.js";

const CONFIGS = join(import.meta.dirname, "../../../test/fixtures/plugin-configs");

function io(): CommandIo & { out: string; err: string } {
  const buffers = { out: "", err: "" };
  return Object.assign(buffers, {
    stdout: (t: string) => {
      buffers.out += t;
    },
    stderr: (t: string) => {
      buffers.err += t;
    },
  });
}

describe("bbr plugins", () => {
  it("lists every type with stability, extension points and a JSON Schema", async () => {
    const o = io();
    expect(await runPluginsCommand(["--json"], o)).toBe(0);
    const listing = JSON.parse(o.out) as {
      types: {
        type: string;
        stability: string;
        featureGate?: string;
        extensionPoints: string[];
        parameters: Record<string, unknown>;
      }[];
      removed: { type: string }[];
    };
    expect(listing.types.map((t) => `${t.type}:${t.stability}`)).toEqual([
      "body-field-to-header:stable",
      "base-model-to-header:stable",
      "api-detector:beta",
      "multipart-model:alpha",
      "model-alias:beta",
      "cel-rules:alpha",
      "weighted-split:beta",
      "model-allow-list:beta",
      "context-window-filter:beta",
      "cost-scorer:beta",
      "max-score-model-picker:beta",
    ]);
    const cel = listing.types.find((t) => t.type === "cel-rules")!;
    expect(cel.featureGate).toBe("CelRules");
    expect(cel.extensionPoints).toEqual(["ModelSelector"]);
    expect(cel.parameters).toMatchObject({ type: "object", required: ["rules"], additionalProperties: false });
    const split = listing.types.find((t) => t.type === "weighted-split")!;
    expect(split.parameters).toMatchObject({ properties: { targets: { type: "array", minItems: 1 } } });
    expect(listing.removed.map((r) => r.type)).toEqual(["simple-model-selector", "max-score-picker"]);
  });

  it("prints text with gates, schemas and removed types", async () => {
    const o = io();
    expect(await runPluginsCommand([], o)).toBe(0);
    expect(o.out).toContain("cel-rules  [alpha (feature gate CelRules)]  ModelSelector\n");
    expect(o.out).toContain("model-allow-list  [beta]  ModelSelector, ModelFilter\n");
    expect(o.out).toContain('      "tenantHeader": {\n');
    expect(o.out).toContain("Removed types:\n  simple-model-selector: ");
  });

  it("adds the types of a config's modules", async () => {
    const o = io();
    const config = join(import.meta.dirname, "../../../examples/custom-plugin/config.yaml");
    expect(await runPluginsCommand(["--json", "--config", config], o)).toBe(0);
    expect((JSON.parse(o.out) as { types: { type: string }[] }).types.map((t) => t.type)).toContain(
      "prompt-length-router",
    );
  });

  it.each([["--bogus"], ["extra"]])("exits 2 on %s", async (arg) => {
    const o = io();
    expect(await runPluginsCommand([arg], o)).toBe(2);
    expect(o.err).toContain("Usage: bbr plugins");
  });
});

describe("bbr validate", () => {
  it("accepts a valid config and summarises its chains", async () => {
    const o = io();
    const path = join(CONFIGS, "chain.yaml");
    expect(await runValidateCommand(["--config", path], o)).toBe(0);
    expect(o.out).toBe(
      `${path}: valid: 5 plugins, request: api → alias → rules → canary → tenants, response: (none)\n`,
    );
    expect(o.err).toBe("");
  });

  it("reports every problem at once and exits 1", async () => {
    const o = io();
    const path = join(CONFIGS, "invalid-many.yaml");
    expect(await runValidateCommand(["--config", path], o)).toBe(1);
    const lines = o.err.trimEnd().split("\n");
    expect(lines).toEqual([
      `${path}: unexpected: unknown field "unexpected"`,
      `${path}: plugins[0].type: plugin type "cel-rules" is alpha; enable it by adding feature gate "CelRules" to featureGates`,
      expect.stringMatching(/plugins\[1\]\.type: unknown plugin type "model-guesser"/),
      expect.stringMatching(
        /plugins\[2\]\.type: plugin type 'simple-model-selector' has been removed: .*\(replacements: body-field-to-header, model-alias\)$/,
      ),
      `${path}: plugins[3].parameters.targets: invalid parameters for plugin type "weighted-split": target weights must sum to more than 0`,
      `${path}: invalid (5 problems)`,
    ]);
  });

  it("accepts the file as a positional argument", async () => {
    const o = io();
    expect(await runValidateCommand([join(CONFIGS, "ungated-alpha.yaml")], o)).toBe(1);
    expect(o.err).toContain(
      'plugin type "multipart-model" is alpha; enable it by adding feature gate "MultipartModel" to featureGates',
    );
  });

  it.each([[[]], [["a.yaml", "b.yaml"]], [["--config"]]])("exits 2 on %j", async (args) => {
    const o = io();
    expect(await runValidateCommand(args, o)).toBe(2);
  });

  it("exits 1 naming an unreadable file", async () => {
    const o = io();
    expect(await runValidateCommand(["--config", "/no/such.yaml"], o)).toBe(1);
    expect(o.err).toMatch(/^\/no\/such.yaml: cannot read config/);
  });
});
