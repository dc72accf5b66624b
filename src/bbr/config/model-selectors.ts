import type { Plugin } from "../../plugin/plugin.js";
import type { CandidateModel } from "../api/model-selection.js";
import { isModelFilter, isModelPicker, isModelScorer } from "../api/model-selection.js";
import type { BbrMetrics } from "../metrics.js";
import { ModelSelectorPipeline, type WeightedModelScorer } from "../pipeline/model-selector/pipeline.js";
import type { ModelSelectorSpec } from "./schema.js";

/** PipelineIssue is a problem in modelSelectors[index], at `path` inside it. */
export interface PipelineIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/**
 * buildModelSelectors turns `modelSelectors` into pipeline instances, checking that every
 * reference names a plugin in `plugins` with the right role and that names stay unique.
 * Returns the pipelines built and every problem found.
 */
export function buildModelSelectors(
  specs: readonly ModelSelectorSpec[],
  byName: ReadonlyMap<string, Plugin>,
  metrics: BbrMetrics,
): { pipelines: ModelSelectorPipeline[]; issues: PipelineIssue[] } {
  const issues: PipelineIssue[] = [];
  const pipelines: ModelSelectorPipeline[] = [];
  const names = new Set<string>();
  const timer = (plugin: Plugin, role: string, seconds: number) =>
    metrics.pluginDuration.observe(
      { extension_point: role, plugin_type: plugin.typedName.type, plugin_name: plugin.typedName.name },
      seconds,
    );
  for (const [i, spec] of specs.entries()) {
    const at = (...path: (string | number)[]) => ["modelSelectors", i, ...path];
    const before = issues.length;
    if (byName.has(spec.name) || names.has(spec.name)) {
      issues.push({ path: at("name"), message: `name "${spec.name}" is already used by a plugin or model selector` });
    }
    names.add(spec.name);
    const lookup = <T extends Plugin>(
      ref: string,
      path: (string | number)[],
      role: string,
      fits: (p: Plugin) => p is T,
    ) => {
      const plugin = byName.get(ref);
      if (!plugin) issues.push({ path: at(...path), message: `no plugin named "${ref}" in plugins` });
      else if (!fits(plugin))
        issues.push({ path: at(...path), message: `plugin "${ref}" (${plugin.typedName.type}) is not a ${role}` });
      else return plugin;
      return undefined;
    };
    const seenModels = new Set<string>();
    for (const [j, model] of spec.models.entries()) {
      if (seenModels.has(model.name))
        issues.push({ path: at("models", j), message: `duplicate model "${model.name}"` });
      seenModels.add(model.name);
    }
    const filters = spec.filters.flatMap((ref, j) => lookup(ref, ["filters", j], "ModelFilter", isModelFilter) ?? []);
    const scorers: WeightedModelScorer[] = spec.scorers.flatMap((ref, j) => {
      const scorer = lookup(ref.pluginRef, ["scorers", j], "ModelScorer", isModelScorer);
      return scorer ? [{ scorer, weight: ref.weight }] : [];
    });
    const picker = lookup(spec.picker, ["picker"], "ModelPicker", isModelPicker);
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
        timer,
      ),
    );
  }
  return { pipelines, issues };
}
