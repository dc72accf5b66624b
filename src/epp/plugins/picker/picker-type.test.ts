import { describe, expect, it } from "vitest";
import { testHandle } from "../../../../test/epp/support/scheduling.js";
import type { ProfileRunResult, ScoredEndpoint } from "../../api/scheduling.js";
import { CountedPicker, pickerType } from "./picker-type.js";

/** FirstPicker returns the first candidates in input order (a stand-in for a real picker). */
class FirstPicker extends CountedPicker {
  constructor(name: string, maxEndpoints: number, random: () => number) {
    super("first-picker", name, maxEndpoints, random);
  }

  pick(_request: unknown, scored: readonly ScoredEndpoint[]): ProfileRunResult {
    return { targetEndpoints: scored.slice(0, this.maxEndpoints).map((s) => s.endpoint) };
  }

  draw(): number {
    return this.random();
  }
}

const spec = pickerType("first-picker", "test", (name, max, random) => new FirstPicker(name, max, random));

describe("pickerType", () => {
  it("registers a stable Picker", () => {
    expect(spec).toMatchObject({ type: "first-picker", stability: "stable", extensionPoints: ["Picker"] });
  });

  it.each([
    { params: undefined, want: 1 },
    { params: {}, want: 1 },
    { params: { maxNumOfEndpoints: 3 }, want: 3 },
  ])("reads maxNumOfEndpoints $want from $params", ({ params, want }) => {
    expect(spec.parameters.parse(params)).toEqual({ maxNumOfEndpoints: want });
  });

  it.each([{ maxNumOfEndpoints: 0 }, { maxNumOfEndpoints: 1.5 }, { maxNumOfEndpoints: "2" }, { maxEndpoints: 2 }])(
    "refuses %j",
    (params) => {
      expect(spec.parameters.safeParse(params).success).toBe(false);
    },
  );

  it("builds the picker with its name, count and the handle's random source", async () => {
    const handle = { ...(await testHandle()), random: () => 0.25 };
    const created = spec.create("mine", { maxNumOfEndpoints: 2 }, handle);
    if (!created.ok) throw new Error(String(created.error));
    const picker = created.value as FirstPicker;
    expect(picker.typedName).toEqual({ type: "first-picker", name: "mine" });
    expect(picker.maxEndpoints).toBe(2);
    expect(picker.draw()).toBe(0.25);
  });
});
