import { buildRegistry, type PluginTypeSpec } from "../../plugin/registry.js";
import {
  METRICS_DATA_SOURCE_ROLE,
  METRICS_EXTRACTOR_ROLE,
  PARSER_ROLE,
  PICKER_ROLE,
  PROFILE_HANDLER_ROLE,
  producerRole,
  SATURATION_DETECTOR_ROLE,
} from "../api/defaults.js";
import type { EppPluginHandle, EppRegistry } from "../api/handle.js";
import {
  CORE_METRICS_EXTRACTOR,
  coreMetricsExtractorType,
} from "./datalayer/core-metrics-extractor/core-metrics-extractor.js";
import { METRICS_DATA_SOURCE, metricsDataSourceType } from "./datalayer/metrics-data-source/metrics-data-source.js";
import { modelFilterType } from "./filter/model-filter/model-filter.js";
import { OPENAI_PARSER, openAiParserType } from "./parser/openai-parser/openai-parser.js";
import { MAX_SCORE_PICKER, maxScorePickerType } from "./picker/max-score-picker/max-score-picker.js";
import { randomPickerType } from "./picker/random-picker/random-picker.js";
import { weightedRandomPickerType } from "./picker/weighted-random-picker/weighted-random-picker.js";
import {
  APPROX_PREFIX_CACHE_PRODUCER,
  approxPrefixCacheProducerType,
} from "./prefix/approx-prefix-cache-producer/approx-prefix-cache-producer.js";
import { PREFIX_CACHE_MATCH_INFO } from "./prefix/match-info.js";
import { prefixCacheScorerType } from "./prefix/prefix-cache-scorer/prefix-cache-scorer.js";
import {
  SINGLE_PROFILE_HANDLER,
  singleProfileHandlerType,
} from "./profile-handler/single-profile-handler/single-profile-handler.js";
import {
  UTILIZATION_DETECTOR,
  utilizationDetectorType,
} from "./saturation/utilization-detector/utilization-detector.js";
import { kvCacheUtilizationScorerType } from "./scorer/kv-cache-utilization-scorer/kv-cache-utilization-scorer.js";
import { loraAffinityScorerType } from "./scorer/lora-affinity-scorer/lora-affinity-scorer.js";
import { queueScorerType } from "./scorer/queue-scorer/queue-scorer.js";
import {
  runningRequestsScorerType,
  runningRequestsSizeScorerType,
} from "./scorer/running-requests-scorer/running-requests-scorer.js";
import { destinationEndpointServedVerifierType } from "./testing/destination-endpoint-served-verifier/destination-endpoint-served-verifier.js";

type AnySpec = PluginTypeSpec<unknown, EppPluginHandle>;

// Specs are typed by their own parameters; the registry validates raw input against each schema.
const erase = <P>(spec: PluginTypeSpec<P, EppPluginHandle>): AnySpec => spec as unknown as AnySpec;

/** IN_TREE_TYPES lists every built-in EPP plugin type. */
export const IN_TREE_TYPES: readonly AnySpec[] = [
  erase(openAiParserType),
  erase(modelFilterType),
  erase(queueScorerType),
  erase(kvCacheUtilizationScorerType),
  erase(runningRequestsSizeScorerType),
  erase(runningRequestsScorerType),
  erase(loraAffinityScorerType),
  erase(prefixCacheScorerType),
  erase(approxPrefixCacheProducerType),
  erase(maxScorePickerType),
  erase(randomPickerType),
  erase(weightedRandomPickerType),
  erase(singleProfileHandlerType),
  erase(utilizationDetectorType),
  erase(metricsDataSourceType),
  erase(coreMetricsExtractorType),
  erase(destinationEndpointServedVerifierType),
];

/**
 * IN_TREE_DEFAULTS are the reference's defaults: the plugin type the loader creates for each
 * role a config leaves empty (see src/epp/api/defaults.ts).
 */
export const IN_TREE_DEFAULTS: readonly (readonly [string, string])[] = [
  [PARSER_ROLE, OPENAI_PARSER],
  [PICKER_ROLE, MAX_SCORE_PICKER],
  [PROFILE_HANDLER_ROLE, SINGLE_PROFILE_HANDLER],
  [SATURATION_DETECTOR_ROLE, UTILIZATION_DETECTOR],
  [METRICS_DATA_SOURCE_ROLE, METRICS_DATA_SOURCE],
  [METRICS_EXTRACTOR_ROLE, CORE_METRICS_EXTRACTOR],
  [producerRole(PREFIX_CACHE_MATCH_INFO), APPROX_PREFIX_CACHE_PRODUCER],
];

/**
 * newInTreeRegistry builds a registry holding every built-in EPP plugin type and the default
 * for every role. Built explicitly, so nothing registers itself at import time and tests
 * compose their own registries.
 */
export function newInTreeRegistry(): EppRegistry {
  return buildRegistry({ types: IN_TREE_TYPES, defaults: IN_TREE_DEFAULTS });
}
