import { describe, expect, it } from "vitest";
import { z } from "zod";
import { flagSpecs, HELP_FLAG, optionsAtDefaults, readFlags, switchFlag, textFlag, typedFlag, valueFlag } from "./flag-table.js";
import { formatUsage } from "./flags.js";
import { err, ok } from "./result.js";

const SHAPE = {
  port: typedFlag(z.coerce.number().int().min(0), "port to listen on", "8000"),
  names: typedFlag(
    z.string().transform((s) => s.split(",").filter(Boolean)),
    "names, comma-separated",
    "",
    "none",
  ),
  label: textFlag("optional label"),
  level: valueFlag(z.enum(["a", "b"]).default("a"), "a level", "a"),
  verbose: switchFlag("false", "say more"),
};
const schema = z.object(SHAPE);

describe("flagSpecs", () => {
  it("lists the flags in order, showing their defaults as typed", () => {
    expect([...flagSpecs(SHAPE), HELP_FLAG]).toEqual([
      { name: "port", kind: "string", help: "port to listen on", default: "8000" },
      { name: "names", kind: "string", help: "names, comma-separated", default: "none" },
      { name: "label", kind: "string", help: "optional label" },
      { name: "level", kind: "string", help: "a level", default: "a" },
      { name: "verbose", kind: "boolean", help: "say more", default: "false" },
      { name: "help", kind: "boolean", help: "print this help" },
    ]);
    expect(formatUsage(flagSpecs(SHAPE))).toContain("--port VALUE");
  });

  it("refuses a flag declared without help", () => {
    expect(() => flagSpecs({ bare: z.string() })).toThrow("--bare is declared without help");
  });
});

describe("readFlags", () => {
  const defaults = { port: 8000, names: [], level: "a", verbose: false };
  it.each([
    { name: "absent flags take their defaults", flags: {}, want: ok(defaults) },
    {
      name: "given flags are read",
      flags: { port: "0", names: "a,,b", label: "x", verbose: "true" },
      want: ok({ port: 0, names: ["a", "b"], label: "x", level: "a", verbose: true }),
    },
    { name: "flags outside the shape are left out", flags: { help: "true" }, want: ok(defaults) },
    {
      name: "every problem is one --flag line",
      flags: { port: "-1", label: "" },
      want: err([
        "--port: Too small: expected number to be >=0",
        "--label: Too small: expected string to have >=1 characters",
      ]),
    },
  ])("$name", ({ flags, want }) => {
    expect(readFlags(schema, new Map(Object.entries(flags)))).toEqual(want);
  });
});

describe("optionsAtDefaults", () => {
  it("reads the options with no flag given", () => {
    expect(optionsAtDefaults((flags) => readFlags(schema, flags))).toMatchObject({ port: 8000, names: [] });
  });
  it("throws when the defaults do not validate", () => {
    expect(() => optionsAtDefaults(() => err(["--port: bad default"]))).toThrow("--port: bad default");
  });
});
