import type { Endpoint } from "../../../api/endpoint.js";
import type { LlmRequest } from "../../../api/request.js";
import { parameterlessScorerType, perEndpointScores, scorerClass } from "../scorer-type.js";

/** KV_CACHE_UTILIZATION_SCORER is the plugin type name. */
export const KV_CACHE_UTILIZATION_SCORER = "kv-cache-utilization-scorer";

/** kvCacheScores is 1 − KV-cache utilisation per endpoint; unknown metrics score 0. */
export function kvCacheScores(request: LlmRequest, endpoints: readonly Endpoint[]): Float64Array {
  return perEndpointScores(request, endpoints, (m) => 1 - m.kvCacheUsagePercent);
}

/** KvCacheUtilizationScorer prefers endpoints with free KV cache. */
export class KvCacheUtilizationScorer extends scorerClass(KV_CACHE_UTILIZATION_SCORER, "distribution", kvCacheScores) {}

/** kvCacheUtilizationScorerType registers kv-cache-utilization-scorer. */
export const kvCacheUtilizationScorerType = parameterlessScorerType(
  KvCacheUtilizationScorer,
  "Scores endpoints by free KV cache: 1 - kv_cache_usage.",
);
