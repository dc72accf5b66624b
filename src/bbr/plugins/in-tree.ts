import { buildRegistry, lazyPluginType, type PluginTypeSpec, type Tombstone } from "../../plugin/registry.js";
import type { BbrPluginHandle, BbrRegistry } from "../api/plugin-handle.js";
import { apiDetectorType } from "./api-detector/api-detector.js";
import { baseModelToHeaderType } from "./base-model-to-header/base-model-to-header.js";
import { bodyFieldToHeaderType } from "./body-field-to-header/body-field-to-header.js";
import { celRulesRegistration } from "./cel-rules/registration.js";
import { contextWindowFilterType } from "./context-window-filter/context-window-filter.js";
import { costScorerType } from "./cost-scorer/cost-scorer.js";
import { maxScoreModelPickerType } from "./max-score-model-picker/max-score-model-picker.js";
import { modelAliasType } from "./model-alias/model-alias.js";
import { modelAllowListType } from "./model-allow-list/model-allow-list.js";
import { multipartModelRegistration } from "./multipart-model/registration.js";
import { weightedSplitType } from "./weighted-split/weighted-split.js";

// Types whose implementation pulls in a large dependency register without it and import it
// when a config first uses them: every process pays for what it registers, and most chains
// use neither (idle RSS, issue 14).
const celRulesType = lazyPluginType(celRulesRegistration, async () => (await import("./cel-rules/cel-rules.js")).celRulesType.create);
const multipartModelType = lazyPluginType(
  multipartModelRegistration,
  async () => (await import("./multipart-model/multipart-model.js")).multipartModelType.create,
);

/** IN_TREE_TYPES are the built-in plugin types, in listing order. */
export const IN_TREE_TYPES: readonly PluginTypeSpec<unknown, BbrPluginHandle>[] = [
  bodyFieldToHeaderType,
  baseModelToHeaderType,
  apiDetectorType,
  multipartModelType,
  modelAliasType,
  celRulesType,
  weightedSplitType,
  modelAllowListType,
  contextWindowFilterType,
  costScorerType,
  maxScoreModelPickerType,
];

/**
 * IN_TREE_TOMBSTONES are removed (or never shipped) types that configs may still name. The
 * pluggable-BBR proposal (GIE 1964) named a default "simple-model-selector" that never
 * shipped; configs written from it get pointed at what does the job.
 */
export const IN_TREE_TOMBSTONES: readonly Tombstone[] = [
  {
    type: "simple-model-selector",
    message:
      "the pluggable-BBR proposal's default plugin never shipped; use body-field-to-header (fieldName: model, headerName: X-Gateway-Model-Name) to copy the model into the routing header, or model-alias to map names",
    replacements: ["body-field-to-header", "model-alias"],
  },
  {
    type: "max-score-picker",
    message:
      "renamed so BBR's model picker no longer shares a name with the EPP's endpoint picker; the parameters are unchanged",
    replacements: ["max-score-model-picker"],
    removedIn: "0.2.0",
  },
];

/**
 * newInTreeRegistry builds a registry holding every built-in BBR plugin type. Built
 * explicitly, so nothing registers itself at import time.
 */
export function newInTreeRegistry(): BbrRegistry {
  return buildRegistry({ types: IN_TREE_TYPES, tombstones: IN_TREE_TOMBSTONES });
}
