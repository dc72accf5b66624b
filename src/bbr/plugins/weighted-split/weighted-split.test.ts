import { describe, expect, it } from "vitest";
import { SELECTED_MODEL } from "../../api/model-selection.js";
import { createTestPlugin, testRequest } from "../../api/testing.js";
import { stickyPoint, WeightedSplit, type WeightedSplitParameters, weightedSplitType } from "./weighted-split.js";

const canary: WeightedSplitParameters = {
  targets: [
    { model: "llama-v1", weight: 90 },
    { model: "llama-v2", weight: 10 },
  ],
  stickyHeader: "x-user-id",
  rewriteBody: true,
};

describe("weighted-split targetAt", () => {
  it.each([
    { point: 0, want: "llama-v1" },
    { point: 0.8999, want: "llama-v1" },
    { point: 0.9, want: "llama-v2" },
    { point: 0.99999, want: "llama-v2" },
  ])("point $point → $want", ({ point, want }) => {
    expect(new WeightedSplit("s", canary).targetAt(point)).toBe(want);
  });

  it("never picks a zero-weight target", () => {
    const split = new WeightedSplit("s", {
      targets: [
        { model: "drained", weight: 0 },
        { model: "live", weight: 1 },
        { model: "drained-too", weight: 0 },
      ],
      rewriteBody: true,
    });
    for (const point of [0, 0.5, 0.999999, 1 - Number.EPSILON]) expect(split.targetAt(point)).toBe("live");
  });
});

describe("weighted-split selectModel", () => {
  it.each([
    { name: "random below 0.9", random: 0.5, headers: {}, want: "llama-v1" },
    { name: "random above 0.9", random: 0.95, headers: {}, want: "llama-v2" },
    { name: "empty sticky header is random", random: 0.95, headers: { "x-user-id": "" }, want: "llama-v2" },
  ])("$name", ({ random, headers, want }) => {
    const split = new WeightedSplit("s", canary, () => random);
    const request = testRequest({ headers, body: { model: "llama" } });
    split.selectModel(request);
    expect(request.headers.get("x-gateway-model-name")).toBe(want);
    expect(request.cycleState.read(SELECTED_MODEL)).toBe(want);
    expect(request.body.field("model")).toBe(want);
  });

  it("is sticky per header value and ignores the random source", () => {
    const pick = (user: string, random: number) => {
      const request = testRequest({ headers: { "x-user-id": user }, body: { model: "llama" } });
      new WeightedSplit("s", canary, () => random).selectModel(request);
      return request.headers.get("x-gateway-model-name");
    };
    for (const user of ["alice", "bob", "carol"]) expect(pick(user, 0)).toBe(pick(user, 0.99));
  });

  it("splits sticky keys in proportion to the weights", () => {
    const split = new WeightedSplit("s", canary);
    let v2 = 0;
    for (let i = 0; i < 20_000; i++) if (split.targetAt(stickyPoint("s", `user-${i}`)) === "llama-v2") v2++;
    expect(v2 / 20_000).toBeCloseTo(0.1, 1);
  });

  it("salts by plugin name, so two splits do not pick the same users", () => {
    const a = Array.from({ length: 200 }, (_, i) => stickyPoint("split-a", `u${i}`) < 0.5);
    const b = Array.from({ length: 200 }, (_, i) => stickyPoint("split-b", `u${i}`) < 0.5);
    expect(a).not.toEqual(b);
  });

  it("leaves models outside `models` alone", () => {
    const split = new WeightedSplit("s", { ...canary, models: ["llama"] }, () => 0);
    const other = testRequest({ body: { model: "mistral" } });
    split.selectModel(other);
    expect(other.headers.mutatedHeaders()).toEqual([]);
    const matched = testRequest({ body: { model: "llama" } });
    split.selectModel(matched);
    expect(matched.headers.get("x-gateway-model-name")).toBe("llama-v1");
  });

  it("without rewriteBody only sets the header", () => {
    const split = new WeightedSplit("s", { ...canary, rewriteBody: false }, () => 0);
    const request = testRequest({ body: { model: "llama" } });
    split.selectModel(request);
    expect(request.body.mutated).toBe(false);
    expect(request.headers.get("x-gateway-model-name")).toBe("llama-v1");
  });
});

describe("weighted-split parameters", () => {
  it.each([
    { name: "no targets", params: { targets: [] }, path: ["parameters", "targets"] },
    { name: "weights sum to 0", params: { targets: [{ model: "a", weight: 0 }] }, path: ["parameters", "targets"] },
    {
      name: "negative weight",
      params: { targets: [{ model: "a", weight: -1 }] },
      path: ["parameters", "targets", 0, "weight"],
    },
    {
      name: "duplicate target",
      params: {
        targets: [
          { model: "a", weight: 1 },
          { model: "a", weight: 1 },
        ],
      },
      path: ["parameters", "targets", 1, "model"],
    },
    {
      name: "bad header",
      params: { targets: [{ model: "a", weight: 1 }], stickyHeader: "x user" },
      path: ["parameters", "stickyHeader"],
    },
    {
      name: "string weight",
      params: { targets: [{ model: "a", weight: "1" }] },
      path: ["parameters", "targets", 0, "weight"],
    },
  ])("$name is refused at $path", ({ params, path }) => {
    const plugin = createTestPlugin(weightedSplitType, params);
    expect(plugin.ok).toBe(false);
    if (!plugin.ok) expect(plugin.error[0]!.path).toEqual(path);
  });

  it("accepts a valid canary", () => {
    expect(createTestPlugin(weightedSplitType, canary).ok).toBe(true);
  });
});
