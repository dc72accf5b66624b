import { RequestError } from "../../../common/request-error.js";
import { StateKey } from "../../../plugin/cycle-state.js";
import type { Plugin, TypedName } from "../../../plugin/plugin.js";
import { type DurationSource, NO_DURATIONS, PluginStep } from "../../../plugin/runner.js";
import type { ModelSelector } from "../../api/extension-points.js";
import type { MutableRequest, RequestView } from "../../api/inference-message.js";
import {
  applyModelChoice,
  type CandidateModel,
  currentModel,
  type ModelFilter,
  type ModelPicker,
  type ModelScorer,
  type ScoredModel,
} from "../../api/model-selection.js";

/** MODEL_SELECTOR_PIPELINE is the type name pipelines carry in listings and metrics. */
export const MODEL_SELECTOR_PIPELINE = "model-selector";

/** PIPELINE_SCORES holds the scored candidates of the last pipeline run (for debugging and plugins after it). */
export const PIPELINE_SCORES = new StateKey<readonly ScoredModel[]>("model-selector/scores");

/** WeightedModelScorer is a scorer with the weight its scores are multiplied by. */
export interface WeightedModelScorer {
  readonly scorer: ModelScorer;
  readonly weight: number;
}

/** PipelineRole is a sub-step's extension point, the `extension_point` label of its duration series. */
export type PipelineRole = "ModelFilter" | "ModelScorer" | "ModelPicker";

type Candidates = readonly CandidateModel[];

/** ModelSelectorPipelineOptions configure a pipeline. */
export interface ModelSelectorPipelineOptions {
  readonly models: readonly CandidateModel[];
  readonly filters: readonly ModelFilter[];
  readonly scorers: readonly WeightedModelScorer[];
  readonly picker: ModelPicker;
  /** rewriteBody writes the pick into the body's `model` field (only if it changed). */
  readonly rewriteBody: boolean;
  /**
   * triggerModels, when set, limits the pipeline to requests whose current model is listed
   * (e.g. "auto"; "" stands for "no model"); other requests pass through untouched.
   */
  readonly triggerModels?: readonly string[];
}

function clamp01(score: number | undefined): number {
  if (score === undefined || !Number.isFinite(score)) return 0;
  return score < 0 ? 0 : score > 1 ? 1 : score;
}

/**
 * ModelSelectorPipeline chooses a model as IPP's model selector does: candidates from config
 * → filters (in order) → weighted scorers (each score clamped to [0,1] × weight, summed) →
 * exactly one picker. The pick goes to CycleState, X-Gateway-Model-Name and, if it changed,
 * the body's `model`.
 */
export class ModelSelectorPipeline implements ModelSelector {
  readonly typedName: TypedName;
  private readonly triggers: ReadonlySet<string> | undefined;
  private readonly filters: readonly PluginStep<[RequestView, Candidates], Candidates, PipelineRole>[];
  private readonly scorers: readonly {
    readonly step: PluginStep<[RequestView, Candidates], ReadonlyMap<string, number>, PipelineRole>;
    readonly weight: number;
  }[];
  private readonly picker: PluginStep<[RequestView, readonly ScoredModel[]], CandidateModel | undefined, PipelineRole>;

  /** durations is where each filter, scorer and picker call is observed (by role); default: nowhere. */
  constructor(
    name: string,
    private readonly options: ModelSelectorPipelineOptions,
    durations: DurationSource = NO_DURATIONS,
  ) {
    this.typedName = { type: MODEL_SELECTOR_PIPELINE, name };
    this.triggers = options.triggerModels === undefined ? undefined : new Set(options.triggerModels);
    // Sub-step failures propagate: the chain step running this pipeline applies the policy.
    const bound = (plugin: Plugin, role: PipelineRole) => ({ duration: durations(plugin, role) });
    this.filters = options.filters.map(
      (f) =>
        new PluginStep(
          f,
          "ModelFilter",
          (r: RequestView, c: Candidates) => f.filterModels(r, c),
          bound(f, "ModelFilter"),
        ),
    );
    this.scorers = options.scorers.map(({ scorer, weight }) => ({
      step: new PluginStep(
        scorer,
        "ModelScorer",
        (r: RequestView, c: Candidates) => scorer.scoreModels(r, c),
        bound(scorer, "ModelScorer"),
      ),
      weight,
    }));
    const picker = options.picker;
    this.picker = new PluginStep(
      picker,
      "ModelPicker",
      (r: RequestView, s: readonly ScoredModel[]) => picker.pickModel(r, s),
      bound(picker, "ModelPicker"),
    );
  }

  /** plugins lists the filters, scorers and picker this pipeline runs. */
  get plugins(): Plugin[] {
    const { filters, scorers, picker } = this.options;
    return [...filters, ...scorers.map((s) => s.scorer), picker];
  }

  selectModel(request: MutableRequest): void {
    if (this.triggers && !this.triggers.has(currentModel(request) ?? "")) return;
    let candidates: Candidates = this.options.models;
    for (const filter of this.filters) {
      candidates = filter.call(request, candidates);
      if (candidates.length === 0) {
        throw new RequestError("ResourceExhausted", "no models available after filtering", {
          reason: "no_models_available",
        });
      }
    }
    const totals = new Map<CandidateModel, number>(candidates.map((m) => [m, 0]));
    for (const { step, weight } of this.scorers) {
      const scores = step.call(request, candidates);
      for (const model of candidates) totals.set(model, totals.get(model)! + clamp01(scores.get(model.name)) * weight);
    }
    const scored: ScoredModel[] = candidates.map((model) => ({ model, score: totals.get(model)! }));
    request.cycleState.write(PIPELINE_SCORES, scored);
    const picked = this.picker.call(request, scored);
    if (picked === undefined) {
      throw new RequestError("ResourceExhausted", "no model could be picked", { reason: "no_models_available" });
    }
    if (!candidates.some((m) => m.name === picked.name)) {
      // A picker bug, not a client problem: fail the stream so it shows as an error.
      throw new Error(
        `picker ${this.picker.plugin.typedName.name} returned "${picked.name}", which is not a candidate`,
      );
    }
    applyModelChoice(request, picked.name, { rewriteBody: this.options.rewriteBody });
  }
}
