import { z } from "zod";
import type { Disposable } from "../../../common/file-watch.js";
import { err, ok, type Result } from "../../../common/result.js";
import type { TypedName } from "../../../plugin/plugin.js";
import type { PluginTypeSpec } from "../../../plugin/registry.js";
import type { MetadataExtractor } from "../../api/extension-points.js";
import type { RequestView } from "../../api/inference-message.js";
import type { BbrPluginHandle } from "../../api/plugin-handle.js";
import { formatGoScalar } from "../../api/go-format.js";
import { AdaptersStore, type ModelMapping, modelMapping } from "./adapters-store.js";
import { readMappingFile } from "./mapping-file.js";

/** BASE_MODEL_TO_HEADER is the plugin type name. */
export const BASE_MODEL_TO_HEADER = "base-model-to-header";

/** BASE_MODEL_HEADER is the header HTTPRoutes match to send LoRA adapters to their base pool. */
export const BASE_MODEL_HEADER = "X-Gateway-Base-Model-Name";

/** baseModelToHeaderParameters: mappings inline and/or from a watched file. */
export const baseModelToHeaderParameters = z
  .strictObject({
    /** YAML file of `{baseModel, adapters}` documents; reloaded when it changes. */
    mappingFile: z.string().min(1).optional(),
    /** Mappings written in the config itself. */
    mappings: z.array(modelMapping).default([]),
    /** Header to set. */
    headerName: z.string().min(1).default(BASE_MODEL_HEADER),
  })
  .default({ mappings: [], headerName: BASE_MODEL_HEADER });

export type BaseModelToHeaderParameters = z.infer<typeof baseModelToHeaderParameters>;

/**
 * BaseModelToHeader sets X-Gateway-Base-Model-Name to the base model serving the requested
 * model (a LoRA adapter maps to its base; a base model to itself; anything else to ""), so one
 * HTTPRoute per base model serves all of its adapters. A body without `model` sets nothing.
 */
export class BaseModelToHeader implements MetadataExtractor {
  readonly typedName: TypedName;
  private watch: Disposable | undefined;

  constructor(
    name: string,
    private readonly headerName: string,
    readonly store: AdaptersStore,
  ) {
    this.typedName = { type: BASE_MODEL_TO_HEADER, name };
  }

  extractMetadata(request: RequestView): void {
    if (!request.body.hasField("model")) return;
    const model = formatGoScalar(request.body.field("model")) ?? "";
    request.setHeader(this.headerName, this.store.baseModelOf(model));
  }

  /** watchMappingFile reloads the store from the file on change; a bad file keeps the last good mappings. */
  watchMappingFile(path: string, inline: readonly ModelMapping[], handle: BbrPluginHandle): void {
    this.watch = handle.watchFile(path, () => {
      const loaded = readMappingFile(path);
      if (!loaded.ok) {
        handle.logger.error({ plugin: this.typedName.name, error: loaded.error }, "mapping file reload failed; keeping the last good mappings");
        return;
      }
      this.replaceMappings([...inline, ...loaded.value], handle);
      handle.logger.info({ plugin: this.typedName.name, ...this.store.size }, "mapping file reloaded");
    });
  }

  /** replaceMappings swaps the mappings and warns about adapters claimed by two base models. */
  replaceMappings(mappings: readonly ModelMapping[], handle: BbrPluginHandle): void {
    const conflicts = this.store.replace(mappings);
    if (conflicts.length > 0) {
      handle.logger.warn({ plugin: this.typedName.name, adapters: conflicts }, "adapters mapped to several base models; the last wins");
    }
  }

  close(): void {
    this.watch?.dispose();
  }
}

function createBaseModelToHeader(
  name: string,
  params: BaseModelToHeaderParameters,
  handle: BbrPluginHandle,
): Result<BaseModelToHeader, string> {
  const plugin = new BaseModelToHeader(name, params.headerName, new AdaptersStore());
  let mappings = params.mappings;
  if (params.mappingFile !== undefined) {
    const path = handle.resolvePath(params.mappingFile);
    const loaded = readMappingFile(path);
    if (!loaded.ok) return err(loaded.error);
    mappings = [...mappings, ...loaded.value];
    plugin.watchMappingFile(path, params.mappings, handle);
  }
  plugin.replaceMappings(mappings, handle);
  return ok(plugin);
}

/** baseModelToHeaderType registers base-model-to-header. */
export const baseModelToHeaderType: PluginTypeSpec<BaseModelToHeaderParameters, BbrPluginHandle> = {
  type: BASE_MODEL_TO_HEADER,
  description: "Maps the body's model (a LoRA adapter or base model) to its base model in X-Gateway-Base-Model-Name.",
  stability: "stable",
  extensionPoints: ["MetadataExtractor"],
  parameters: baseModelToHeaderParameters,
  create: createBaseModelToHeader,
};
