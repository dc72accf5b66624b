import { z } from "zod";
import { ok } from "../../../common/result.js";
import type { TypedName } from "../../../framework/plugin.js";
import type { PluginTypeSpec } from "../../../framework/registry.js";
import type { RequestView } from "../../framework/inference-message.js";
import type { CandidateModel, ModelPicker, ScoredModel } from "../../framework/model-selection.js";
import type { BbrPluginHandle } from "../../framework/plugin-handle.js";

/** MAX_SCORE_PICKER is the plugin type name. */
export const MAX_SCORE_PICKER = "max-score-picker";

/** maxScorePickerParameters: none. */
export const maxScorePickerParameters = z.strictObject({}).default({});

/**
 * MaxScorePicker picks the highest total score. Ties go to the candidate listed first in the
 * selector's models, so the order in config is the tie-break (IPP shuffles instead; a fixed
 * order keeps routing predictable and testable).
 */
export class MaxScorePicker implements ModelPicker {
  readonly typedName: TypedName;

  constructor(name: string) {
    this.typedName = { type: MAX_SCORE_PICKER, name };
  }

  pickModel(_request: RequestView, scored: readonly ScoredModel[]): CandidateModel | undefined {
    let best: ScoredModel | undefined;
    for (const s of scored) if (best === undefined || s.score > best.score) best = s;
    return best?.model;
  }
}

/** maxScorePickerType registers max-score-picker. */
export const maxScorePickerType: PluginTypeSpec<Record<string, never>, BbrPluginHandle> = {
  type: MAX_SCORE_PICKER,
  description: "Model-selector picker: the highest-scoring candidate; ties go to the first listed.",
  stability: "beta",
  extensionPoints: ["ModelPicker"],
  parameters: maxScorePickerParameters,
  create: (name) => ok(new MaxScorePicker(name)),
};
