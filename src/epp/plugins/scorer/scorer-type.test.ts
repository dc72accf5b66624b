import { describe, expect, it } from "vitest";
import { endpoint, inferenceRequest, NOW } from "../../../../test/epp/support/scheduling.js";
import { parameterlessScorerType, perEndpointScores, scorerClass } from "./scorer-type.js";

class ConstantScorer extends scorerClass("constant-scorer", "balance", (_r, endpoints) =>
  new Float64Array(endpoints.length).fill(0.5),
) {}

describe("scorerClass and parameterlessScorerType", () => {
  it("build a scorer class of the given type and category", () => {
    const scorer = new ConstantScorer("c");
    expect(scorer).toBeInstanceOf(ConstantScorer);
    expect(scorer).toMatchObject({ typedName: { type: "constant-scorer", name: "c" }, category: "balance" });
    expect(Array.from(scorer.score(inferenceRequest(), [endpoint(1), endpoint(2)]))).toEqual([0.5, 0.5]);
  });

  it("register it as a stable Scorer without parameters", () => {
    const spec = parameterlessScorerType(ConstantScorer, "half for everyone");
    expect(spec).toMatchObject({ type: "constant-scorer", stability: "stable", extensionPoints: ["Scorer"] });
    expect(spec.parameters.safeParse({}).success).toBe(true);
    expect(spec.parameters.safeParse({ weight: 1 }).success).toBe(false);
    const created = spec.create("x", {}, undefined as never);
    expect(created.ok && created.value).toBeInstanceOf(ConstantScorer);
  });
});

describe("perEndpointScores", () => {
  it("scores fresh metrics and gives unknown or stale ones 0", () => {
    const endpoints = [
      endpoint(1, { waitingQueueSize: 3 }),
      endpoint(2, null),
      endpoint(3, { waitingQueueSize: 3, updatedAt: NOW - 5000 }),
    ];
    const got = perEndpointScores(
      inferenceRequest(),
      endpoints,
      (m, e) => m.waitingQueueSize + (e === endpoints[0] ? 1 : 0),
    );
    expect(Array.from(got)).toEqual([4, 0, 0]);
  });
});
