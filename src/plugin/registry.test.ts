import { describe, expect, it } from "vitest";
import { z } from "zod";
import { err, ok } from "../common/result.js";
import { buildRegistry, type PluginTypeSpec, Registry, type StabilityPolicy } from "./registry.js";

type Spec = PluginTypeSpec<unknown, undefined>;

function spec(overrides: Partial<Spec> = {}): Spec {
  return {
    type: "my-plugin",
    description: "test",
    stability: "beta",
    extensionPoints: ["MetadataExtractor"],
    parameters: z.unknown(),
    create: (name) => ok({ typedName: { type: overrides.type ?? "my-plugin", name } }),
    ...overrides,
  };
}

describe("Registry.register", () => {
  it.each([
    { name: "bad type name", s: spec({ type: "MyPlugin" }), want: /must be lower-case kebab-case/ },
    { name: "alpha without gate", s: spec({ stability: "alpha" }), want: /is alpha and needs a featureGate/ },
    {
      name: "alpha with a malformed gate",
      s: spec({ stability: "alpha", featureGate: "my gate" }),
      want: /needs a featureGate/,
    },
    { name: "gate on a beta type", s: spec({ featureGate: "MyPlugin" }), want: /only alpha types have a featureGate/ },
    {
      name: "deprecated without message",
      s: spec({ deprecated: { message: " " } }),
      want: /gives no deprecation message/,
    },
    {
      name: "unknown stability",
      s: spec({ stability: "ga" as never }),
      want: /stability must be one of alpha, beta, stable/,
    },
    { name: "no factory", s: spec({ create: undefined as never }), want: /has no create\(\) factory/ },
    { name: "no schema", s: spec({ parameters: {} as never }), want: /has no zod parameters schema/ },
  ])("refuses $name", ({ s, want }) => {
    const result = new Registry<undefined>().register(s);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toMatch(want);
  });

  it("refuses a duplicate type and a type that is tombstoned", () => {
    const r = new Registry<undefined>();
    expect(r.register(spec()).ok).toBe(true);
    expect(r.register(spec())).toEqual(
      err({ type: "my-plugin", message: 'plugin type "my-plugin" is already registered' }),
    );
    expect(r.registerTombstone({ type: "old", message: "use new", replacements: ["new"] }).ok).toBe(true);
    expect(r.register(spec({ type: "old" })).ok).toBe(false);
    expect(r.registerTombstone({ type: "my-plugin", message: "x", replacements: [] }).ok).toBe(false);
    expect(r.registerTombstone({ type: "old", message: "again", replacements: [] }).ok).toBe(false);
    expect(r.registerTombstone({ type: "gone", message: "", replacements: [] }).ok).toBe(false);
  });

  it("accepts an alpha type with a gate and a deprecated type with a message", () => {
    const r = new Registry<undefined>();
    expect(r.register(spec({ stability: "alpha", featureGate: "MyPlugin" })).ok).toBe(true);
    expect(
      r.register(spec({ type: "old-plugin", deprecated: { message: "use my-plugin", replacements: ["my-plugin"] } }))
        .ok,
    ).toBe(true);
    expect(r.types().map((t) => t.type)).toEqual(["my-plugin", "old-plugin"]);
  });
});

describe("Registry.admit", () => {
  const r = new Registry<undefined>();
  r.register(spec({ type: "alpha-one", stability: "alpha", featureGate: "AlphaOne" }));
  r.register(spec({ type: "beta-one", stability: "beta" }));
  r.register(spec({ type: "stable-one", stability: "stable" }));
  r.registerTombstone({
    type: "split-one",
    message: "it was split in two",
    replacements: ["beta-one", "stable-one"],
    removedIn: "0.4.0",
  });
  const policy = (featureGates: string[] = [], minimumStability: StabilityPolicy["minimumStability"] = "alpha") => ({
    featureGates,
    minimumStability,
  });

  it.each([
    {
      type: "alpha-one",
      p: policy(),
      want: 'plugin type "alpha-one" is alpha; enable it by adding feature gate "AlphaOne" to featureGates',
    },
    { type: "alpha-one", p: policy(["AlphaOne"]), want: undefined },
    {
      type: "alpha-one",
      p: policy(["AlphaOne"], "beta"),
      want: 'plugin type "alpha-one" is alpha, below the config\'s minimumStability (beta)',
    },
    { type: "beta-one", p: policy(), want: undefined },
    {
      type: "beta-one",
      p: policy([], "stable"),
      want: 'plugin type "beta-one" is beta, below the config\'s minimumStability (stable)',
    },
    { type: "stable-one", p: policy([], "stable"), want: undefined },
    {
      type: "split-one",
      p: policy(),
      want: "plugin type 'split-one' has been removed in 0.4.0: it was split in two (replacements: beta-one, stable-one)",
    },
    {
      type: "nope",
      p: policy(),
      want: 'unknown plugin type "nope" (registered types: alpha-one, beta-one, stable-one)',
    },
  ])("$type under $p", ({ type, p, want }) => {
    const admitted = r.admit(type, p);
    expect(admitted.ok ? undefined : admitted.error).toBe(want);
  });
});

