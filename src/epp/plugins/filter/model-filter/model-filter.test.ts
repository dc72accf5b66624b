import { describe, expect, it } from "vitest";
import { endpoint, inferenceRequest, keys } from "../../../../../test/epp/support/scheduling.js";
import { ServedModelFilter, modelFilterType, servesModel } from "./model-filter.js";

describe("model-filter", () => {
  it.each([
    { name: "declares nothing: serves any model", md: {}, m: {}, model: "anything", want: true },
    { name: "declares the base model", md: { models: ["llama"] }, m: {}, model: "llama", want: true },
    { name: "declares another base model", md: { models: ["llama"] }, m: {}, model: "qwen", want: false },
    { name: "declares the adapter", md: { models: ["llama"], loraAdapters: ["sql"] }, m: {}, model: "sql", want: true },
    {
      name: "runs the adapter (metrics)",
      md: { models: ["llama"] },
      m: { activeModels: ["sql"] },
      model: "sql",
      want: true,
    },
    {
      name: "has the adapter waiting (metrics)",
      md: { models: ["llama"] },
      m: { waitingModels: ["sql"] },
      model: "sql",
      want: true,
    },
    { name: "declares adapters only", md: { loraAdapters: ["sql"] }, m: {}, model: "llama", want: false },
  ])("$name → $want", ({ md, m, model, want }) => {
    expect(servesModel(endpoint(1, m, md), model)).toBe(want);
  });

  it("keeps only endpoints serving the target model, in order, and returns the input when nothing is removed", () => {
    const filter = new ServedModelFilter("f");
    const all = [
      endpoint(1, {}, { models: ["a"] }),
      endpoint(2, {}, { models: ["b"] }),
      endpoint(3, {}, {}),
      endpoint(4, {}, { models: ["a"] }),
    ];
    expect(keys(filter.filter(inferenceRequest({ targetModel: "a" }), all))).toEqual([
      "10.0.0.1:8000",
      "10.0.0.3:8000",
      "10.0.0.4:8000",
    ]);
    const same = [all[0]!, all[2]!];
    expect(filter.filter(inferenceRequest({ targetModel: "a" }), same)).toBe(same);
  });

  it("names a 503 model_not_served outcome when it drains every candidate", () => {
    expect(new ServedModelFilter("f").drainedError(inferenceRequest({ targetModel: "x" }))).toEqual({
      code: "ServiceUnavailable",
      reason: "model_not_served",
      message: 'no ready endpoint serves model "x"',
    });
  });

  it.each([{}, undefined])("takes no parameters (%j means none)", (params) => {
    expect(modelFilterType.parameters.safeParse(params).success).toBe(true);
  });

  it("refuses parameters it does not know", () => {
    expect(modelFilterType.parameters.safeParse({ models: ["a"] }).success).toBe(false);
  });
});
