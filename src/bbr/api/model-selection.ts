import { methodGuard } from "../../common/method-guard.js";
import { StateKey } from "../../plugin/cycle-state.js";
import type { Plugin } from "../../plugin/plugin.js";
import type { MutableRequest, RequestView } from "./inference-message.js";

/** MODEL_HEADER is the header HTTPRoutes match to pick an InferencePool. */
export const MODEL_HEADER = "X-Gateway-Model-Name";

/**
 * REQUESTED_MODEL holds the model a client named when the body is not JSON (multipart-model
 * writes it for audio uploads); for JSON bodies the `model` field is read directly.
 */
export const REQUESTED_MODEL = new StateKey<string>("bbr/requested-model");

/**
 * SELECTED_MODEL holds the model chosen so far by ModelSelectors. Each selector starts from
 * it, so a chain (alias → rules → split → allow-list) composes even when a step does not
 * rewrite the body.
 */
export const SELECTED_MODEL = new StateKey<string>("bbr/selected-model");

/**
 * currentModel is the model the request targets now: the last selection, else the body's
 * `model` (when it is a non-empty string), else what an extractor read from a non-JSON body.
 */
export function currentModel(request: RequestView): string | undefined {
  const selected = request.cycleState.read(SELECTED_MODEL);
  if (selected !== undefined) return selected;
  if (request.body.kind === "json") {
    const model = request.body.field("model");
    if (typeof model === "string" && model !== "") return model;
    return undefined;
  }
  return request.cycleState.read(REQUESTED_MODEL);
}

/** ModelChoiceOptions say how a choice is applied. */
export interface ModelChoiceOptions {
  /** rewriteBody writes the model into the body's `model` field (JSON bodies only). */
  readonly rewriteBody: boolean;
}

/**
 * applyModelChoice records the chosen model: CycleState, the X-Gateway-Model-Name header, and
 * (if asked, the body is JSON and the value differs) the body's `model` field, so an unchanged
 * body is still passed on as the original bytes.
 */
export function applyModelChoice(request: MutableRequest, model: string, options: ModelChoiceOptions): void {
  request.cycleState.write(SELECTED_MODEL, model);
  request.setHeader(MODEL_HEADER, model);
  if (options.rewriteBody && request.body.kind === "json" && request.body.field("model") !== model) {
    request.setBodyField("model", model);
  }
}

/** CandidateModel is one model a pipeline may pick, with free-form attributes from config. */
export interface CandidateModel {
  readonly name: string;
  readonly attributes: Readonly<Record<string, unknown>>;
}

/** ScoredModel is a candidate with its weighted score summed over all scorers. */
export interface ScoredModel {
  readonly model: CandidateModel;
  readonly score: number;
}

// Filters, scorers and pickers are synchronous on purpose: they run for every request, on
// data in memory. A plugin that needs remote data (prices, load) refreshes it in the
// background and reads the latest snapshot here.

/**
 * ModelFilter removes candidates. Returning an empty list makes the pipeline answer 429
 * (no models available) unless the filter throws its own RequestError.
 */
export interface ModelFilter extends Plugin {
  filterModels(request: RequestView, candidates: readonly CandidateModel[]): readonly CandidateModel[];
}

/**
 * ModelScorer rates candidates by name. The pipeline clamps each score to [0,1] (missing or
 * non-finite scores count as 0), multiplies it by the scorer's configured weight and sums.
 */
export interface ModelScorer extends Plugin {
  scoreModels(request: RequestView, candidates: readonly CandidateModel[]): ReadonlyMap<string, number>;
}

/**
 * ModelPicker chooses one of the scored candidates (never empty when called). Returning
 * undefined means "no choice", which the pipeline answers with 429.
 */
export interface ModelPicker extends Plugin {
  pickModel(request: RequestView, scored: readonly ScoredModel[]): CandidateModel | undefined;
}

/** isModelFilter tells whether the plugin implements ModelFilter. */
export const isModelFilter = methodGuard<Plugin, ModelFilter>("filterModels");

/** isModelScorer tells whether the plugin implements ModelScorer. */
export const isModelScorer = methodGuard<Plugin, ModelScorer>("scoreModels");

/** isModelPicker tells whether the plugin implements ModelPicker. */
export const isModelPicker = methodGuard<Plugin, ModelPicker>("pickModel");
