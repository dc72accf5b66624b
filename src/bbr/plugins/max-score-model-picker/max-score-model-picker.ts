import { z } from "zod";
import { ok } from "../../../common/result.js";
import type { TypedName } from "../../../plugin/plugin.js";
import type { PluginTypeSpec } from "../../../plugin/registry.js";
import type { RequestView } from "../../api/inference-message.js";
import type { CandidateModel, ModelPicker, ScoredModel } from "../../api/model-selection.js";
import type { BbrPluginHandle } from "../../api/plugin-handle.js";

/** MAX_SCORE_MODEL_PICKER is the plugin type name. */
export const MAX_SCORE_MODEL_PICKER = "max-score-model-picker";

/** maxScoreModelPickerParameters: none. */
export const maxScoreModelPickerParameters = z.strictObject({}).default({});

/**
 * MaxScoreModelPicker picks the highest total score. Ties go to the candidate listed first in the
 * selector's models, so the order in config is the tie-break (IPP shuffles instead; a fixed
 * order keeps routing predictable and testable).
 */
export class MaxScoreModelPicker implements ModelPicker {
  readonly typedName: TypedName;

  constructor(name: string) {
    this.typedName = { type: MAX_SCORE_MODEL_PICKER, name };
  }

  pickModel(_request: RequestView, scored: readonly ScoredModel[]): CandidateModel | undefined {
    let best: ScoredModel | undefined;
    for (const s of scored) if (best === undefined || s.score > best.score) best = s;
    return best?.model;
  }
}

/** maxScoreModelPickerType registers max-score-model-picker. */
export const maxScoreModelPickerType: PluginTypeSpec<Record<string, never>, BbrPluginHandle> = {
  type: MAX_SCORE_MODEL_PICKER,
  description: "Model-selector picker: the highest-scoring candidate; ties go to the first listed.",
  stability: "beta",
  extensionPoints: ["ModelPicker"],
  parameters: maxScoreModelPickerParameters,
  create: (name) => ok(new MaxScoreModelPicker(name)),
};
