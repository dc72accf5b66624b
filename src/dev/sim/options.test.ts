import { describe, expect, it } from "vitest";
import { formatUsage } from "../../common/flags.js";
import { defaultSimOptions, SIM_FLAGS, simOptionsFromFlags } from "./options.js";

const flags = (o: Record<string, string>) => new Map(Object.entries(o));

describe("simOptionsFromFlags", () => {
  it("applies the defaults the usage text shows", () => {
    const usage = formatUsage(SIM_FLAGS);
    const o = defaultSimOptions();
    expect(o).toMatchObject({ model: "llama-3-8b", loraModules: [], name: undefined, port: 8000, replicas: 1 });
    expect(o.engine).toMatchObject({ maxNumSeqs: 5, maxLoras: 1, kvBlocks: 1024, blockSize: 16, timeScale: 1 });
    expect(o).toMatchObject({
      maxModelLen: 8192,
      defaultMaxTokens: 32,
      maxBodyBytes: 32 * 1024 * 1024,
      logLevel: "info",
    });
    for (const shown of ["(default llama-3-8b)", "(default none)", "(default <model>-<port>)", "(default 33554432)"]) {
      expect(usage).toContain(shown);
    }
  });

  const cases = [
    { given: { "lora-modules": "a, b,a,,c" }, want: { loraModules: ["a", "b", "c"] } },
    { given: { name: " pod ", port: "0", replicas: "3" }, want: { name: "pod", port: 0, replicas: 3 } },
    { given: { "block-size": "32", "load-factor": "1.5" }, want: { engine: { blockSize: 32, loadFactorAtMax: 1.5 } } },
  ];
  for (const { given, want } of cases) {
    it(`reads ${JSON.stringify(given)}`, () => {
      const read = simOptionsFromFlags(flags(given));
      expect(read.ok && read.value).toMatchObject(want);
    });
  }

  const refused = [
    { given: { port: "65535", replicas: "2" }, want: "--replicas: port + replicas - 1 exceeds 65535" },
    {
      given: { model: "a", "lora-modules": "a" },
      want: "--lora-modules: an adapter cannot have the base model's name",
    },
    { given: { "load-factor": "0.5" }, want: "--load-factor: must be at least 1" },
    { given: { "block-size": "17" }, want: "--block-size:" },
    { given: { replicas: "65" }, want: "--replicas:" },
    { given: { "log-level": "loud" }, want: "--log-level:" },
  ];
  for (const { given, want } of refused) {
    it(`refuses ${JSON.stringify(given)}`, () => {
      const read = simOptionsFromFlags(flags(given));
      expect(read.ok).toBe(false);
      if (!read.ok) expect(read.error.join("\n")).toContain(want);
    });
  }
});
