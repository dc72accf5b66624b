// The package entry point: the plugin SDK. A plugin module imports its types and helpers from
// "inference-bbr" and exports `register(registry)`; see docs/plugins.md and
// examples/custom-plugin. Importing this module has no side effects.

import type { BbrPluginHandle } from "./bbr/api/plugin-handle.js";
import type { PluginTypeSpec } from "./plugin/registry.js";

export type {
  ExtensionPoint,
  MetadataExtractor,
  ModelSelector,
  ResponseBodyProcessor,
  ResponseChunkProcessor,
  ResponseHeadersProcessor,
} from "./bbr/api/extension-points.js";
export type { ReadonlyHeaders } from "./bbr/api/headers.js";
export type {
  BufferedResponse,
  InferenceRequest,
  InferenceResponse,
  MutableBody,
  MutableRequest,
  ReadonlyBody,
  RequestView,
  ResponseView,
} from "./bbr/api/inference-message.js";
export type { BodyKind, JsonObject } from "./bbr/api/message-body.js";
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
} from "./bbr/api/model-selection.js";
export type { BbrPluginHandle, BbrRegistry } from "./bbr/api/plugin-handle.js";
export { PIPELINE_SCORES } from "./bbr/pipeline/model-selector/pipeline.js";
export { API_KIND, type ApiKind } from "./bbr/plugins/api-detector/api-detector.js";
export { ESTIMATED_TOKENS } from "./bbr/plugins/context-window-filter/context-window-filter.js";
export { TENANT } from "./bbr/plugins/model-allow-list/model-allow-list.js";
export { IN_TREE_TOMBSTONES, IN_TREE_TYPES, newInTreeRegistry } from "./bbr/plugins/in-tree.js";
export { createTestPlugin, testHandle, testRequest, type TestRequestOptions } from "./bbr/api/testing.js";
export type { Disposable } from "./common/file-watch.js";
export type { Logger } from "./common/logger.js";
export { err, ok, type Result } from "./common/result.js";
export { CycleState, StateKey } from "./plugin/cycle-state.js";
export { isRequestError, RequestError, type RequestErrorCode, type RequestErrorOptions } from "./common/request-error.js";
export type { Plugin, TypedName } from "./plugin/plugin.js";
export type {
  Deprecation,
  ParameterIssue,
  PluginRegistrar,
  PluginTypeSpec,
  RegistryError,
  Stability,
  Tombstone,
} from "./plugin/registry.js";

/** BbrPluginType is the spec of a BBR plugin type: what `registry.register` takes. */
export type BbrPluginType<Params> = PluginTypeSpec<Params, BbrPluginHandle>;

/**
 * definePluginType returns its argument; it exists so TypeScript infers the parameter type of
 * `create` from the zod schema, without writing it twice.
 */
export function definePluginType<Params>(spec: BbrPluginType<Params>): BbrPluginType<Params> {
  return spec;
}
