import { describe, expect, it } from "vitest";
import { z } from "zod";
import { formatConfigError } from "../common/config-error.js";
import { silentLogger } from "../common/logger.js";
import { err, ok } from "../common/result.js";
import {
  instantiatePlugins,
  loadInPhases,
  parseYaml,
  PluginRefs,
  pluginTypeIssues,
  readConfigFile,
  validateDocument,
} from "./config-phases.js";
import type { Plugin } from "./plugin.js";
import { PERMISSIVE_POLICY, type PluginTypeSpec, Registry } from "./registry.js";

function registry(): Registry<undefined> {
  const r = new Registry<undefined>();
  const spec = (type: string, overrides: Partial<PluginTypeSpec<{ n: number }, undefined>> = {}) =>
    ({
      type,
      description: type,
      stability: "beta",
      extensionPoints: ["Test"],
      parameters: z.strictObject({ n: z.number().default(1) }).prefault({}),
      create: (name: string, { n }: { n: number }) =>
        n < 0 ? err("n must not be negative") : ok({ typedName: { type, name } }),
      ...overrides,
    }) as PluginTypeSpec<unknown, undefined>;
  r.register(spec("counter"));
  r.register(spec("gated", { stability: "alpha", featureGate: "Gated" }));
  r.register(spec("old", { deprecated: { message: "use counter", replacements: ["counter"] } }));
  return r;
}

describe("parseYaml", () => {
  it.each([
    { text: "", want: {} },
    { text: "a: 1", want: { a: 1 } },
  ])("parses $text", ({ text, want }) => {
    expect(parseYaml(text)).toEqual(ok(want));
  });

  it("reports a YAML error once with its line and column", () => {
    const parsed = parseYaml("a:\n  - b\n c: 1\n");
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.error).toHaveLength(1);
    expect(parsed.error[0]?.path).toBe("");
    expect(parsed.error[0]?.message).toBe(
      "invalid YAML at line 3, column 1: All mapping items must start at the same column",
    );
  });
});

describe("validateDocument", () => {
  const schema = z.strictObject({ plugins: z.array(z.strictObject({ type: z.string() })) });
  const raw = { plugins: [{ type: 1, params: {} }], extra: true };

  it("reports an unknown key at its own path", () => {
    expect(validateDocument(schema, raw)).toEqual(
      err([
        { path: "plugins[0].type", message: "Invalid input: expected string, received number" },
        { path: "plugins[0].params", message: 'unknown field "params"' },
        { path: "extra", message: 'unknown field "extra"' },
      ]),
    );
  });

  it("adds a hint where the caller has advice", () => {
    const hint = (issue: { path: string }) => (issue.path === "extra" ? " (hint)" : "");
    expect(validateDocument(schema, raw, { hint })).toEqual(
      err([
        { path: "plugins[0].type", message: "Invalid input: expected string, received number" },
        { path: "plugins[0].params", message: 'unknown field "params"' },
        { path: "extra", message: 'unknown field "extra" (hint)' },
      ]),
    );
  });

});

describe("pluginTypeIssues", () => {
  it("checks types and parameters of a document that failed validation", () => {
    const raw = {
      plugins: [
        { type: "counter", parameters: { n: "x" } },
        { type: "gated" },
        { type: "nope" },
        "junk",
        { type: "counter" },
      ],
      bogus: 1,
    };
    expect(pluginTypeIssues(raw, registry(), PERMISSIVE_POLICY).map((i) => i.path)).toEqual([
      "plugins[0].parameters.n",
      "plugins[1].type",
      "plugins[2].type",
    ]);
    expect(pluginTypeIssues({ plugins: 3 }, registry(), PERMISSIVE_POLICY)).toEqual([]);
  });
});

describe("instantiatePlugins", () => {
  it("builds every entry, reports each problem with its path and counts names of failed entries", () => {
    const built = instantiatePlugins(
      [
        { type: "counter", parameters: { n: -1 } },
        { type: "counter" },
        { type: "counter", name: "two" },
        { type: "old" },
      ],
      registry(),
      undefined,
      PERMISSIVE_POLICY,
    );
    expect(built.issues).toEqual([
      { path: "plugins[0].parameters", message: 'plugin "counter" (counter): n must not be negative' },
      { path: "plugins[1].name", message: 'duplicate plugin name "counter"' },
    ]);
    expect(built.instances.map((i) => `${i.index}:${i.plugin.typedName.name}`)).toEqual(["2:two", "3:old"]);
    expect([...built.byName.keys()]).toEqual(["two", "old"]);
    expect(built.deprecations).toEqual([
      {
        name: "old",
        type: "old",
        warning: 'plugins[3]: plugin type "old" is deprecated: use counter (replacements: counter)',
      },
    ]);
  });
});

describe("PluginRefs", () => {
  const a: Plugin = { typedName: { type: "kind-a", name: "a" } };
  const isB = (p: Plugin): p is Plugin => p.typedName.type === "kind-b";

  it.each([
    { name: "a", expected: undefined, want: undefined },
    { name: "missing", expected: undefined, want: 'no plugin named "missing" in plugins' },
    { name: "a", expected: { fits: isB, says: "is not a B" }, want: 'plugin "a" (kind-a) is not a B' },
  ])("$name with $expected", ({ name, expected, want }) => {
    const issues: { path: string; message: string }[] = [];
    const refs = new PluginRefs(new Map([["a", a]]), issues);
    const found = expected ? refs.find(name, "at", expected) : refs.find(name, "at");
    expect(found).toBe(want === undefined ? a : undefined);
    expect(issues).toEqual(want === undefined ? [] : [{ path: "at", message: want }]);
  });
});

describe("loadInPhases", () => {
  const closed: string[] = [];
  const instance = (name: string): Plugin => ({ typedName: { type: "t", name }, close: () => void closed.push(name) });
  const load = (text: string, instantiateFails: boolean) =>
    loadInPhases(text, "cfg.yaml", {
      validate: (raw) => validateDocument(z.strictObject({ n: z.number() }), raw),
      instantiate: (doc) => ({
        instances: [instance(`p${doc.n}`)],
        built: instantiateFails ? err([{ path: "n", message: "cannot build" }]) : ok(doc.n),
      }),
      logger: silentLogger(),
    });

  it.each([
    { text: "n: [", fails: false, want: /^cfg\.yaml: invalid YAML at line 1/ },
    { text: "n: x", fails: false, want: /^cfg\.yaml: n: Invalid input: expected number, received string$/ },
    { text: "n: 1", fails: true, want: /^cfg\.yaml: n: cannot build$/ },
  ])("stops at the first failing phase: $text", async ({ text, fails, want }) => {
    const loaded = await load(text, fails);
    expect(loaded.ok ? "ok" : formatConfigError(loaded.error)).toMatch(want);
  });

  it("closes what instantiate built when it fails, and keeps it when it succeeds", async () => {
    closed.length = 0;
    expect(await load("n: 1", true)).toMatchObject({ ok: false });
    expect(await load("n: 2", false)).toEqual(ok(2));
    expect(closed).toEqual(["p1"]);
  });
});

describe("readConfigFile", () => {
  it("names a file it cannot read", async () => {
    const read = await readConfigFile("/no/such/config.yaml");
    expect(read.ok ? "" : formatConfigError(read.error)).toMatch(/^\/no\/such\/config\.yaml: cannot read config: /);
  });
});
