import { type PluginTypeSpec, Registry } from "../../plugin/registry.js";
import type { EppPluginHandle, EppRegistry } from "../api/handle.js";
import { coreMetricsExtractorType } from "./datalayer/core-metrics-extractor/core-metrics-extractor.js";
import { metricsDataSourceType } from "./datalayer/metrics-data-source/metrics-data-source.js";
import { modelFilterType } from "./filter/model-filter/model-filter.js";
import { openAiParserType } from "./parser/openai-parser/openai-parser.js";
import { maxScorePickerType } from "./picker/max-score-picker/max-score-picker.js";
import { randomPickerType } from "./picker/random-picker/random-picker.js";
import { weightedRandomPickerType } from "./picker/weighted-random-picker/weighted-random-picker.js";
import { approxPrefixCacheProducerType } from "./prefix/approx-prefix-cache-producer/approx-prefix-cache-producer.js";
import { prefixCacheScorerType } from "./prefix/prefix-cache-scorer/prefix-cache-scorer.js";
import { singleProfileHandlerType } from "./profile-handler/single-profile-handler/single-profile-handler.js";
import { utilizationDetectorType } from "./saturation/utilization-detector/utilization-detector.js";
import { kvCacheUtilizationScorerType } from "./scorer/kv-cache-utilization-scorer/kv-cache-utilization-scorer.js";
import { loraAffinityScorerType } from "./scorer/lora-affinity-scorer/lora-affinity-scorer.js";
import { queueScorerType } from "./scorer/queue-scorer/queue-scorer.js";
import { runningRequestsScorerType, runningRequestsSizeScorerType } from "./scorer/running-requests-scorer/running-requests-scorer.js";
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
 * newInTreeRegistry builds a registry holding every built-in EPP plugin type. Built explicitly,
 * so nothing registers itself at import time and tests compose their own registries.
 */
export function newInTreeRegistry(): EppRegistry {
  const registry = new Registry<EppPluginHandle>();
  for (const spec of IN_TREE_TYPES) {
    const added = registry.register(spec);
    // A failure here is a programming error in this file, caught by the registry test.
    if (!added.ok) throw new Error(added.error.message);
  }
  return registry;
}
