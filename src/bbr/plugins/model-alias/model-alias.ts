import { z } from "zod";
import { ok } from "../../../common/result.js";
import type { TypedName } from "../../../plugin/plugin.js";
import type { PluginTypeSpec } from "../../../plugin/registry.js";
import type { ModelSelector } from "../../api/extension-points.js";
import type { MutableRequest } from "../../api/inference-message.js";
import { applyModelChoice, currentModel } from "../../api/model-selection.js";
import type { BbrPluginHandle } from "../../api/plugin-handle.js";

/** MODEL_ALIAS is the plugin type name. */
export const MODEL_ALIAS = "model-alias";

const modelName = z.string().min(1, "model names must not be empty");

/** modelAliasParameters: the alias map, a default for requests without a model, body rewrite. */
export const modelAliasParameters = z
  .strictObject({
    /** Client-facing name → served name, e.g. {"gpt-4o": "llama-3-70b", "auto": "llama-3-8b"}. */
    aliases: z.record(modelName, modelName).default({}),
    /** Model chosen when the request names none (no `model`, or an empty one). */
    defaultModel: modelName.optional(),
    /** Write the served name into the body's `model` (otherwise only the header changes). */
    rewriteBody: z.boolean().default(true),
  })
  .refine((p) => Object.keys(p.aliases).length > 0 || p.defaultModel !== undefined, {
    message: "give at least one alias or a defaultModel",
  });

export type ModelAliasParameters = z.infer<typeof modelAliasParameters>;

/**
 * ModelAlias maps client-facing model names to served names, one hop (an alias of an alias is
 * not followed, so the result never depends on map order). Names not in the map pass through
 * unchanged and are still written to X-Gateway-Model-Name.
 */
export class ModelAlias implements ModelSelector {
  readonly typedName: TypedName;
  private readonly aliases: ReadonlyMap<string, string>;

  constructor(
    name: string,
    private readonly params: ModelAliasParameters,
  ) {
    this.typedName = { type: MODEL_ALIAS, name };
    this.aliases = new Map(Object.entries(params.aliases));
  }

  selectModel(request: MutableRequest): void {
    const requested = currentModel(request);
    const served = requested === undefined ? this.params.defaultModel : (this.aliases.get(requested) ?? requested);
    if (served === undefined) return;
    applyModelChoice(request, served, { rewriteBody: this.params.rewriteBody });
  }
}

/** modelAliasType registers model-alias. */
export const modelAliasType: PluginTypeSpec<ModelAliasParameters, BbrPluginHandle> = {
  type: MODEL_ALIAS,
  description: 'Maps client-facing model names (aliases, "auto") to served model names; optional default model.',
  stability: "beta",
  extensionPoints: ["ModelSelector"],
  parameters: modelAliasParameters,
  create: (name, params) => ok(new ModelAlias(name, params)),
};
