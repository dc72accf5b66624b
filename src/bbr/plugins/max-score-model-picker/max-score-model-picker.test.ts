import { describe, expect, it } from "vitest";
import { createTestPlugin, testRequest } from "../../api/testing.js";
import { type MaxScoreModelPicker, maxScoreModelPickerType } from "./max-score-model-picker.js";

const scored = (...pairs: [string, number][]) =>
  pairs.map(([name, score]) => ({ model: { name, attributes: {} }, score }));

describe("max-score-model-picker", () => {
  const created = createTestPlugin<MaxScoreModelPicker>(maxScoreModelPickerType, undefined);
  if (!created.ok) throw new Error("create failed");
  const picker = created.value;
  it.each([
    { name: "highest wins", scored: scored(["a", 0.2], ["b", 1.5], ["c", 0.9]), want: "b" },
    { name: "tie goes to the first", scored: scored(["a", 1], ["b", 1]), want: "a" },
    { name: "all zero", scored: scored(["a", 0], ["b", 0]), want: "a" },
    { name: "nothing to pick", scored: [], want: undefined },
  ])("$name", ({ scored: s, want }) => {
    expect(picker.pickModel(testRequest(), s)?.name).toBe(want);
  });

  it("refuses parameters", () => {
    expect(createTestPlugin(maxScoreModelPickerType, { x: 1 }).ok).toBe(false);
  });
});
