import { describe, expect, it } from "vitest";
import { createTestPlugin, testRequest } from "../../api/testing.js";
import { type CostScorer, costScorerType } from "./cost-scorer.js";

function scorer(params: unknown = undefined): CostScorer {
  const created = createTestPlugin<CostScorer>(costScorerType, params);
  if (!created.ok) throw new Error(JSON.stringify(created.error));
  return created.value;
}

const m = (name: string, attributes: Record<string, unknown>) => ({ name, attributes });

describe("cost-scorer", () => {
  it.each([
    {
      name: "cheapest scores 1",
      models: [m("a", { price: 1 }), m("b", { price: 2 }), m("c", { price: 4 })],
      want: { a: 1, b: 0.5, c: 0.25 },
    },
    { name: "single model", models: [m("a", { price: 3 })], want: { a: 1 } },
    { name: "free model", models: [m("free", { price: 0 }), m("paid", { price: 1 })], want: { free: 1, paid: 0 } },
    {
      name: "no price",
      models: [m("a", {}), m("b", { price: "1" }), m("c", { price: -1 }), m("d", { price: 2 })],
      want: { a: 0, b: 0, c: 0, d: 1 },
    },
  ])("$name", ({ models, want }) => {
    const scores = scorer().scoreModels(testRequest(), models);
    for (const [name, score] of Object.entries(want)) expect(scores.get(name)).toBeCloseTo(score, 6);
  });

  it("reads a custom attribute", () => {
    const scores = scorer({ attribute: "usd" }).scoreModels(testRequest(), [m("a", { usd: 2 }), m("b", { usd: 8 })]);
    expect(scores.get("b")).toBeCloseTo(0.25, 6);
  });

  it("refuses an empty attribute", () => {
    expect(createTestPlugin(costScorerType, { attribute: "" }).ok).toBe(false);
  });
});