describe("Registry.create", () => {
  const r = new Registry<undefined>();
  r.register<{ n: number }>({
    ...spec({ type: "counted" }),
    parameters: z.strictObject({ n: z.number() }),
    create: (name, { n }) =>
      n < 0
        ? err([{ path: ["n"], message: "n must not be negative" }])
        : n === 0
          ? err("zero is not allowed")
          : ok({ typedName: { type: "counted", name } }),
  } as PluginTypeSpec<{ n: number }, undefined>);
  r.register(
    spec({
      type: "throws",
      create: () => {
        throw new Error("boom");
      },
    }),
  );

  it.each([
    { params: { n: 1 }, want: undefined },
    {
      params: { n: "1" },
      want: [
        {
          path: ["parameters", "n"],
          message: 'invalid parameters for plugin type "counted": Invalid input: expected number, received string',
        },
      ],
    },
    {
      params: { n: 1, m: 2 },
      want: [{ path: ["parameters", "m"], message: 'invalid parameters for plugin type "counted": unknown field "m"' }],
    },
    {
      params: { n: -1 },
      want: [{ path: ["parameters", "n"], message: 'plugin "c" (counted): n must not be negative' }],
    },
    { params: { n: 0 }, want: [{ path: ["parameters"], message: 'plugin "c" (counted): zero is not allowed' }] },
  ])("counted with $params", ({ params, want }) => {
    const created = r.create("counted", "c", params, undefined);
    expect(created.ok ? undefined : created.error).toEqual(want);
  });

  it("turns a throwing factory into an error value", () => {
    const created = r.create("throws", "t", undefined, undefined);
    expect(created.ok ? undefined : created.error).toEqual([
      { path: ["parameters"], message: 'plugin "t" (throws): factory threw: boom' },
    ]);
  });

  it("checks the policy before the parameters", () => {
    const gated = new Registry<undefined>();
    gated.register(spec({ type: "gated", stability: "alpha", featureGate: "Gated", parameters: z.never() }));
    const created = gated.create("gated", "g", {}, undefined, { featureGates: [], minimumStability: "alpha" });
    expect(created.ok ? undefined : created.error[0]?.path).toEqual(["type"]);
  });
});

describe("Registry.clone", () => {
  it("copies types and tombstones, keeps additions separate and shares deprecation warnings", () => {
    const base = new Registry<undefined>();
    base.register(spec());
    base.registerTombstone({ type: "old", message: "gone", replacements: [] });
    const copy = base.clone();
    expect(copy.register(spec({ type: "extra" })).ok).toBe(true);
    expect(base.get("extra")).toBeUndefined();
    expect(copy.get("my-plugin")).toBeDefined();
    expect(copy.tombstones().map((t) => t.type)).toEqual(["old"]);
    expect(base.firstDeprecatedUse("x")).toBe(true);
    expect(copy.firstDeprecatedUse("x")).toBe(false);
    expect(base.clone().firstDeprecatedUse("x")).toBe(false);
  });
});

describe("Registry.check", () => {
  it("admits and validates without running the factory", () => {
    let built = 0;
    const r = new Registry<undefined>();
    r.register(
      spec({
        parameters: z.strictObject({ n: z.number() }) as never,
        create: (name) => {
          built++;
          return ok({ typedName: { type: "my-plugin", name } });
        },
      }),
    );
    expect(r.check("my-plugin", { n: 1 })).toMatchObject({ ok: true, value: { parameters: { n: 1 } } });
    expect(r.check("my-plugin", { n: "1" })).toMatchObject({ ok: false, error: [{ path: ["parameters", "n"] }] });
    expect(r.check("other", {})).toMatchObject({ ok: false, error: [{ path: ["type"] }] });
    expect(built).toBe(0);
  });
});

describe("Registry defaults", () => {
  it("names a registered type per role, copied by clone", () => {
    const r = new Registry<undefined>();
    r.register(spec());
    expect(r.setDefault("picker", "my-plugin")).toEqual(ok(undefined));
    expect(r.setDefault("parser", "nope")).toEqual(
      err({ type: "nope", message: 'default parser: plugin type "nope" is not registered' }),
    );
    const copy = r.clone();
    expect([copy.defaultType("picker"), copy.defaultType("parser")]).toEqual(["my-plugin", undefined]);
  });
});

describe("buildRegistry", () => {
  it("holds the given types, tombstones and defaults", () => {
    const r = buildRegistry<undefined>({
      types: [spec()],
      tombstones: [{ type: "old", message: "gone", replacements: [] }],
      defaults: [["role", "my-plugin"]],
    });
    expect(r.types().map((t) => t.type)).toEqual(["my-plugin"]);
    expect(r.tombstones().map((t) => t.type)).toEqual(["old"]);
    expect(r.defaultType("role")).toBe("my-plugin");
  });

  it.each([
    { name: "a refused type", contents: { types: [spec(), spec()] } },
    { name: "a default of an unknown type", contents: { types: [], defaults: [["role", "nope"] as const] } },
  ])("throws on $name (a programming error in the table)", ({ contents }) => {
    expect(() => buildRegistry<undefined>(contents)).toThrow();
  });
});
