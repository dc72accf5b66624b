import { describe, expect, it } from "vitest";
import { isRequestError } from "../../../common/request-error.js";
import type { Plugin } from "../../../plugin/plugin.js";
import type { CandidateModel, ModelFilter, ModelPicker, ModelScorer, ScoredModel } from "../../api/model-selection.js";
import { SELECTED_MODEL } from "../../api/model-selection.js";
import { testRequest } from "../../api/testing.js";
import { ModelSelectorPipeline, PIPELINE_SCORES, type PipelineRole } from "./pipeline.js";

const models: CandidateModel[] = ["a", "b", "c"].map((name) => ({ name, attributes: {} }));
const named = (name: string) => ({ typedName: { type: "test", name } });

const keep = (...names: string[]): ModelFilter => ({
  ...named(`keep-${names.join("")}`),
  filterModels: (_r, c) => c.filter((m) => names.includes(m.name)),
});
const scores = (values: Record<string, number>): ModelScorer => ({
  ...named("scores"),
  scoreModels: () => new Map(Object.entries(values)),
});
const maxPicker: ModelPicker = {
  ...named("max"),
  pickModel: (_r, s: readonly ScoredModel[]) =>
    s.reduce<ScoredModel | undefined>((b, x) => (!b || x.score > b.score ? x : b), undefined)?.model,
};

describe("ModelSelectorPipeline", () => {
  it.each([
    {
      name: "scores are clamped then weighted",
      scorers: [
        { scorer: scores({ a: 5, b: 0.5, c: -3 }), weight: 1 },
        { scorer: scores({ c: 1 }), weight: 3 },
      ],
      filters: [],
      wantScores: { a: 1, b: 0.5, c: 3 },
      want: "c",
    },
    {
      name: "non-finite and missing scores count as 0",
      scorers: [{ scorer: scores({ a: Number.NaN, b: Number.POSITIVE_INFINITY }), weight: 2 }],
      filters: [],
      wantScores: { a: 0, b: 0, c: 0 },
      want: "a",
    },
    {
      name: "filters run in order before scoring",
      scorers: [{ scorer: scores({ a: 1, b: 0.1, c: 0.2 }), weight: 1 }],
      filters: [keep("b", "c"), keep("b")],
      wantScores: { b: 0.1 },
      want: "b",
    },
  ])("$name", ({ scorers, filters, wantScores, want }) => {
    const pipeline = new ModelSelectorPipeline("sel", {
      models,
      filters,
      scorers,
      picker: maxPicker,
      rewriteBody: true,
    });
    const request = testRequest({ body: { model: "auto" } });
    pipeline.selectModel(request);
    expect(request.headers.get("x-gateway-model-name")).toBe(want);
    expect(request.body.field("model")).toBe(want);
    expect(request.cycleState.read(SELECTED_MODEL)).toBe(want);
    const recorded = Object.fromEntries(
      (request.cycleState.read(PIPELINE_SCORES) ?? []).map((s) => [s.model.name, s.score]),
    );
    expect(recorded).toEqual(wantScores);
  });

  it("answers 429 when filters remove every candidate", () => {
    const pipeline = new ModelSelectorPipeline("sel", {
      models,
      filters: [keep()],
      scorers: [],
      picker: maxPicker,
      rewriteBody: true,
    });
    let thrown: unknown;
    try {
      pipeline.selectModel(testRequest({ body: { model: "auto" } }));
    } catch (e) {
      thrown = e;
    }
    expect(isRequestError(thrown) && thrown.httpStatus === 429 && thrown.reason === "no_models_available").toBe(true);
  });

  it("fails the stream when the picker invents a model", () => {
    const rogue: ModelPicker = { ...named("rogue"), pickModel: () => ({ name: "zzz", attributes: {} }) };
    const pipeline = new ModelSelectorPipeline("sel", {
      models,
      filters: [],
      scorers: [],
      picker: rogue,
      rewriteBody: true,
    });
    expect(() => pipeline.selectModel(testRequest({ body: { model: "auto" } }))).toThrow(/not a candidate/);
  });

  it("runs only for trigger models", () => {
    const pipeline = new ModelSelectorPipeline("sel", {
      models,
      filters: [],
      scorers: [],
      picker: maxPicker,
      rewriteBody: true,
      triggerModels: ["auto", ""],
    });
    const concrete = testRequest({ body: { model: "b" } });
    pipeline.selectModel(concrete);
    expect(concrete.headers.mutatedHeaders()).toEqual([]);
    const none = testRequest({ body: { prompt: "x" } });
    pipeline.selectModel(none);
    expect(none.headers.get("x-gateway-model-name")).toBe("a");
  });

  it("does not rewrite an unchanged body and times every step", () => {
    const timings: [string, PipelineRole][] = [];
    const pipeline = new ModelSelectorPipeline(
      "sel",
      {
        models,
        filters: [keep("a", "b")],
        scorers: [{ scorer: scores({ a: 1 }), weight: 1 }],
        picker: maxPicker,
        rewriteBody: true,
      },
      (p: Plugin, role) => ({ observe: () => timings.push([p.typedName.name, role as PipelineRole]) }),
    );
    const request = testRequest({ body: { model: "a" } });
    pipeline.selectModel(request);
    expect(request.body.mutated).toBe(false);
    expect(request.headers.get("x-gateway-model-name")).toBe("a");
    expect(timings).toEqual([
      ["keep-ab", "ModelFilter"],
      ["scores", "ModelScorer"],
      ["max", "ModelPicker"],
    ]);
  });
});
