import type { ConfigIssue } from "../../common/config-error.js";
import { PluginRefs } from "../../plugin/config-phases.js";
import type { Plugin } from "../../plugin/plugin.js";
import type { DurationSource } from "../../plugin/runner.js";
import type { CandidateModel } from "../api/model-selection.js";
import { isModelFilter, isModelPicker, isModelScorer } from "../api/model-selection.js";
import { ModelSelectorPipeline, type WeightedModelScorer } from "../pipeline/model-selector/pipeline.js";
import type { ModelSelectorSpec } from "./schema.js";

const FILTER = { fits: isModelFilter, says: "is not a ModelFilter" };
const SCORER = { fits: isModelScorer, says: "is not a ModelScorer" };
const PICKER = { fits: isModelPicker, says: "is not a ModelPicker" };

/**
 * buildModelSelectors turns `modelSelectors` into pipeline instances, checking that every
 * reference names a plugin in `plugins` with the right role and that names stay unique. Each
 * filter, scorer and picker call is observed in `durations`. Returns the pipelines built and
 * every problem found.
 */
export function buildModelSelectors(
  specs: readonly ModelSelectorSpec[],
  byName: ReadonlyMap<string, Plugin>,
  durations: DurationSource,
): { pipelines: ModelSelectorPipeline[]; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const refs = new PluginRefs(byName, issues);
  const pipelines: ModelSelectorPipeline[] = [];
  const names = new Set<string>();
  for (const [i, spec] of specs.entries()) {
    const at = `modelSelectors[${i}]`;
    const before = issues.length;
    if (byName.has(spec.name) || names.has(spec.name)) {
      issues.push({ path: `${at}.name`, message: `name "${spec.name}" is already used by a plugin or model selector` });
    }
    names.add(spec.name);
    const seenModels = new Set<string>();
    for (const [j, model] of spec.models.entries()) {
      if (seenModels.has(model.name))
        issues.push({ path: `${at}.models[${j}]`, message: `duplicate model "${model.name}"` });
      seenModels.add(model.name);
    }
    const filters = spec.filters.flatMap((ref, j) => refs.find(ref, `${at}.filters[${j}]`, FILTER) ?? []);
    const scorers: WeightedModelScorer[] = spec.scorers.flatMap((ref, j) => {
      const scorer = refs.find(ref.pluginRef, `${at}.scorers[${j}]`, SCORER);
      return scorer ? [{ scorer, weight: ref.weight }] : [];
    });
    const picker = refs.find(spec.picker, `${at}.picker`, PICKER);
    if (issues.length > before || !picker) continue;
    const models: CandidateModel[] = spec.models.map((m) => ({
      name: m.name,
      attributes: Object.freeze({ ...m.attributes }),
    }));
    pipelines.push(
      new ModelSelectorPipeline(
        spec.name,
        {
          models,
          filters,
          scorers,
          picker,
          rewriteBody: spec.rewriteBody,
          ...(spec.triggerModels === undefined ? {} : { triggerModels: spec.triggerModels }),
        },
        durations,
      ),
    );
  }
  return { pipelines, issues };
}
