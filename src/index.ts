// The package entry point: the plugin SDK. A plugin module imports its types and helpers from
// "inference-bbr" and exports `register(registry)`; see docs/plugins.md and
// examples/custom-plugin. Importing this module has no side effects.

import type { BbrPluginHandle } from "./bbr/framework/plugin-handle.js";
import type { PluginTypeSpec } from "./framework/registry.js";

export type {
  ExtensionPoint,
  MetadataExtractor,
  ModelSelector,
  ResponseBodyProcessor,
  ResponseChunkProcessor,
  ResponseHeadersProcessor,
} from "./bbr/framework/extension-points.js";
export type { ReadonlyHeaders } from "./bbr/framework/headers.js";
export type {
  BufferedResponse,
  InferenceRequest,
  InferenceResponse,
  MutableBody,
  MutableRequest,
  ReadonlyBody,
  RequestView,
  ResponseView,
} from "./bbr/framework/inference-message.js";
export type { BodyKind, JsonObject } from "./bbr/framework/message-body.js";
export {
  applyModelChoice,
  type CandidateModel,
  currentModel,
  MODEL_HEADER,
  type ModelChoiceOptions,
  type ModelFilter,
  type ModelPicker,
  type ModelScorer,
  REQUESTED_MODEL,
  type ScoredModel,
  SELECTED_MODEL,
} from "./bbr/framework/model-selection.js";
export type { BbrPluginHandle, BbrRegistry } from "./bbr/framework/plugin-handle.js";
export { PIPELINE_SCORES } from "./bbr/model-selector/pipeline.js";
export { API_KIND, type ApiKind } from "./bbr/plugins/api-detector/api-detector.js";
export { ESTIMATED_TOKENS } from "./bbr/plugins/context-window-filter/context-window-filter.js";
export { TENANT } from "./bbr/plugins/model-allow-list/model-allow-list.js";
export { IN_TREE_TOMBSTONES, IN_TREE_TYPES, newInTreeRegistry } from "./bbr/plugins/in-tree.js";
export { createTestPlugin, testHandle, testRequest, type TestRequestOptions } from "./bbr/sdk/testing.js";
export type { Disposable } from "./common/file-watch.js";
export type { Logger } from "./common/logger.js";
export { err, ok, type Result } from "./common/result.js";
export { CycleState, StateKey } from "./framework/cycle-state.js";
export { isRequestError, RequestError, type RequestErrorCode, type RequestErrorOptions } from "./framework/errors.js";
export type { Plugin, TypedName } from "./framework/plugin.js";
export type {
  Deprecation,
  ParameterIssue,
  PluginRegistrar,
  PluginTypeSpec,
  RegistryError,
  Stability,
  Tombstone,
} from "./framework/registry.js";

/** BbrPluginType is the spec of a BBR plugin type: what `registry.register` takes. */
export type BbrPluginType<Params> = PluginTypeSpec<Params, BbrPluginHandle>;

/**
 * definePluginType returns its argument; it exists so TypeScript infers the parameter type of
 * `create` from the zod schema, without writing it twice.
 */
export function definePluginType<Params>(spec: BbrPluginType<Params>): BbrPluginType<Params> {
  return spec;
}
