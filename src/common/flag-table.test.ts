import { describe, expect, it } from "vitest";
import { z } from "zod";
import { flagSchema, flagSpecs, HELP_FLAG, optionsAtDefaults, readFlags, valueFlag } from "./flag-table.js";
import { formatUsage } from "./flags.js";
import { err, ok } from "./result.js";

const TABLE = {
  port: valueFlag("port to listen on", z.coerce.number().int().min(0), "8000"),
  names: valueFlag(
    "names, comma-separated",
    z.string().transform((s) => s.split(",").filter(Boolean)),
    "",
    "none",
  ),
  label: valueFlag("optional label", z.string().min(1).optional()),
};

describe("flagSpecs", () => {
  it("lists the table's flags as string flags, showing their defaults", () => {
    expect([...flagSpecs(TABLE), HELP_FLAG]).toEqual([
      { name: "port", kind: "string", help: "port to listen on", default: "8000" },
      { name: "names", kind: "string", help: "names, comma-separated", default: "none" },
      { name: "label", kind: "string", help: "optional label" },
      { name: "help", kind: "boolean", help: "print this help" },
    ]);
    expect(formatUsage(flagSpecs(TABLE))).toContain("--port VALUE");
  });
});

describe("readFlags with flagSchema", () => {
  const cases = [
    { name: "absent flags take their fallbacks", flags: {}, want: ok({ port: 8000, names: [] }) },
    {
      name: "given flags are read",
      flags: { port: "0", names: "a,,b", label: "x" },
      want: ok({ port: 0, names: ["a", "b"], label: "x" }),
    },
    { name: "flags outside the table are left out", flags: { help: "true" }, want: ok({ port: 8000, names: [] }) },
    {
      name: "every problem is one --flag line",
      flags: { port: "-1", label: "" },
      want: err([
        "--port: Too small: expected number to be >=0",
        "--label: Too small: expected string to have >=1 characters",
      ]),
    },
  ];
  for (const { name, flags, want } of cases) {
    it(name, () => {
      expect(readFlags(flagSchema(TABLE), new Map(Object.entries(flags)))).toEqual(want);
    });
  }
});

describe("optionsAtDefaults", () => {
  it("reads the options with no flag given", () => {
    expect(optionsAtDefaults((flags) => readFlags(flagSchema(TABLE), flags))).toEqual({ port: 8000, names: [] });
  });
  it("throws when the defaults do not validate", () => {
    expect(() => optionsAtDefaults(() => err(["--port: bad default"]))).toThrow("--port: bad default");
  });
});
